// mktx (offline signing) and decode-transaction.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/eth/commands.h"
#include "cli/eth/private_key.h"
#include "cli/eth/tx_decode.h"
#include "cli/eth/util.h"
#include "lib/common/hex.h"
#include "lib/common/status_macros.h"
#include "lib/crypto/secp256k1.h"
#include "lib/eth/abi.h"
#include "lib/eth/abi_text.h"
#include "lib/eth/abi_type.h"
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

absl::StatusOr<std::string> DecodeTx(const Args& args) {
  const std::string text =
      args.positional().empty() ? ReadStdinFirstLine() : args.positional()[0];
  ASSIGN_OR_RETURN(Bytes raw, CastHexDecode(text));
  return CastDecodeTransaction(raw);
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
