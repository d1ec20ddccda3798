// Reason: the stable, machine-readable cause of an error, attached to an absl::Status.
//
// One enumerator per `chainkms.v1.ErrorReason` value (same names without the ERROR_REASON_
// prefix; a test fails when the two lists differ). Pure code attaches a reason and the metadata
// keys the proto documents for it; lib/server turns both into a google.rpc.ErrorInfo. No gRPC here.
//
//   return WithReason(absl::FailedPreconditionError("the owner of 0xab.. is 0xcd.., not 0xef.."),
//                     Reason::kNotOwner,
//                     {{"contract", Hex0x(app)}, {"owner", Hex0x(owner)}, {"from", Hex0x(from)}});
//   ...
//   if (ReasonOf(status) == Reason::kNotOwner) MetadataOf(status).at("owner");
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace chainkms {

enum class Reason {
  kInvalidField,
  kUnknownChain,
  kUnknownSigner,
  kNotOwner,
  kExecutionReverted,
  kChainUnavailable,
  kHashNotAllowed,
  kAppNotFound,
  kTransactionNotFound,
  kTransactionVerificationFailed,
  kTargetNotAllowed,
  kFunctionNotAllowed,
  kChainIdMismatch,
  kNonceTooLow,
  kInsufficientFunds,
  kUpgradesDisabled,
  kImplementationNotSet,
  kOverloaded,
  kInternal,
  kShuttingDown,
  kKeystoreInvalid,
  kIdempotencyKeyReused,
  kMalformedTransaction,
  kValueNotAllowed,
  kBootDenied,
  kAttestationRejected,
  kAuditUnavailable,
  kChainNotServing,
  kCollateralUnavailable,
  kWorkspaceRequired,
  kCvmNotFound,
  kCvmAppIdConflict,
  kHashRegistrationRequired,
  kHashInvalidOrExpired,
  kDeviceNotAllowed,
  kStoreUnavailable,
  kWebhookNotFound,
  kApiKeyNotFound,
  kUnauthenticated,
  kRateLimited,
};

// Context keys of one reason (lower_snake_case), ordered.
using ReasonMetadata = std::map<std::string, std::string>;

// Every enumerator, in declaration order.
std::span<const Reason> AllReasons();

// "NOT_OWNER" for kNotOwner: the proto name without "ERROR_REASON_".
std::string_view ReasonName(Reason reason);
std::optional<Reason> ParseReason(std::string_view name);

// The metadata keys the proto documents for `reason` (tests check that errors carry them).
std::span<const std::string_view> DocumentedKeys(Reason reason);

// Returns `status` with `reason` and `metadata` attached (absl payloads); a reason already there
// is replaced, metadata keys are merged (new values win). OK stays OK.
absl::Status WithReason(absl::Status status, Reason reason, const ReasonMetadata& metadata = {});

// Adds metadata to a status that may or may not have a reason yet. OK stays OK.
absl::Status WithMetadata(absl::Status status, const ReasonMetadata& metadata);

// INVALID_ARGUMENT "<field>: <what>", reason kInvalidField, metadata field and detail.
absl::Status InvalidFieldError(std::string_view field, std::string_view what);

std::optional<Reason> ReasonOf(const absl::Status& status);
ReasonMetadata MetadataOf(const absl::Status& status);

}  // namespace chainkms
