// ClassifyChainError: gives an error from lib/jsonrpc or lib/chain its stable Reason and the
// metadata common.proto documents, from the structured RpcError payload and the status code —
// never from the message text. A status that already has a reason is returned unchanged.
//
//   absl::Status s = ClassifyChainError(txm.Send(...).status(), chain.chain_id);
//   // a revert at estimate → FAILED_PRECONDITION, EXECUTION_REVERTED, revert_reason/revert_data
//
// Mapping: revert → EXECUTION_REVERTED; insufficient funds → INSUFFICIENT_FUNDS and nonce too
// low → NONCE_TOO_LOW (both FAILED_PRECONDITION); UNAVAILABLE / DEADLINE_EXCEEDED /
// RESOURCE_EXHAUSTED → CHAIN_UNAVAILABLE; a node's own INVALID_PARAMS or method-not-found answer
// → INTERNAL (the request we built, not the caller's field, was refused); INVALID_ARGUMENT raised
// by our own validation → INVALID_FIELD; INTERNAL / UNKNOWN / DATA_LOSS → INTERNAL. Chain errors
// carry metadata chain_id.
#pragma once

#include <cstdint>

#include "absl/status/status.h"

namespace chainkms {

absl::Status ClassifyChainError(absl::Status status, uint64_t chain_id = 0);

}  // namespace chainkms
