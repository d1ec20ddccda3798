#include "lib/eth/transaction.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "lib/common/status_macros.h"
#include "lib/crypto/keccak.h"
#include "lib/eth/rlp.h"

namespace chainkms {
namespace {

constexpr uint64_t kTxGas = 21000;
constexpr uint64_t kCreateGas = 32000;
constexpr uint64_t kInitcodeWordGas = 2;
constexpr uint64_t kZeroByteGas = 4;
constexpr uint64_t kNonZeroByteGas = 16;
constexpr uint64_t kAccessListAddressGas = 2400;
constexpr uint64_t kAccessListKeyGas = 1900;
constexpr size_t kMaxInitcodeSize = 49152;  // EIP-3860

absl::Status Bad(std::string_view field, std::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("transaction.", std::string(field), ": ", std::string(what)));
}

U256 ToU256(const Hash32& h) { return *U256::FromBigEndian(h.view()); }

void AddAccessList(RlpEncoder& e, const std::vector<AccessListEntry>& list) {
  e.BeginList();
  for (const AccessListEntry& entry : list) {
    e.BeginList();
    e.AddBytes(entry.address.view());
    e.BeginList();
    for (const Hash32& key : entry.storage_keys) e.AddBytes(key.view());
    e.EndList();
    e.EndList();
  }
  e.EndList();
}

// Appends the fields common to signing payload and signed encoding, up to the access list.
void AddBody(RlpEncoder& e, const Transaction& tx) {
  if (tx.type != TxType::kLegacy) e.AddU64(*tx.chain_id);
  e.AddU64(tx.nonce);
  if (tx.type == TxType::kDynamicFee) {
    e.AddU256(tx.max_priority_fee_per_gas);
    e.AddU256(tx.max_fee_per_gas);
  } else {
    e.AddU256(tx.gas_price);
  }
  e.AddU64(tx.gas_limit);
  if (tx.to) {
    e.AddBytes(tx.to->view());
  } else {
    e.AddBytes({});
  }
  e.AddU256(tx.value);
  e.AddBytes(tx.data);
  if (tx.type != TxType::kLegacy) AddAccessList(e, tx.access_list);
}

absl::Status CheckShape(const Transaction& tx) {
  switch (tx.type) {
    case TxType::kLegacy:
      if (!tx.access_list.empty()) return Bad("access_list", "not allowed in a legacy transaction");
      [[fallthrough]];
    case TxType::kAccessList:
      if (!tx.max_fee_per_gas.IsZero() || !tx.max_priority_fee_per_gas.IsZero()) {
        return Bad("max_fee_per_gas", "only for dynamic-fee transactions (use gas_price)");
      }
      break;
    case TxType::kDynamicFee:
      if (!tx.gas_price.IsZero()) {
        return Bad("gas_price", "not used by dynamic-fee transactions (use max_fee_per_gas)");
      }
      break;
    default:
      return Bad("type", "unknown transaction type");
  }
  if (tx.type != TxType::kLegacy && !tx.chain_id) return Bad("chain_id", "required for typed transactions");
  return absl::OkStatus();
}

Bytes Envelope(TxType type, Bytes rlp) {
  if (type == TxType::kLegacy) return rlp;
  Bytes out;
  out.reserve(rlp.size() + 1);
  out.push_back(static_cast<uint8_t>(type));
  out.insert(out.end(), rlp.begin(), rlp.end());
  return out;
}

absl::StatusOr<std::optional<Address>> DecodeTo(const RlpItem& item) {
  if (item.is_list()) return Bad("to", "expected bytes, got a list");
  if (item.bytes().empty()) return std::optional<Address>();
  auto a = Address::TryFrom(item.bytes());
  if (!a) return Bad("to", absl::StrCat("expected 0 or 20 bytes, got ", item.bytes().size()));
  return std::optional<Address>(*a);
}

absl::StatusOr<std::vector<AccessListEntry>> DecodeAccessList(const RlpItem& item) {
  if (!item.is_list()) return Bad("access_list", "expected a list");
  std::vector<AccessListEntry> out;
  out.reserve(item.items().size());
  for (const RlpItem& entry : item.items()) {
    if (!entry.is_list() || entry.items().size() != 2) {
      return Bad("access_list", "each entry must be [address, [storage_keys]]");
    }
    const RlpItem& addr = entry.items()[0];
    if (addr.is_list() || addr.bytes().size() != 20) {
      return Bad("access_list.address", "expected exactly 20 bytes");
    }
    AccessListEntry e{*Address::TryFrom(addr.bytes()), {}};
    const RlpItem& keys = entry.items()[1];
    if (!keys.is_list()) return Bad("access_list.storage_keys", "expected a list");
    e.storage_keys.reserve(keys.items().size());
    for (const RlpItem& key : keys.items()) {
      if (key.is_list() || key.bytes().size() != 32) {
        return Bad("access_list.storage_keys", "expected exactly 32 bytes per key");
      }
      e.storage_keys.push_back(*Hash32::TryFrom(key.bytes()));
    }
    out.push_back(std::move(e));
  }
  return out;
}

absl::StatusOr<Hash32> DecodeScalar(const RlpItem& item, std::string_view field) {
  ASSIGN_OR_RETURN(U256 v, item.AsU256(absl::StrCat("transaction.", std::string(field))));
  Hash32 h = v.ToBigEndian();
  if (!IsValidScalar(h)) return Bad(field, "must be in [1, n-1]");
  return h;
}

absl::StatusOr<Bytes> DecodeData(const RlpItem& item) {
  if (item.is_list()) return Bad("data", "expected bytes, got a list");
  return item.bytes();
}

// Checks that do not depend on how the transaction was encoded.
absl::Status ValidateDecoded(const SignedTransaction& stx) {
  const Transaction& tx = stx.tx;
  // EIP-2681: an account nonce stops below 2^64-1, so no transaction can carry that value.
  if (tx.nonce == UINT64_MAX) return Bad("nonce", "must be below 2^64-1 (EIP-2681)");
  // No network has chain id 0, so a transaction bound to it is valid nowhere.
  if (tx.chain_id && *tx.chain_id == 0) return Bad("chain_id", "must not be zero");
  if (!IsLowS(stx.signature.s)) return Bad("s", "must be at most n/2 (low-S)");
  const U256& fee = tx.type == TxType::kDynamicFee ? tx.max_fee_per_gas : tx.gas_price;
  if (tx.type == TxType::kDynamicFee && tx.max_priority_fee_per_gas > tx.max_fee_per_gas) {
    return Bad("max_priority_fee_per_gas", "exceeds max_fee_per_gas");
  }
  if (!U256(tx.gas_limit).CheckedMul(fee)) {
    return Bad("gas_limit", "gas_limit × fee per gas overflows 256 bits");
  }
  if (!tx.to && tx.data.size() > kMaxInitcodeSize) {
    return Bad("data", absl::StrCat("initcode longer than ", kMaxInitcodeSize, " bytes"));
  }
  const uint64_t intrinsic = IntrinsicGas(tx);
  if (tx.gas_limit < intrinsic) {
    return Bad("gas_limit", absl::StrCat("below intrinsic gas ", intrinsic));
  }
  return absl::OkStatus();
}

absl::StatusOr<SignedTransaction> DecodeLegacy(const RlpItem& root) {
  if (root.items().size() != 9) {
    return Bad("fields", absl::StrCat("legacy transaction needs 9 fields, got ", root.items().size()));
  }
  const auto& f = root.items();
  SignedTransaction stx;
  Transaction& tx = stx.tx;
  tx.type = TxType::kLegacy;
  ASSIGN_OR_RETURN(tx.nonce, f[0].AsU64("transaction.nonce"));
  ASSIGN_OR_RETURN(tx.gas_price, f[1].AsU256("transaction.gas_price"));
  ASSIGN_OR_RETURN(tx.gas_limit, f[2].AsU64("transaction.gas_limit"));
  ASSIGN_OR_RETURN(tx.to, DecodeTo(f[3]));
  ASSIGN_OR_RETURN(tx.value, f[4].AsU256("transaction.value"));
  ASSIGN_OR_RETURN(tx.data, DecodeData(f[5]));
  ASSIGN_OR_RETURN(U256 v, f[6].AsU256("transaction.v"));
  if (v == U256(27) || v == U256(28)) {
    stx.signature.y_parity = static_cast<uint8_t>(v.low64() - 27);
  } else if (v >= U256(35)) {
    const U256 rest = *v.CheckedSub(U256(35));
    const std::optional<uint64_t> chain_id = (rest >> 1).ToU64();
    if (!chain_id) return Bad("v", "implied chain id exceeds 2^64-1");
    tx.chain_id = *chain_id;
    stx.signature.y_parity = static_cast<uint8_t>(rest.low64() & 1);
  } else {
    return Bad("v", "must be 27, 28 or 35 + 2·chain_id + {0,1}");
  }
  ASSIGN_OR_RETURN(stx.signature.r, DecodeScalar(f[7], "r"));
  ASSIGN_OR_RETURN(stx.signature.s, DecodeScalar(f[8], "s"));
  return stx;
}

absl::StatusOr<SignedTransaction> DecodeTyped(TxType type, const RlpItem& root) {
  const size_t want = type == TxType::kDynamicFee ? 12 : 11;
  if (root.items().size() != want) {
    return Bad("fields", absl::StrCat("type ", static_cast<int>(type), " transaction needs ", want,
                                      " fields, got ", root.items().size()));
  }
  const auto& f = root.items();
  SignedTransaction stx;
  Transaction& tx = stx.tx;
  tx.type = type;
  size_t i = 0;
  ASSIGN_OR_RETURN(tx.chain_id, f[i++].AsU64("transaction.chain_id"));
  ASSIGN_OR_RETURN(tx.nonce, f[i++].AsU64("transaction.nonce"));
  if (type == TxType::kDynamicFee) {
    ASSIGN_OR_RETURN(tx.max_priority_fee_per_gas, f[i++].AsU256("transaction.max_priority_fee_per_gas"));
    ASSIGN_OR_RETURN(tx.max_fee_per_gas, f[i++].AsU256("transaction.max_fee_per_gas"));
  } else {
    ASSIGN_OR_RETURN(tx.gas_price, f[i++].AsU256("transaction.gas_price"));
  }
  ASSIGN_OR_RETURN(tx.gas_limit, f[i++].AsU64("transaction.gas_limit"));
  ASSIGN_OR_RETURN(tx.to, DecodeTo(f[i++]));
  ASSIGN_OR_RETURN(tx.value, f[i++].AsU256("transaction.value"));
  ASSIGN_OR_RETURN(tx.data, DecodeData(f[i++]));
  ASSIGN_OR_RETURN(tx.access_list, DecodeAccessList(f[i++]));
  ASSIGN_OR_RETURN(uint64_t y, f[i++].AsU64("transaction.y_parity"));
  if (y > 1) return Bad("y_parity", "must be 0 or 1");
  stx.signature.y_parity = static_cast<uint8_t>(y);
  ASSIGN_OR_RETURN(stx.signature.r, DecodeScalar(f[i++], "r"));
  ASSIGN_OR_RETURN(stx.signature.s, DecodeScalar(f[i++], "s"));
  return stx;
}

}  // namespace

uint64_t IntrinsicGas(const Transaction& tx) {
  uint64_t gas = kTxGas;
  if (!tx.to) gas += kCreateGas + kInitcodeWordGas * ((tx.data.size() + 31) / 32);
  for (uint8_t b : tx.data) gas += b == 0 ? kZeroByteGas : kNonZeroByteGas;
  for (const AccessListEntry& e : tx.access_list) {
    gas += kAccessListAddressGas + kAccessListKeyGas * e.storage_keys.size();
  }
  return gas;
}

absl::StatusOr<Hash32> SigningHash(const Transaction& tx) {
  RETURN_IF_ERROR(CheckShape(tx));
  RlpEncoder e(256 + tx.data.size());
  e.BeginList();
  AddBody(e, tx);
  if (tx.type == TxType::kLegacy && tx.chain_id) {
    e.AddU64(*tx.chain_id);
    e.AddU64(0);
    e.AddU64(0);
  }
  e.EndList();
  return Keccak256(Envelope(tx.type, std::move(e).Finish()));
}

absl::StatusOr<SignedTransaction> SignTransaction(const Transaction& tx,
                                                  const Secp256k1PrivateKey& key) {
  ASSIGN_OR_RETURN(Hash32 digest, SigningHash(tx));
  const RecoverableSignature sig = key.SignRecoverable(digest);
  return SignedTransaction{tx, TxSignature{sig.v, sig.r, sig.s}};
}

U256 LegacyV(const SignedTransaction& stx) {
  const U256 parity(stx.signature.y_parity);
  if (!stx.tx.chain_id) return *U256(27).CheckedAdd(parity);
  // 35 + 2·chain_id + parity < 2^66, so nothing here can overflow.
  return *(U256(*stx.tx.chain_id) << 1).CheckedAdd(U256(35))->CheckedAdd(parity);
}

Bytes EncodeSigned(const SignedTransaction& stx) {
  const Transaction& tx = stx.tx;
  RlpEncoder e(256 + tx.data.size());
  e.BeginList();
  AddBody(e, tx);
  if (tx.type == TxType::kLegacy) {
    e.AddU256(LegacyV(stx));
  } else {
    e.AddU64(stx.signature.y_parity);
  }
  e.AddU256(ToU256(stx.signature.r));
  e.AddU256(ToU256(stx.signature.s));
  e.EndList();
  return Envelope(tx.type, std::move(e).Finish());
}

absl::StatusOr<SignedTransaction> DecodeTransaction(ByteView raw) {
  if (raw.empty()) return Bad("raw", "empty");
  absl::StatusOr<SignedTransaction> stx;
  if (raw[0] >= 0xc0) {
    ASSIGN_OR_RETURN(RlpItem root, RlpDecode(raw));
    stx = DecodeLegacy(root);
  } else if (raw[0] == 0x01 || raw[0] == 0x02) {
    ASSIGN_OR_RETURN(RlpItem root, RlpDecode(raw.subspan(1)));
    if (!root.is_list()) return Bad("payload", "typed transaction payload must be an RLP list");
    stx = DecodeTyped(static_cast<TxType>(raw[0]), root);
  } else {
    return Bad("type", absl::StrCat("unsupported transaction type byte 0x", absl::Hex(raw[0])));
  }
  if (!stx.ok()) return stx.status();
  RETURN_IF_ERROR(ValidateDecoded(*stx));
  return stx;
}

absl::Status CheckChainId(const SignedTransaction& stx, uint64_t chain_id) {
  if (stx.tx.chain_id && *stx.tx.chain_id != chain_id) {
    return Bad("chain_id", absl::StrCat("is ", *stx.tx.chain_id, ", expected ", chain_id));
  }
  return absl::OkStatus();
}

absl::StatusOr<Address> RecoverSender(const SignedTransaction& stx) {
  ASSIGN_OR_RETURN(Hash32 digest, SigningHash(stx.tx));
  RecoverableSignature sig{stx.signature.r, stx.signature.s, stx.signature.y_parity};
  ASSIGN_OR_RETURN(Secp256k1PublicKey pub, RecoverPublicKey(digest, sig));
  return pub.ToAddress();
}

Hash32 TransactionHash(ByteView raw) { return Keccak256(raw); }

}  // namespace chainkms
