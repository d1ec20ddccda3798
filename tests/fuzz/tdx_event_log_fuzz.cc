// The dstack event log and the VM config on arbitrary bytes: parsing never crashes, a parsed log
// replays, the boot derivation refuses (the report's RTMR3 is zero unless the log replays to zero)
// without reading past anything, and the OS image check handles any vm_config.
#include <cstdlib>
#include <string>

#include "lib/attestation/event_log.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace chainkms::attestation;  // NOLINT(google-build-using-namespace)
  const std::string text(reinterpret_cast<const char*>(data), size);
  TdReport report;
  auto log = ParseEventLog(text);
  if (log.ok()) {
    report.rtmr3 = ReplayRtmr3(*log);
    auto boot = DeriveDstackBoot(report, chainkms::ByteView(data, size < 16 ? size : 16), *log);
    if (boot.ok() && boot->key_provider_name != "kms") std::abort();
  }
  (void)CheckOsImage(text, report, {}, true);
  (void)ParseOsImageMeasurements(text);
  return 0;
}
