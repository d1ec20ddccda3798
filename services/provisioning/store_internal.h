// Test-free internals shared by store.cc and store_webhooks.cc: SQL text helpers, row decoding and
// the timing wrapper every ProvisioningStore operation goes through.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "lib/common/reason.h"
#include "lib/store/migrations.h"
#include "services/provisioning/store.h"

namespace chainkms::provisioning {
namespace store_internal {

constexpr std::string_view kDeliveryColumns =
    "id, webhook_id, workspace, event_id, event, payload, state, attempts, next_attempt_at, "
    "last_http_status, last_error, created_at, delivered_at";

// a + b + c as one SQL string.
std::string Sql(std::string_view a, std::string_view b, std::string_view c = "");
DeliveryRecord DeliveryFromRow(const store::Row& r);
absl::Status WebhookNotFound(std::string_view id);
// The schema (store_schema.cc).
std::span<const store::Migration> Migrations();

}  // namespace store_internal

// Times `f` into chainkms_store_latency_seconds{op,outcome}; an engine UNAVAILABLE becomes
// STORE_UNAVAILABLE.
template <typename F>
auto ProvisioningStore::Timed(std::string_view op, F&& f) -> decltype(f()) {
  const absl::Time start = absl::Now();
  auto result = f();
  absl::Status status;
  if constexpr (std::is_same_v<decltype(result), absl::Status>) {
    status = result;
  } else {
    status = result.status();
  }
  // Not found and precondition answers are the store working; only failures count as errors.
  const bool ok = status.ok() || (status.code() != absl::StatusCode::kUnavailable &&
                                  status.code() != absl::StatusCode::kInternal);
  if (metrics_ != nullptr) metrics_->RecordStore(op, absl::Now() - start, ok);
  if (status.code() == absl::StatusCode::kUnavailable && !ReasonOf(status).has_value()) {
    return WithReason(
        absl::UnavailableError(absl::StrCat("store unavailable: ", std::string(status.message()))),
        Reason::kStoreUnavailable, {{"detail", std::string(status.message())}});
  }
  return result;
}

}  // namespace chainkms::provisioning
