// Ethereum transactions: legacy (EIP-155), EIP-2930 access-list and EIP-1559 dynamic-fee.
// Builds, signs and encodes them byte-for-byte as `cast mktx` does, and decodes raw transactions
// with the stateless validity rules a node applies before accepting one.
//
//   Transaction tx{.type = TxType::kDynamicFee, .chain_id = 1, .nonce = 7, ...};
//   ASSIGN_OR_RETURN(SignedTransaction st, SignTransaction(tx, key));
//   Bytes raw = EncodeSigned(st);                  // eth_sendRawTransaction payload
//   ASSIGN_OR_RETURN(SignedTransaction back, DecodeTransaction(raw));
//   ASSIGN_OR_RETURN(Address from, RecoverSender(back));
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/common/bytes.h"
#include "lib/common/u256.h"
#include "lib/crypto/secp256k1.h"

namespace chainkms {

enum class TxType : uint8_t { kLegacy = 0x00, kAccessList = 0x01, kDynamicFee = 0x02 };

struct AccessListEntry {
  Address address;
  std::vector<Hash32> storage_keys;
  friend bool operator==(const AccessListEntry&, const AccessListEntry&) = default;
};

// The unsigned transaction. Fields that a type does not use must stay zero/empty:
// legacy and kAccessList use gas_price; kDynamicFee uses the two max_* fees; only typed
// transactions carry an access list.
struct Transaction {
  TxType type = TxType::kDynamicFee;
  // Required for typed transactions; for legacy, nullopt means pre-EIP-155 (replayable).
  std::optional<uint64_t> chain_id;
  uint64_t nonce = 0;
  U256 gas_price;
  U256 max_priority_fee_per_gas;
  U256 max_fee_per_gas;
  uint64_t gas_limit = 0;
  std::optional<Address> to;  // nullopt: contract creation
  U256 value;
  Bytes data;
  std::vector<AccessListEntry> access_list;
  friend bool operator==(const Transaction&, const Transaction&) = default;
};

// y_parity is the recovery id (0/1) for every type; legacy v is derived from it and chain_id.
struct TxSignature {
  uint8_t y_parity = 0;
  Hash32 r;
  Hash32 s;
  friend bool operator==(const TxSignature&, const TxSignature&) = default;
};

struct SignedTransaction {
  Transaction tx;
  TxSignature signature;
  friend bool operator==(const SignedTransaction&, const SignedTransaction&) = default;
};

// Intrinsic gas as of Shanghai: 21000 (+32000 and 2 per initcode word for a create),
// 4/16 per zero/nonzero data byte, 2400 per access-list address, 1900 per storage key.
uint64_t IntrinsicGas(const Transaction& tx);

// The digest that is signed: keccak256 of the EIP-155 / EIP-2718 signing payload.
// INVALID_ARGUMENT when a typed transaction has no chain_id or fields of another type are set.
absl::StatusOr<Hash32> SigningHash(const Transaction& tx);

// Signs with RFC 6979 (deterministic, low-S). Errors as SigningHash.
absl::StatusOr<SignedTransaction> SignTransaction(const Transaction& tx,
                                                  const Secp256k1PrivateKey& key);

// The raw bytes: rlp([...]) for legacy, type byte ‖ rlp([...]) for typed transactions.
Bytes EncodeSigned(const SignedTransaction& stx);

// The legacy v value: 27/28, or 35 + 2·chain_id + y_parity under EIP-155.
U256 LegacyV(const SignedTransaction& stx);

// Strict decoding of raw bytes. INVALID_ARGUMENT (naming the field) for: unknown type, wrong
// field count, non-canonical RLP or integers, `to` not 0 or 20 bytes, access-list address not
// 20 bytes or key not 32, r/s outside [1, n-1], high s, bad v / y_parity, gas_limit above
// 2^64-1, nonce of 2^64-1 or more (EIP-2681), chain id 0, max_priority_fee > max_fee, gas_limit
// below intrinsic gas, gas_limit × fee over 2^256-1, initcode above 49152 bytes. It does not
// recover the sender (RecoverSender does) and does not know the network (CheckChainId does).
absl::StatusOr<SignedTransaction> DecodeTransaction(ByteView raw);

// INVALID_ARGUMENT unless the transaction is bound to `chain_id` (pre-EIP-155 legacy
// transactions, which carry no chain id, are accepted on every chain).
absl::Status CheckChainId(const SignedTransaction& stx, uint64_t chain_id);

// INVALID_ARGUMENT when the signature does not recover to a key.
absl::StatusOr<Address> RecoverSender(const SignedTransaction& stx);

// keccak256 of the raw encoding, as nodes index transactions.
Hash32 TransactionHash(ByteView raw);

}  // namespace chainkms
