// Classification of JSON-RPC error replies ({"code":..,"message":..,"data":..}) into what a caller
// can act on, carried on absl::Status as a payload so it survives RETURN_IF_ERROR.
//
//   absl::StatusOr<nlohmann::json> r = rpc.Call("eth_sendRawTransaction", {raw_hex});
//   if (std::optional<RpcError> e = GetRpcError(r.status());
//       e && e->kind == RpcErrorKind::kNonceTooLow) { /* reconcile the nonce lane */ }
//
// Wordings recognised (case-insensitive) come from geth, erigon, anvil, nethermind, besu,
// openethereum/parity, hardhat and the hosted providers (infura, alchemy, quicknode).
// Status codes: execution reverted, nonce too low/high, replacement underpriced, insufficient funds
// → FAILED_PRECONDITION; already known → ALREADY_EXISTS; rate limited → RESOURCE_EXHAUSTED;
// invalid params → INVALID_ARGUMENT; method not found → UNIMPLEMENTED; anything else UNAVAILABLE
// (a node that errs on a read is treated as a node in trouble, so failover may ask another).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "lib/common/bytes.h"
#include "nlohmann/json.hpp"

namespace chainkms {

enum class RpcErrorKind {
  kNonceTooLow,
  kNonceTooHigh,
  kReplacementUnderpriced,
  kAlreadyKnown,
  kInsufficientFunds,
  kExecutionReverted,
  kRateLimited,
  kMethodNotFound,
  kInvalidParams,
  kOther,
};

// "nonce_too_low", "execution_reverted", ... — stable strings for metrics and ErrorInfo reasons.
std::string_view RpcErrorKindName(RpcErrorKind kind);

// The JSON-RPC error as the node sent it, with its classification.
struct RpcError {
  RpcErrorKind kind = RpcErrorKind::kOther;
  int64_t code = 0;
  std::string message;  // as sent by the node
  Bytes data;           // revert data (hex `data` decoded), empty when the node sent none
};

// Type URL of the payload that carries an RpcError on an absl::Status.
inline constexpr char kRpcErrorTypeUrl[] = "type.chainkms.dev/RpcError";

// Classifies from code + message alone (no data needed).
RpcErrorKind ClassifyRpcError(int64_t code, std::string_view message);

// Parses a JSON-RPC `error` object into an RpcError; nullopt when it is not an object with a
// numeric code (the caller then treats the reply as malformed).
std::optional<RpcError> ParseRpcError(const nlohmann::json& error);

// The status for an error reply: the code above, a message such as
// "eth_call: execution reverted: Compose hash not allowed" (revert data decoded by
// lib/eth/revert.h, with `custom_error_signatures` such as "OwnableUnauthorizedAccount(address)"),
// and the RpcError attached as payload.
absl::Status RpcErrorToStatus(const RpcError& error, std::string_view method,
                              std::span<const std::string> custom_error_signatures = {});

// The RpcError attached by RpcErrorToStatus, or nullopt (OK status, transport errors, ...).
std::optional<RpcError> GetRpcError(const absl::Status& status);

// One line for a revert carried on `status`, decoded with the caller's own custom errors, e.g.
// "OwnableUnauthorizedAccount(0x5B38…)"; nullopt unless the status is an execution revert.
std::optional<std::string> DescribeRevert(const absl::Status& status,
                                          std::span<const std::string> custom_error_signatures);

// True for a body that is a rate-limit notice rather than a JSON-RPC answer ("Too Many Requests",
// "rate limit", "exceeded its compute units", ...). Used on non-JSON bodies and error messages.
bool LooksRateLimited(std::string_view text);

}  // namespace chainkms
