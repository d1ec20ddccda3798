// SubmitSignedTransaction's gate: decides whether a caller-signed raw transaction may be
// broadcast — strictly decoded, bound to the request's chain, sent to an allowed contract (the
// named app or the chain's DstackKms) with an allowed write function, and carrying no value.
// Broadcasting (eth_sendRawTransaction) and tracking (TxManager::WaitForReceipt) are the
// caller's.
//
//   std::vector<FunctionSelector> allowed = AppWriteSelectors();
//   ASSIGN_OR_RETURN(CheckedTransaction checked,
//                    CheckSubmittedTransaction(raw, chain_id, {&app_id, 1}, allowed));
//   Use(checked.sender, checked.hash);
//
// Errors are INVALID_ARGUMENT with a reason (chainkms::server::ReasonOf):
//   MALFORMED_TRANSACTION  bytes that DecodeTransaction refuses, or a signature that does not
//                          recover;
//   CHAIN_ID_MISMATCH      bound to another chain, or not bound to any (pre-EIP-155 legacy,
//                          replayable on every chain: refused);
//   TARGET_NOT_ALLOWED     a contract creation or a `to` outside allowed_targets;
//   FUNCTION_NOT_ALLOWED   calldata shorter than 4 bytes or a selector outside allowed_selectors;
//   VALUE_NOT_ALLOWED      a non-zero value (every policy function is non-payable).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/common/bytes.h"
#include "lib/eth/abi_type.h"
#include "lib/eth/transaction.h"

namespace chainkms::registry {

struct CheckedTransaction {
  Address sender;
  Hash32 hash;  // keccak256 of the raw bytes, as nodes index it
  Address to;
  FunctionSelector selector;
  SignedTransaction tx;
};

absl::StatusOr<CheckedTransaction> CheckSubmittedTransaction(
    ByteView raw, uint64_t chain_id, std::span<const Address> allowed_targets,
    std::span<const FunctionSelector> allowed_selectors);

// The state-changing DstackApp functions a submitted transaction to an app may call (policy
// writes, Ownable2Step transferOwnership / acceptOwnership). Upgrades (upgradeToAndCall) are
// not among them.
std::vector<FunctionSelector> AppWriteSelectors();
// The state-changing DstackKms functions a submitted transaction to DstackKms may call (app
// deployment and registration, OS images, KMS MRs and devices, KMS info, app implementation,
// gateway app id, Ownable2Step). Upgrades are not among them.
std::vector<FunctionSelector> KmsWriteSelectors();

}  // namespace chainkms::registry
