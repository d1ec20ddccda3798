// Webhook events (DESIGN §5.5): the envelope {id, event, version: "1", created_at, workspace,
// data} as @phala/cloud/webhook receivers read it, and the data of each event provisioning emits.
// The payload is built once per event and sent byte for byte on every attempt.
#pragma once

#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "services/provisioning/store.h"

namespace chainkms::provisioning {

inline constexpr std::string_view kEventCvmCreated = "cvm.created";
inline constexpr std::string_view kEventCvmUpdated = "cvm.updated";
inline constexpr std::string_view kEventCvmBootFailed = "cvm.boot_failed";
inline constexpr std::string_view kEventCvmRunning = "cvm.running";
inline constexpr std::string_view kEventCvmStopped = "cvm.stopped";
inline constexpr std::string_view kEventPendingApproval = "cvm.update.pending_approval";

bool IsKnownEvent(std::string_view event);

// A new event with a fresh evt_ id: the compact JSON envelope around `data`.
OutboxEvent MakeEvent(std::string_view event, std::string_view workspace, absl::Time now,
                      nlohmann::json data);

// RFC 3339 UTC with seconds ("2026-12-02T12:00:00Z").
std::string Rfc3339(int64_t unix_seconds);

// {cvm_id, cvm_name, app_id, compose_hash, device_id, node, status, status_reason, revision}.
nlohmann::json CvmEventData(const CvmRecord& cvm);

}  // namespace chainkms::provisioning
