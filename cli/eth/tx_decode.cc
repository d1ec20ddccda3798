#include "cli/eth/tx_decode.h"

#include <map>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/eth/util.h"
#include "lib/common/hex.h"
#include "lib/common/status_macros.h"
#include "lib/crypto/keccak.h"
#include "lib/crypto/secp256k1.h"
#include "lib/eth/rlp.h"
#include "nlohmann/json.hpp"

namespace chainkms::cli {
namespace {

using Json = nlohmann::ordered_json;

absl::Status Bad(std::string_view field, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": ", std::string(what)));
}

// lib's canonical integer check, then the width of the Rust type alloy decodes into.
absl::StatusOr<U256> Uint(const RlpItem& item, std::string_view field, int bits) {
  ASSIGN_OR_RETURN(U256 v, item.AsU256(field));
  if (v.BitLength() > bits) return Bad(field, absl::StrCat("integer wider than ", bits, " bits"));
  return v;
}

absl::StatusOr<ByteView> String(const RlpItem& item, std::string_view field) {
  if (item.is_list()) return Bad(field, "expected bytes, got a list");
  return ByteView(item.bytes());
}

absl::StatusOr<std::string> Fixed(const RlpItem& item, std::string_view field, size_t size) {
  ASSIGN_OR_RETURN(ByteView b, String(item, field));
  if (b.size() != size)
    return Bad(field, absl::StrCat("expected ", size, " bytes, got ", b.size()));
  return Hex0x(b);
}

absl::StatusOr<std::span<const RlpItem>> List(const RlpItem& item, std::string_view field,
                                              std::optional<size_t> count = std::nullopt) {
  if (!item.is_list()) return Bad(field, "expected a list, got bytes");
  if (count && item.items().size() != *count) {
    return Bad(field, absl::StrCat("expected ", *count, " elements, got ", item.items().size()));
  }
  return std::span<const RlpItem>(item.items());
}

absl::StatusOr<Json> FixedList(const RlpItem& item, std::string_view field, size_t size) {
  ASSIGN_OR_RETURN(std::span<const RlpItem> items, List(item, field));
  Json out = Json::array();
  for (const RlpItem& e : items) {
    ASSIGN_OR_RETURN(std::string hex, Fixed(e, field, size));
    out.push_back(hex);
  }
  return out;
}

absl::StatusOr<Json> AccessList(const RlpItem& item) {
  ASSIGN_OR_RETURN(std::span<const RlpItem> entries, List(item, "accessList"));
  Json out = Json::array();
  for (const RlpItem& e : entries) {
    ASSIGN_OR_RETURN(std::span<const RlpItem> pair, List(e, "accessList entry", 2));
    Json entry;
    ASSIGN_OR_RETURN(entry["address"], Fixed(pair[0], "accessList address", 20));
    ASSIGN_OR_RETURN(entry["storageKeys"], FixedList(pair[1], "accessList storage key", 32));
    out.push_back(std::move(entry));
  }
  return out;
}

// EIP-7702 tuples; alloy reads their chain id as U256 and y_parity as any u8.
absl::StatusOr<Json> AuthorizationList(const RlpItem& item) {
  ASSIGN_OR_RETURN(std::span<const RlpItem> auths, List(item, "authorizationList"));
  Json out = Json::array();
  for (const RlpItem& a : auths) {
    ASSIGN_OR_RETURN(std::span<const RlpItem> f, List(a, "authorization", 6));
    Json auth;
    ASSIGN_OR_RETURN(U256 chain_id, Uint(f[0], "authorization chainId", 256));
    auth["chainId"] = chain_id.ToHexQuantity();
    ASSIGN_OR_RETURN(auth["address"], Fixed(f[1], "authorization address", 20));
    ASSIGN_OR_RETURN(U256 nonce, Uint(f[2], "authorization nonce", 64));
    auth["nonce"] = nonce.ToHexQuantity();
    ASSIGN_OR_RETURN(U256 parity, Uint(f[3], "authorization yParity", 8));
    auth["yParity"] = parity.ToHexQuantity();
    ASSIGN_OR_RETURN(U256 r, Uint(f[4], "authorization r", 256));
    auth["r"] = r.ToHexQuantity();
    ASSIGN_OR_RETURN(U256 s, Uint(f[5], "authorization s", 256));
    auth["s"] = s.ToHexQuantity();
    out.push_back(std::move(auth));
  }
  return out;
}

enum class Kind {
  kU64,
  kU128,
  kU256,
  kTxKind,   // empty for a creation, else a 20-byte address
  kAddress,  // types 3 and 4 cannot create
  kBytes,
  kAccessList,
  kAuthorizations,
  kBlobHashes,
  kParity,
  kLegacyV,
};

struct Field {
  std::string_view name;
  Kind kind;
};

// One transaction type: its RLP fields in order, and the order cast prints them in.
struct Layout {
  std::span<const Field> fields;
  std::span<const std::string_view> output;
};

constexpr Field kLegacyFields[] = {
    {"nonce", Kind::kU64}, {"gasPrice", Kind::kU128}, {"gas", Kind::kU64},
    {"to", Kind::kTxKind}, {"value", Kind::kU256},    {"input", Kind::kBytes},
    {"v", Kind::kLegacyV}, {"r", Kind::kU256},        {"s", Kind::kU256}};
constexpr std::string_view kLegacyOutput[] = {"type",  "chainId", "nonce", "gasPrice", "gas", "to",
                                              "value", "input",   "r",     "s",        "v"};

constexpr Field kEip2930Fields[] = {{"chainId", Kind::kU64},    {"nonce", Kind::kU64},
                                    {"gasPrice", Kind::kU128},  {"gas", Kind::kU64},
                                    {"to", Kind::kTxKind},      {"value", Kind::kU256},
                                    {"input", Kind::kBytes},    {"accessList", Kind::kAccessList},
                                    {"yParity", Kind::kParity}, {"r", Kind::kU256},
                                    {"s", Kind::kU256}};
constexpr std::string_view kEip2930Output[] = {"type", "chainId", "nonce",      "gasPrice", "gas",
                                               "to",   "value",   "accessList", "input",    "r",
                                               "s",    "yParity", "v"};

constexpr Field kEip1559Fields[] = {
    {"chainId", Kind::kU64},       {"nonce", Kind::kU64},   {"maxPriorityFeePerGas", Kind::kU128},
    {"maxFeePerGas", Kind::kU128}, {"gas", Kind::kU64},     {"to", Kind::kTxKind},
    {"value", Kind::kU256},        {"input", Kind::kBytes}, {"accessList", Kind::kAccessList},
    {"yParity", Kind::kParity},    {"r", Kind::kU256},      {"s", Kind::kU256}};
constexpr std::string_view kEip1559Output[] = {"type",
                                               "chainId",
                                               "nonce",
                                               "gas",
                                               "maxFeePerGas",
                                               "maxPriorityFeePerGas",
                                               "to",
                                               "value",
                                               "accessList",
                                               "input",
                                               "r",
                                               "s",
                                               "yParity",
                                               "v"};

constexpr Field kEip4844Fields[] = {{"chainId", Kind::kU64},
                                    {"nonce", Kind::kU64},
                                    {"maxPriorityFeePerGas", Kind::kU128},
                                    {"maxFeePerGas", Kind::kU128},
                                    {"gas", Kind::kU64},
                                    {"to", Kind::kAddress},
                                    {"value", Kind::kU256},
                                    {"input", Kind::kBytes},
                                    {"accessList", Kind::kAccessList},
                                    {"maxFeePerBlobGas", Kind::kU128},
                                    {"blobVersionedHashes", Kind::kBlobHashes},
                                    {"yParity", Kind::kParity},
                                    {"r", Kind::kU256},
                                    {"s", Kind::kU256}};
constexpr std::string_view kEip4844Output[] = {"type",
                                               "chainId",
                                               "nonce",
                                               "gas",
                                               "maxFeePerGas",
                                               "maxPriorityFeePerGas",
                                               "to",
                                               "value",
                                               "accessList",
                                               "blobVersionedHashes",
                                               "maxFeePerBlobGas",
                                               "input",
                                               "blobs",
                                               "commitments",
                                               "proofs",
                                               "cellProofs",
                                               "r",
                                               "s",
                                               "yParity",
                                               "v"};

constexpr Field kEip7702Fields[] = {{"chainId", Kind::kU64},
                                    {"nonce", Kind::kU64},
                                    {"maxPriorityFeePerGas", Kind::kU128},
                                    {"maxFeePerGas", Kind::kU128},
                                    {"gas", Kind::kU64},
                                    {"to", Kind::kAddress},
                                    {"value", Kind::kU256},
                                    {"input", Kind::kBytes},
                                    {"accessList", Kind::kAccessList},
                                    {"authorizationList", Kind::kAuthorizations},
                                    {"yParity", Kind::kParity},
                                    {"r", Kind::kU256},
                                    {"s", Kind::kU256}};
constexpr std::string_view kEip7702Output[] = {"type",
                                               "chainId",
                                               "nonce",
                                               "gas",
                                               "maxFeePerGas",
                                               "maxPriorityFeePerGas",
                                               "to",
                                               "value",
                                               "accessList",
                                               "authorizationList",
                                               "input",
                                               "r",
                                               "s",
                                               "yParity",
                                               "v"};

constexpr Layout kLayouts[] = {{kLegacyFields, kLegacyOutput},
                               {kEip2930Fields, kEip2930Output},
                               {kEip1559Fields, kEip1559Output},
                               {kEip4844Fields, kEip4844Output},
                               {kEip7702Fields, kEip7702Output}};

constexpr size_t kBlobSize = 131072;
constexpr size_t kKzgSize = 48;  // commitments and proofs

// What the signature needs besides r and s: the recovery id and, for EIP-155, the chain id.
struct Recovery {
  uint8_t parity = 0;
  std::optional<U256> legacy_chain_id;
};

absl::Status DecodeLegacyV(const RlpItem& item, Recovery& rec,
                           std::map<std::string_view, Json>& out) {
  ASSIGN_OR_RETURN(U256 v, item.AsU256("v"));
  if (v == U256(27) || v == U256(28)) {
    rec.parity = static_cast<uint8_t>(v.low64() - 27);
  } else if (v >= U256(35) && (*v.CheckedSub(U256(35)) >> 1).BitLength() <= 64) {
    const U256 rest = *v.CheckedSub(U256(35));
    rec.parity = static_cast<uint8_t>(rest.low64() & 1);
    rec.legacy_chain_id = rest >> 1;
    out["chainId"] = rec.legacy_chain_id->ToHexQuantity();
  } else {
    return Bad("v", "must be 27, 28 or 35 + 2·chain_id + {0,1} with a u64 chain id");
  }
  out["v"] = v.ToHexQuantity();
  return absl::OkStatus();
}

absl::Status DecodeField(const Field& field, const RlpItem& item, Recovery& rec,
                         std::map<std::string_view, Json>& out) {
  if (field.kind == Kind::kLegacyV) return DecodeLegacyV(item, rec, out);
  Json& slot = out[field.name];
  switch (field.kind) {
    case Kind::kU64:
    case Kind::kU128:
    case Kind::kU256: {
      const int bits = field.kind == Kind::kU64 ? 64 : field.kind == Kind::kU128 ? 128 : 256;
      ASSIGN_OR_RETURN(U256 v, Uint(item, field.name, bits));
      slot = v.ToHexQuantity();
      return absl::OkStatus();
    }
    case Kind::kTxKind:
      if (!item.is_list() && item.bytes().empty()) {
        slot = nullptr;
        return absl::OkStatus();
      }
      [[fallthrough]];
    case Kind::kAddress: {
      ASSIGN_OR_RETURN(slot, Fixed(item, field.name, 20));
      return absl::OkStatus();
    }
    case Kind::kBytes: {
      ASSIGN_OR_RETURN(ByteView b, String(item, field.name));
      slot = Hex0x(b);
      return absl::OkStatus();
    }
    case Kind::kAccessList: {
      ASSIGN_OR_RETURN(slot, AccessList(item));
      return absl::OkStatus();
    }
    case Kind::kAuthorizations: {
      ASSIGN_OR_RETURN(slot, AuthorizationList(item));
      return absl::OkStatus();
    }
    case Kind::kBlobHashes: {
      ASSIGN_OR_RETURN(slot, FixedList(item, field.name, 32));
      return absl::OkStatus();
    }
    case Kind::kParity: {
      ASSIGN_OR_RETURN(U256 y, item.AsU256(field.name));
      if (y > U256(1)) return Bad(field.name, "must be 0 or 1");
      rec.parity = static_cast<uint8_t>(y.low64());
      slot = y.ToHexQuantity();
      out["v"] = slot;  // typed transactions print v as the y parity
      return absl::OkStatus();
    }
    case Kind::kLegacyV:
      break;  // handled above
  }
  return absl::InternalError("unhandled field kind");
}

// alloy omits the signer when recovery fails, and its recovery refuses high s (EIP-2).
std::optional<std::string> Signer(uint8_t type, std::span<const RlpItem> fields,
                                  const Recovery& rec) {
  std::vector<RlpItem> unsigned_fields(fields.begin(), fields.end() - 3);
  if (rec.legacy_chain_id) {
    unsigned_fields.push_back(RlpItem::String(rec.legacy_chain_id->ToMinimalBigEndian()));
    unsigned_fields.push_back(RlpItem());
    unsigned_fields.push_back(RlpItem());
  }
  Bytes payload = RlpEncode(RlpItem::List(std::move(unsigned_fields)));
  if (type != 0) payload.insert(payload.begin(), type);
  RecoverableSignature sig;
  // Both fit: DecodeField already held r and s to 256 bits.
  sig.r = U256::FromBigEndian(fields[fields.size() - 2].bytes())->ToBigEndian();
  sig.s = U256::FromBigEndian(fields[fields.size() - 1].bytes())->ToBigEndian();
  sig.v = rec.parity;
  if (!IsLowS(sig.s)) return std::nullopt;
  auto pub = RecoverPublicKey(Keccak256(payload), sig);
  if (!pub.ok()) return std::nullopt;
  return Hex0x(pub->ToAddress().view());
}

// The network form of a blob transaction: [tx, blobs, commitments, proofs] (EIP-4844) or
// [tx, 1, blobs, commitments, cell_proofs] (EIP-7594). Returns the inner transaction.
absl::StatusOr<const RlpItem*> DecodeSidecar(const RlpItem& root,
                                             std::map<std::string_view, Json>& out) {
  const auto& items = root.items();
  size_t i = 1;
  std::string_view proofs = "proofs";
  if (items.size() == 5) {
    ASSIGN_OR_RETURN(U256 version, Uint(items[1], "sidecar version", 8));
    if (version != U256(1)) return Bad("sidecar version", "must be 1");
    proofs = "cellProofs";
    i = 2;
  } else if (items.size() != 4) {
    return Bad("blob transaction", "expected [tx, blobs, commitments, proofs]");
  }
  ASSIGN_OR_RETURN(out["blobs"], FixedList(items[i], "blob", kBlobSize));
  ASSIGN_OR_RETURN(out["commitments"], FixedList(items[i + 1], "commitment", kKzgSize));
  ASSIGN_OR_RETURN(out[proofs], FixedList(items[i + 2], "proof", kKzgSize));
  return &items[0];
}

}  // namespace

absl::StatusOr<std::string> CastDecodeTransaction(ByteView raw) {
  if (raw.empty()) return absl::InvalidArgumentError("Unexpected type flag. Got 0.");
  // EIP-2718: a first byte up to 0x7f is the type; alloy also reads type 0 in an envelope.
  uint8_t type = 0;
  ByteView body = raw;
  if (raw[0] <= 0x7f) {
    type = raw[0];
    if (type >= std::size(kLayouts)) return absl::InvalidArgumentError("unexpected tx type");
    body = raw.subspan(1);
  }
  // cast ignores whatever follows the first item.
  ASSIGN_OR_RETURN(size_t len, RlpFirstItemLength(body));
  ASSIGN_OR_RETURN(RlpItem root, RlpDecode(body.first(len)));
  if (!root.is_list()) return absl::InvalidArgumentError("transaction: expected an RLP list");
  std::map<std::string_view, Json> values;
  const RlpItem* tx = &root;
  if (type == 3 && !root.items().empty() && root.items()[0].is_list()) {
    ASSIGN_OR_RETURN(tx, DecodeSidecar(root, values));
  }
  const Layout& layout = kLayouts[type];
  const std::vector<RlpItem>& f = tx->items();
  if (f.size() != layout.fields.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("transaction: expected ", layout.fields.size(), " fields, got ", f.size()));
  }
  Recovery rec;
  for (size_t i = 0; i < f.size(); ++i) {
    RETURN_IF_ERROR(DecodeField(layout.fields[i], f[i], rec, values));
  }
  values["type"] = absl::StrCat("0x", static_cast<int>(type));
  Json j;
  if (auto signer = Signer(type, f, rec)) j["signer"] = *signer;
  for (std::string_view key : layout.output) {
    auto it = values.find(key);
    if (it != values.end()) j[std::string(key)] = it->second;
  }
  Bytes signed_bytes = RlpEncode(*tx);
  if (type != 0) signed_bytes.insert(signed_bytes.begin(), type);
  j["hash"] = Hex0x(Keccak256(signed_bytes).view());
  // cast prints the pretty JSON text as a JSON string literal.
  return nlohmann::json(j.dump(2)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
         "\n";
}

}  // namespace chainkms::cli
