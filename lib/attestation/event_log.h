// The dstack event log and the boot it proves (DESIGN §5.6): RTMR3 replay, the app's identity from
// its events, and the measurements dstack's KMS derives.
//
//   ASSIGN_OR_RETURN(std::vector<LogEvent> log, ParseEventLog(event_log_json));
//   ASSIGN_OR_RETURN(DstackBoot boot, DeriveDstackBoot(verified.report, verified.ppid, log));
//
// The log is the JSON array a dstack guest sends: {imr, event_type, digest, event, event_payload
// (hex), version?}. Runtime events are those with event_type 0x08000001; they must sit in IMR 3,
// and their digest is always recomputed from name and payload, never taken from the log:
//   v1: SHA-384(u32_le(0x08000001) ‖ ":" ‖ name ‖ ":" ‖ payload)
//   v2: SHA-384 of the RFC 8785 JSON {"name":…,"payload":"<lower hex>","type":134217729}
// RTMR3 = fold(SHA-384(rtmr ‖ digest)) from 48 zero bytes over the runtime events, in order, and
// must equal the quote's RTMR3. Lookups take the first event of a name before "system-ready".
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "lib/attestation/quote.h"
#include "lib/common/bytes.h"

namespace chainkms::attestation {

inline constexpr uint32_t kDstackRuntimeEventType = 0x08000001;

struct LogEvent {
  uint32_t imr = 0;
  uint32_t event_type = 0;
  Bytes digest;  // as logged; only boot-time (non-runtime) events keep one, and it is not used
  std::string event;
  Bytes payload;
  int version = 1;
  bool runtime() const { return event_type == kDstackRuntimeEventType; }
};

// INVALID_ARGUMENT naming the entry and field: not an array, a missing field, bad hex, a version
// other than 1 or 2, a runtime event outside IMR 3. At most 4096 events and 1 MiB of payload each.
absl::StatusOr<std::vector<LogEvent>> ParseEventLog(std::string_view json);

FixedBytes<48> RuntimeEventDigest(const LogEvent& event);
FixedBytes<48> ReplayRtmr3(const std::vector<LogEvent>& log);

// What the boot proves, as dstack's KMS derives it.
struct DstackBoot {
  FixedBytes<20> app_id;
  Hash32 compose_hash;
  FixedBytes<20> instance_id;  // zero when the app runs without instance ids
  Hash32 device_id;            // SHA-256(PPID)
  Hash32 mr_key_provider;      // SHA-256(key-provider payload)
  Hash32 mr_system;            // SHA-256(MRTD ‖ RTMR0 ‖ RTMR1 ‖ RTMR2 ‖ mr_key_provider)
  Hash32 mr_aggregated;  // SHA-256(MRTD ‖ RTMR0..3 [‖ MRCONFIGID ‖ MROWNER ‖ MROWNERCONFIG])
  std::string key_provider_name;  // "kms"
  Bytes key_provider_id;          // the KMS root CA's SubjectPublicKeyInfo DER
  Bytes key_provider_info;        // the exact payload
};

// PERMISSION_DENIED / ATTESTATION_REJECTED (step "event_log") when the replay misses the quote's
// RTMR3, or app-id (20 bytes), compose-hash (32), instance-id (0 or 20) or a key-provider
// {"name":"kms","id":"<hex>"} is missing or malformed before system-ready.
absl::StatusOr<DstackBoot> DeriveDstackBoot(const TdReport& report, ByteView ppid,
                                            const std::vector<LogEvent>& log);

// OS images by measurement: the MRTD and RTMR0–2 a CVM booted from an image shows (one image can
// have several, e.g. per CPU count / memory size).
struct OsImageMeasurement {
  FixedBytes<48> mr_td;
  FixedBytes<48> rtmr0;
  FixedBytes<48> rtmr1;
  FixedBytes<48> rtmr2;
};
// {"<os_image_hash hex>": [{"mrtd": hex, "rtmr0": hex, "rtmr1": hex, "rtmr2": hex}, …], …}
using OsImageMeasurements = absl::flat_hash_map<std::string, std::vector<OsImageMeasurement>>;
absl::StatusOr<OsImageMeasurements> ParseOsImageMeasurements(std::string_view json);

// The os_image_hash of `vm_config` (dstack's VmConfig JSON), accepted only when the report's
// MRTD and RTMR0–2 equal a measurement configured for that hash. `allow_unmeasured` (an explicit
// insecure flag) forwards the claimed hash without that proof. ATTESTATION_REJECTED otherwise.
absl::StatusOr<Hash32> CheckOsImage(std::string_view vm_config, const TdReport& report,
                                    const OsImageMeasurements& measurements, bool allow_unmeasured);

}  // namespace chainkms::attestation
