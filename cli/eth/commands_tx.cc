// mktx (offline signing) and decode-transaction.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/eth/commands.h"
#include "cli/eth/private_key.h"
#include "cli/eth/util.h"
#include "lib/common/hex.h"
#include "lib/common/status_macros.h"
#include "lib/crypto/keccak.h"
#include "lib/crypto/secp256k1.h"
#include "lib/eth/abi.h"
#include "lib/eth/abi_text.h"
#include "lib/eth/abi_type.h"
#include "lib/eth/rlp.h"
#include "lib/eth/transaction.h"
#include "nlohmann/json.hpp"

namespace chainkms::cli {
namespace {

absl::StatusOr<uint64_t> ParseChain(const std::string& text) {
  static constexpr std::pair<std::string_view, uint64_t> kNames[] = {
      {"mainnet", 1},       {"ethereum", 1},       {"sepolia", 11155111}, {"holesky", 17000},
      {"hoodi", 560048},    {"goerli", 5},         {"optimism", 10},      {"base", 8453},
      {"base-sepolia", 84532}, {"arbitrum", 42161}, {"polygon", 137},     {"gnosis", 100},
      {"anvil", 31337},     {"dev", 31337},
  };
  for (const auto& [name, id] : kNames) {
    if (text == name) return id;
  }
  return ParseU64(text, "--chain", false);
}

absl::StatusOr<std::string> Required(const Args& args, std::string_view flag) {
  auto v = args.Get(flag);
  if (!v) {
    return absl::InvalidArgumentError(absl::StrCat(
        std::string(flag), " is required (offline: there is no RPC node to fill it in)"));
  }
  return *v;
}

absl::StatusOr<U256> ParseAmount(const std::string& text, std::string_view flag) {
  auto v = ParseCastUint(text);
  if (!v.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("invalid value '", text, "' for ",
                                                   std::string(flag), ": ",
                                                   std::string(v.status().message())));
  }
  return v;
}

absl::StatusOr<std::vector<AccessListEntry>> ParseAccessList(const std::string& text) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_array()) {
    return absl::InvalidArgumentError("--access-list: expected a JSON array");
  }
  std::vector<AccessListEntry> out;
  for (const auto& e : j) {
    if (!e.is_object() || !e.contains("address") || !e["address"].is_string()) {
      return absl::InvalidArgumentError("--access-list: each entry needs an \"address\"");
    }
    AccessListEntry entry;
    auto addr = CastParseAddress(e["address"].get<std::string>());
    if (!addr.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--access-list address: ", std::string(addr.status().message())));
    }
    entry.address = *addr;
    if (e.contains("storageKeys")) {
      if (!e["storageKeys"].is_array()) {
        return absl::InvalidArgumentError("--access-list: storageKeys must be an array");
      }
      for (const auto& k : e["storageKeys"]) {
        if (!k.is_string()) return absl::InvalidArgumentError("--access-list: keys are hex strings");
        auto b = CastHexDecode(k.get<std::string>());
        if (!b.ok() || b->size() != 32) {
          return absl::InvalidArgumentError("--access-list: a storage key must be 32 bytes of hex");
        }
        entry.storage_keys.push_back(*Hash32::TryFrom(*b));
      }
    }
    out.push_back(std::move(entry));
  }
  return out;
}

// cast's SIG [ARGS]: raw 0x data, or a signature whose arguments are ABI-encoded.
absl::StatusOr<Bytes> CallInput(std::span<const std::string> sig_and_args, bool with_selector) {
  if (sig_and_args.empty()) return Bytes{};
  const std::string& sig_text = sig_and_args[0];
  if (sig_text.rfind("0x", 0) == 0) {
    if (sig_and_args.size() > 1) return absl::InvalidArgumentError("raw 0x data takes no ARGS");
    return CastHexDecode(sig_text);
  }
  auto sig = ParseSignature(sig_text);
  if (!sig.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("could not parse function signature: ",
                                                   std::string(sig.status().message())));
  }
  const std::vector<AbiType> types = sig->InputTypes();
  ASSIGN_OR_RETURN(std::vector<AbiValue> values, ParseAbiArgsText(types, sig_and_args.subspan(1)));
  ASSIGN_OR_RETURN(Bytes body, AbiEncode(types, values));
  if (!with_selector) return body;
  return Concat({SelectorOf(*sig).view(), body});
}

absl::StatusOr<std::string> MkTx(const Args& args) {
  ASSIGN_OR_RETURN(Secp256k1PrivateKey key, LoadPrivateKey(args.Get("--private-key")));
  const bool legacy = args.Has("--legacy");
  Transaction tx;
  ASSIGN_OR_RETURN(std::string chain_text, Required(args, "--chain"));
  ASSIGN_OR_RETURN(tx.chain_id, ParseChain(chain_text));
  ASSIGN_OR_RETURN(std::string nonce_text, Required(args, "--nonce"));
  ASSIGN_OR_RETURN(tx.nonce, ParseU64(nonce_text, "--nonce", true));
  ASSIGN_OR_RETURN(std::string gas_text, Required(args, "--gas-limit"));
  ASSIGN_OR_RETURN(tx.gas_limit, ParseU64(gas_text, "--gas-limit", true));
  ASSIGN_OR_RETURN(std::string price_text, Required(args, "--gas-price"));
  ASSIGN_OR_RETURN(U256 price, ParseAmount(price_text, "--gas-price"));
  if (auto v = args.Get("--value")) {
    ASSIGN_OR_RETURN(tx.value, ParseAmount(*v, "--value"));
  }
  if (auto al = args.Get("--access-list")) {
    ASSIGN_OR_RETURN(tx.access_list, ParseAccessList(*al));
  }
  if (legacy) {
    tx.type = args.Has("--access-list") ? TxType::kAccessList : TxType::kLegacy;
    tx.gas_price = price;
  } else {
    ASSIGN_OR_RETURN(std::string tip_text, Required(args, "--priority-gas-price"));
    ASSIGN_OR_RETURN(tx.max_priority_fee_per_gas, ParseAmount(tip_text, "--priority-gas-price"));
    tx.type = TxType::kDynamicFee;
    tx.max_fee_per_gas = price;
  }
  const auto& pos = args.positional();
  if (auto code = args.Get("--create")) {
    ASSIGN_OR_RETURN(Bytes init, CastHexDecode(*code));
    ASSIGN_OR_RETURN(Bytes ctor, CallInput(pos, /*with_selector=*/false));
    tx.data = Concat({init, ctor});
  } else {
    if (pos.empty()) {
      return absl::InvalidArgumentError("Must specify a recipient address or contract code to deploy");
    }
    auto to = CastParseAddress(pos[0]);
    if (!to.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid TO address '", pos[0], "': ", std::string(to.status().message())));
    }
    tx.to = *to;
    ASSIGN_OR_RETURN(tx.data, CallInput(std::span(pos).subspan(1), true));
  }
  ASSIGN_OR_RETURN(SignedTransaction stx, SignTransaction(tx, key));
  return Hex0x(EncodeSigned(stx)) + "\n";
}

// decode-transaction is lenient like cast: no low-S, intrinsic-gas or scalar-range checks (lib's
// DecodeTransaction enforces those), and the signer is simply left out when it cannot be recovered.
std::string Quantity(const RlpItem& item) {
  auto v = item.AsU256();
  return v.ok() ? v->ToHexQuantity() : Hex0x(item.bytes());
}

absl::StatusOr<U256> FieldU256(const RlpItem& item, std::string_view name) {
  auto v = item.AsU256(name);
  if (!v.ok()) return absl::InvalidArgumentError(std::string(v.status().message()));
  return v;
}

absl::StatusOr<nlohmann::ordered_json> AccessListJson(const RlpItem& item) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  if (!item.is_list()) return absl::InvalidArgumentError("accessList: expected a list");
  for (const RlpItem& e : item.items()) {
    if (!e.is_list() || e.items().size() != 2 || e.items()[0].is_list() || !e.items()[1].is_list()) {
      return absl::InvalidArgumentError("accessList: bad entry");
    }
    nlohmann::ordered_json entry;
    entry["address"] = Hex0x(e.items()[0].bytes());
    nlohmann::ordered_json keys = nlohmann::ordered_json::array();
    for (const RlpItem& k : e.items()[1].items()) keys.push_back(Hex0x(k.bytes()));
    entry["storageKeys"] = keys;
    out.push_back(entry);
  }
  return out;
}

std::optional<std::string> RecoverSigner(const Hash32& digest, const RlpItem& r, const RlpItem& s,
                                         const U256& parity) {
  if (r.is_list() || s.is_list() || r.bytes().size() > 32 || s.bytes().size() > 32 ||
      parity > U256(1)) {
    return std::nullopt;
  }
  RecoverableSignature sig;
  std::copy(r.bytes().begin(), r.bytes().end(), sig.r.end() - static_cast<long>(r.bytes().size()));
  std::copy(s.bytes().begin(), s.bytes().end(), sig.s.end() - static_cast<long>(s.bytes().size()));
  sig.v = static_cast<uint8_t>(parity.low64());
  auto pub = RecoverPublicKey(digest, sig);
  if (!pub.ok()) return std::nullopt;
  return Hex0x(pub->ToAddress().view());
}

Hash32 SigningDigest(std::optional<uint8_t> type, const std::vector<RlpItem>& fields) {
  Bytes payload = RlpEncode(RlpItem::List(fields));
  if (type) payload.insert(payload.begin(), *type);
  return Keccak256(payload);
}

absl::StatusOr<std::string> DecodeTx(const Args& args) {
  const std::string text =
      args.positional().empty() ? ReadStdinFirstLine() : args.positional()[0];
  ASSIGN_OR_RETURN(Bytes raw, CastHexDecode(text));
  if (raw.empty()) return absl::InvalidArgumentError("Unexpected type flag. Got 0.");
  std::optional<uint8_t> type;
  size_t start = 0;
  if (raw[0] < 0xc0) {
    if (raw[0] != 0x01 && raw[0] != 0x02) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected tx type 0x", absl::Hex(raw[0])));
    }
    type = raw[0];
    start = 1;
  }
  const ByteView body = ByteView(raw).subspan(start);
  ASSIGN_OR_RETURN(size_t len, RlpFirstItemLength(body));
  ASSIGN_OR_RETURN(RlpItem root, RlpDecode(body.first(len)));
  const ByteView exact = ByteView(raw).first(start + len);
  if (!root.is_list()) return absl::InvalidArgumentError("transaction: expected an RLP list");
  const std::vector<RlpItem>& f = root.items();
  const size_t want = !type ? 9 : *type == 1 ? 11 : 12;
  if (f.size() != want) {
    return absl::InvalidArgumentError(
        absl::StrCat("transaction: expected ", want, " fields, got ", f.size()));
  }
  for (size_t i = 0; i < f.size(); ++i) {
    const bool list_ok = type && i == f.size() - 4;  // the access list
    if (f[i].is_list() != list_ok) {
      return absl::InvalidArgumentError(absl::StrCat("transaction: unexpected list in field ", i));
    }
  }
  nlohmann::ordered_json j;
  std::optional<std::string> signer;
  auto to_json = [](const RlpItem& to) -> nlohmann::ordered_json {
    if (to.bytes().empty()) return nullptr;
    return Hex0x(to.bytes());
  };
  if (!type) {
    ASSIGN_OR_RETURN(U256 v, FieldU256(f[6], "v"));
    std::vector<RlpItem> unsigned_fields(f.begin(), f.begin() + 6);
    std::optional<U256> chain_id;
    U256 parity;
    if (v >= U256(35)) {
      chain_id = (*v.CheckedSub(U256(35))) >> 1;
      parity = U256(v.low64() & 1 ? 0 : 1);
      unsigned_fields.push_back(RlpItem::String(chain_id->ToMinimalBigEndian()));
      unsigned_fields.push_back(RlpItem());
      unsigned_fields.push_back(RlpItem());
    } else if (v == U256(27) || v == U256(28)) {
      parity = U256(v.low64() - 27);
    } else {
      parity = U256(2);  // no recoverable signer
    }
    signer = RecoverSigner(SigningDigest(std::nullopt, unsigned_fields), f[7], f[8], parity);
    if (signer) j["signer"] = *signer;
    j["type"] = "0x0";
    if (chain_id) j["chainId"] = chain_id->ToHexQuantity();
    j["nonce"] = Quantity(f[0]);
    j["gasPrice"] = Quantity(f[1]);
    j["gas"] = Quantity(f[2]);
    j["to"] = to_json(f[3]);
    j["value"] = Quantity(f[4]);
    j["input"] = Hex0x(f[5].bytes());
    j["r"] = Quantity(f[7]);
    j["s"] = Quantity(f[8]);
    j["v"] = v.ToHexQuantity();
  } else {
    const size_t n = f.size();
    ASSIGN_OR_RETURN(U256 parity, FieldU256(f[n - 3], "yParity"));
    const std::vector<RlpItem> unsigned_fields(f.begin(), f.begin() + static_cast<long>(n - 3));
    signer = RecoverSigner(SigningDigest(type, unsigned_fields), f[n - 2], f[n - 1], parity);
    ASSIGN_OR_RETURN(nlohmann::ordered_json access_list, AccessListJson(f[n - 4]));
    if (signer) j["signer"] = *signer;
    j["type"] = absl::StrCat("0x", static_cast<int>(*type));
    j["chainId"] = Quantity(f[0]);
    j["nonce"] = Quantity(f[1]);
    size_t i = 2;
    if (*type == 1) {
      j["gasPrice"] = Quantity(f[i++]);
      j["gas"] = Quantity(f[i++]);
    } else {
      const std::string tip = Quantity(f[i++]);
      const std::string max_fee = Quantity(f[i++]);
      j["gas"] = Quantity(f[i++]);
      j["maxFeePerGas"] = max_fee;
      j["maxPriorityFeePerGas"] = tip;
    }
    j["to"] = to_json(f[i++]);
    j["value"] = Quantity(f[i++]);
    j["accessList"] = access_list;
    j["input"] = Hex0x(f[i].bytes());
    j["r"] = Quantity(f[n - 2]);
    j["s"] = Quantity(f[n - 1]);
    j["yParity"] = parity.ToHexQuantity();
    j["v"] = parity.ToHexQuantity();
  }
  j["hash"] = Hex0x(Keccak256(exact).view());
  // cast prints the pretty JSON text as a JSON string literal.
  return nlohmann::json(j.dump(2)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace

void AddTxCommands(std::vector<Command>& out) {
  out.push_back(
      {"mktx", "Build and sign a transaction offline",
       {.value_flags = {"--private-key", "--nonce", "--gas-limit", "--gas-price",
                        "--priority-gas-price", "--chain", "--value", "--create", "--access-list"},
        .bool_flags = {"--legacy"},
        .hyphen_values_after = 1,
        .usage = "mktx --private-key <KEY> --chain <CHAIN> --nonce <N> --gas-limit <GAS> "
                 "--gas-price <PRICE> [--priority-gas-price <PRICE>] [--legacy] [--value <V>] "
                 "[--access-list <JSON>] (<TO> | --create <CODE>) [SIG] [ARGS]..."},
       MkTx});
  out.push_back({"decode-transaction", "Decode a raw signed transaction (EIP-2718)",
                 {.max_positional = 1, .usage = "decode-transaction [TX]"}, DecodeTx});
}

}  // namespace chainkms::cli
