#include "services/provisioning/events.h"

#include "lib/common/hex.h"
#include "lib/webhook/sign.h"

namespace chainkms::provisioning {

bool IsKnownEvent(std::string_view event) {
  return event == kEventCvmCreated || event == kEventCvmUpdated || event == kEventCvmBootFailed ||
         event == kEventCvmRunning || event == kEventCvmStopped || event == kEventPendingApproval;
}

std::string Rfc3339(int64_t unix_seconds) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(unix_seconds),
                          absl::UTCTimeZone());
}

OutboxEvent MakeEvent(std::string_view event, std::string_view workspace, absl::Time now,
                      nlohmann::json data) {
  OutboxEvent e;
  e.event_id = webhook::NewEventId();
  e.event = std::string(event);
  nlohmann::json envelope = {
      {"id", e.event_id},
      {"event", e.event},
      {"version", "1"},
      {"created_at", Rfc3339(absl::ToUnixSeconds(now))},
      {"workspace", {{"id", std::string(workspace)}, {"name", std::string(workspace)}}},
      {"data", std::move(data)},
  };
  e.payload = envelope.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
  return e;
}

nlohmann::json CvmEventData(const CvmRecord& cvm) {
  return {
      {"cvm_id", cvm.id},
      {"cvm_name", cvm.name},
      {"app_id", Hex0x(cvm.app_id.bytes)},
      {"compose_hash", Hex0x(cvm.compose_hash.bytes)},
      {"device_id", Hex0x(cvm.device_id.bytes)},
      {"node", cvm.node},
      {"status", cvm.status},
      {"status_reason", cvm.status_reason},
      {"revision", cvm.revision},
  };
}

}  // namespace chainkms::provisioning
