#include "lib/common/reason.h"

#include <array>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace chainkms {
namespace {

// absl payload keys: the reason name, and one payload per metadata key.
constexpr std::string_view kReasonPayloadUrl = "chainkms.dev/reason";
constexpr std::string_view kMetadataPayloadPrefix = "chainkms.dev/metadata/";

struct ReasonInfo {
  Reason reason;
  std::string_view name;
  std::array<std::string_view, 4> keys;  // as documented in common.proto; "" = none
};

constexpr std::array<ReasonInfo, 40> kReasons = {{
    {Reason::kInvalidField, "INVALID_FIELD", {"field", "detail"}},
    {Reason::kUnknownChain, "UNKNOWN_CHAIN", {"chain_id"}},
    {Reason::kUnknownSigner, "UNKNOWN_SIGNER", {"from"}},
    {Reason::kNotOwner, "NOT_OWNER", {"contract", "owner", "from"}},
    {Reason::kExecutionReverted, "EXECUTION_REVERTED", {"revert_reason", "revert_data"}},
    {Reason::kChainUnavailable, "CHAIN_UNAVAILABLE", {"chain_id"}},
    {Reason::kHashNotAllowed, "HASH_NOT_ALLOWED", {"app_id", "compose_hash"}},
    {Reason::kAppNotFound, "APP_NOT_FOUND", {"app_id"}},
    {Reason::kTransactionNotFound, "TRANSACTION_NOT_FOUND", {"tx_hash"}},
    {Reason::kTransactionVerificationFailed,
     "TRANSACTION_VERIFICATION_FAILED",
     {"tx_hash", "detail"}},
    {Reason::kTargetNotAllowed, "TARGET_NOT_ALLOWED", {"to"}},
    {Reason::kFunctionNotAllowed, "FUNCTION_NOT_ALLOWED", {"selector"}},
    {Reason::kChainIdMismatch, "CHAIN_ID_MISMATCH", {"chain_id", "tx_chain_id"}},
    {Reason::kNonceTooLow, "NONCE_TOO_LOW", {"from", "nonce"}},
    {Reason::kInsufficientFunds, "INSUFFICIENT_FUNDS", {"from"}},
    {Reason::kUpgradesDisabled, "UPGRADES_DISABLED", {"app_id"}},
    {Reason::kImplementationNotSet, "IMPLEMENTATION_NOT_SET", {"kms_contract"}},
    {Reason::kOverloaded, "OVERLOADED", {}},
    {Reason::kInternal, "INTERNAL", {}},
    {Reason::kShuttingDown, "SHUTTING_DOWN", {}},
    {Reason::kKeystoreInvalid, "KEYSTORE_INVALID", {"file"}},
    {Reason::kIdempotencyKeyReused, "IDEMPOTENCY_KEY_REUSED", {"idempotency_key", "tx_hash"}},
    {Reason::kMalformedTransaction, "MALFORMED_TRANSACTION", {"detail"}},
    {Reason::kValueNotAllowed, "VALUE_NOT_ALLOWED", {"value_wei"}},
    {Reason::kBootDenied, "BOOT_DENIED", {"contract_reason", "app_id", "chain_id", "block_number"}},
    {Reason::kAttestationRejected, "ATTESTATION_REJECTED", {"detail", "step"}},
    {Reason::kAuditUnavailable, "AUDIT_UNAVAILABLE", {}},
    {Reason::kChainNotServing, "CHAIN_NOT_SERVING", {"chain_id", "detail"}},
    {Reason::kCollateralUnavailable, "COLLATERAL_UNAVAILABLE", {"fmspc", "detail"}},
    {Reason::kWorkspaceRequired, "WORKSPACE_REQUIRED", {}},
    {Reason::kCvmNotFound, "CVM_NOT_FOUND", {"cvm_id"}},
    {Reason::kCvmAppIdConflict, "CVM_APP_ID_CONFLICT", {"app_id", "compose_hash"}},
    {Reason::kHashRegistrationRequired, "HASH_REGISTRATION_REQUIRED", {"app_id", "compose_hash"}},
    {Reason::kHashInvalidOrExpired, "HASH_INVALID_OR_EXPIRED", {"detail"}},
    {Reason::kDeviceNotAllowed, "DEVICE_NOT_ALLOWED", {"app_id", "device_id"}},
    {Reason::kStoreUnavailable, "STORE_UNAVAILABLE", {"detail"}},
    {Reason::kWebhookNotFound, "WEBHOOK_NOT_FOUND", {"webhook_id"}},
    {Reason::kApiKeyNotFound, "API_KEY_NOT_FOUND", {"key_id"}},
    {Reason::kUnauthenticated, "UNAUTHENTICATED", {}},
    {Reason::kRateLimited, "RATE_LIMITED", {"retry_after_ms"}},
}};

constexpr std::array<Reason, kReasons.size()> MakeAll() {
  std::array<Reason, kReasons.size()> out{};
  for (size_t i = 0; i < kReasons.size(); ++i) out[i] = kReasons[i].reason;
  return out;
}
constexpr std::array<Reason, kReasons.size()> kAll = MakeAll();

// kReasons is indexed by the enumerator's value.
constexpr bool InEnumOrder() {
  for (size_t i = 0; i < kReasons.size(); ++i) {
    if (static_cast<size_t>(kReasons[i].reason) != i) return false;
  }
  return true;
}
static_assert(InEnumOrder(), "kReasons must list every Reason in declaration order");
static_assert(static_cast<size_t>(Reason::kRateLimited) + 1 == kReasons.size());

const ReasonInfo& Info(Reason r) { return kReasons[static_cast<size_t>(r)]; }

// Keys per reason without the "" padding, built once.
struct KeyLists {
  std::array<std::array<std::string_view, 4>, kReasons.size()> keys{};
  std::array<size_t, kReasons.size()> counts{};
  KeyLists() {
    for (size_t i = 0; i < kReasons.size(); ++i) {
      for (std::string_view k : kReasons[i].keys) {
        if (!k.empty()) keys[i][counts[i]++] = k;
      }
    }
  }
};

}  // namespace

std::span<const Reason> AllReasons() { return kAll; }

std::string_view ReasonName(Reason reason) { return Info(reason).name; }

std::optional<Reason> ParseReason(std::string_view name) {
  for (const ReasonInfo& r : kReasons) {
    if (r.name == name) return r.reason;
  }
  return std::nullopt;
}

std::span<const std::string_view> DocumentedKeys(Reason reason) {
  static const KeyLists* lists = new KeyLists();
  const size_t i = static_cast<size_t>(reason);
  return std::span<const std::string_view>(lists->keys[i].data(), lists->counts[i]);
}

absl::Status WithMetadata(absl::Status status, const ReasonMetadata& metadata) {
  if (status.ok()) return status;
  for (const auto& [key, value] : metadata) {
    status.SetPayload(std::string(kMetadataPayloadPrefix) + key, absl::Cord(value));
  }
  return status;
}

absl::Status WithReason(absl::Status status, Reason reason, const ReasonMetadata& metadata) {
  if (status.ok()) return status;
  status.SetPayload(std::string(kReasonPayloadUrl), absl::Cord(std::string(ReasonName(reason))));
  return WithMetadata(std::move(status), metadata);
}

absl::Status InvalidFieldError(std::string_view field, std::string_view what) {
  return WithReason(absl::InvalidArgumentError(std::string(field) + ": " + std::string(what)),
                    Reason::kInvalidField,
                    {{"field", std::string(field)}, {"detail", std::string(what)}});
}

std::optional<Reason> ReasonOf(const absl::Status& status) {
  auto payload = status.GetPayload(std::string(kReasonPayloadUrl));
  if (!payload.has_value()) return std::nullopt;
  return ParseReason(std::string(*payload));
}

ReasonMetadata MetadataOf(const absl::Status& status) {
  ReasonMetadata out;
  status.ForEachPayload([&](absl::string_view url, const absl::Cord& value) {
    const std::string_view u(url.data(), url.size());
    if (u.starts_with(kMetadataPayloadPrefix)) {
      out[std::string(u.substr(kMetadataPayloadPrefix.size()))] = std::string(value);
    }
  });
  return out;
}

}  // namespace chainkms
