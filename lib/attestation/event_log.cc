#include "lib/attestation/event_log.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "lib/common/hex.h"
#include "lib/common/json_quote.h"
#include "lib/common/reason.h"
#include "lib/common/status_macros.h"
#include "lib/crypto/hash.h"
#include "nlohmann/json.hpp"

namespace chainkms::attestation {
namespace {

using nlohmann::json;

constexpr size_t kMaxEvents = 4096;
constexpr size_t kMaxPayload = size_t{1} << 20;

absl::Status Bad(size_t index, std::string_view field, std::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("event_log[", index, "].", std::string(field), ": ", std::string(what)));
}

absl::Status Refused(const std::string& detail) {
  return WithReason(
      absl::PermissionDeniedError(absl::StrCat("TDX boot refused (event_log): ", detail)),
      Reason::kAttestationRejected, {{"detail", detail}, {"step", "event_log"}});
}

absl::StatusOr<uint32_t> U32Field(const json& e, size_t i, const char* f) {
  auto it = e.find(f);
  if (it == e.end()) return Bad(i, f, "missing");
  if (!it->is_number_unsigned() || it->get<uint64_t>() > 0xffffffffu) {
    return Bad(i, f, "not a 32-bit unsigned integer");
  }
  return static_cast<uint32_t>(it->get<uint64_t>());
}

absl::StatusOr<Bytes> HexField(const json& e, size_t i, const char* f, bool required) {
  auto it = e.find(f);
  if (it == e.end()) {
    if (required) return Bad(i, f, "missing");
    return Bytes{};
  }
  if (!it->is_string()) return Bad(i, f, "not a hex string");
  const std::string& s = it->get_ref<const std::string&>();
  if (s.size() / 2 > kMaxPayload) return Bad(i, f, "larger than 1 MiB");
  absl::StatusOr<Bytes> b = HexDecode(s, HexPrefix::kForbidden, f);
  if (!b.ok()) return Bad(i, f, "not hex (lower or upper case, no 0x, whole bytes)");
  return b;
}

// The first event named `name` before "system-ready".
const LogEvent* Find(const std::vector<LogEvent>& log, std::string_view name) {
  for (const LogEvent& e : log) {
    if (!e.runtime()) continue;
    if (e.event == "system-ready") break;
    if (e.event == name) return &e;
  }
  return nullptr;
}

bool AllZero(ByteView b) {
  return std::all_of(b.begin(), b.end(), [](uint8_t x) { return x == 0; });
}

}  // namespace

absl::StatusOr<std::vector<LogEvent>> ParseEventLog(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return absl::InvalidArgumentError("event_log: not JSON");
  if (!j.is_array()) return absl::InvalidArgumentError("event_log: not a JSON array");
  if (j.size() > kMaxEvents) {
    return absl::InvalidArgumentError(absl::StrCat("event_log: more than ", kMaxEvents, " events"));
  }
  std::vector<LogEvent> out;
  out.reserve(j.size());
  for (size_t i = 0; i < j.size(); ++i) {
    const json& e = j[i];
    if (!e.is_object()) return Bad(i, "", "not an object");
    LogEvent ev;
    ASSIGN_OR_RETURN(ev.imr, U32Field(e, i, "imr"));
    ASSIGN_OR_RETURN(ev.event_type, U32Field(e, i, "event_type"));
    ASSIGN_OR_RETURN(ev.digest, HexField(e, i, "digest", false));
    auto name = e.find("event");
    if (name == e.end() || !name->is_string()) return Bad(i, "event", "missing or not a string");
    ev.event = name->get<std::string>();
    ASSIGN_OR_RETURN(ev.payload, HexField(e, i, "event_payload", true));
    if (auto v = e.find("version"); v != e.end()) {
      if (!v->is_number_unsigned() || (v->get<uint64_t>() != 1 && v->get<uint64_t>() != 2)) {
        return Bad(i, "version", "unknown event log version (1 or 2)");
      }
      ev.version = static_cast<int>(v->get<uint64_t>());
    }
    if (ev.runtime() && ev.imr != 3) return Bad(i, "imr", "a runtime event must be in IMR 3");
    out.push_back(std::move(ev));
  }
  return out;
}

FixedBytes<48> RuntimeEventDigest(const LogEvent& event) {
  if (event.version == 2) {
    std::string canonical = R"({"name":)";
    AppendJsonQuoted(canonical, event.event);  // RFC 8785 string form
    absl::StrAppend(&canonical, R"(,"payload":")", HexEncode(event.payload), R"(","type":)",
                    kDstackRuntimeEventType, "}");
    return Sha384(AsBytes(canonical));
  }
  const uint8_t type[4] = {0x01, 0x00, 0x00, 0x08};
  return Sha384(
      Concat({ByteView(type, 4), AsBytes(":"), AsBytes(event.event), AsBytes(":"), event.payload}));
}

FixedBytes<48> ReplayRtmr3(const std::vector<LogEvent>& log) {
  FixedBytes<48> mr;
  for (const LogEvent& e : log) {
    if (!e.runtime()) continue;
    mr = Sha384(Concat({mr.view(), RuntimeEventDigest(e).view()}));
  }
  return mr;
}

absl::StatusOr<DstackBoot> DeriveDstackBoot(const TdReport& report, ByteView ppid,
                                            const std::vector<LogEvent>& log) {
  const FixedBytes<48> rtmr3 = ReplayRtmr3(log);
  if (rtmr3 != report.rtmr3) {
    return Refused(absl::StrCat("RTMR3 mismatch: the event log replays to ",
                                HexEncode(rtmr3.view()), ", the quote has ",
                                HexEncode(report.rtmr3.view())));
  }
  DstackBoot boot;
  auto fixed = [&](std::string_view name, size_t size, uint8_t* out,
                   bool may_be_empty) -> absl::Status {
    const LogEvent* e = Find(log, name);
    if (e == nullptr)
      return Refused(absl::StrCat("no ", std::string(name), " event before system-ready"));
    if (may_be_empty && e->payload.empty()) return absl::OkStatus();
    if (e->payload.size() != size) {
      return Refused(absl::StrCat(std::string(name), " payload is ", e->payload.size(),
                                  " bytes, expected ", size));
    }
    std::memcpy(out, e->payload.data(), size);
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(fixed("app-id", 20, boot.app_id.data(), false));
  RETURN_IF_ERROR(fixed("compose-hash", 32, boot.compose_hash.data(), false));
  RETURN_IF_ERROR(fixed("instance-id", 20, boot.instance_id.data(), true));
  const LogEvent* kp = Find(log, "key-provider");
  if (kp == nullptr) return Refused("no key-provider event before system-ready");
  const std::string info(kp->payload.begin(), kp->payload.end());
  json kpj = json::parse(info, nullptr, /*allow_exceptions=*/false);
  if (kpj.is_discarded() || !kpj.is_object() || kpj.size() != 2 || !kpj.contains("name") ||
      !kpj.contains("id") || !kpj["name"].is_string() || !kpj["id"].is_string()) {
    return Refused("key-provider payload is not {\"name\":…,\"id\":…}");
  }
  boot.key_provider_name = kpj["name"].get<std::string>();
  if (boot.key_provider_name != "kms") {
    return Refused(absl::StrCat("key provider is '", boot.key_provider_name, "', not kms"));
  }
  absl::StatusOr<Bytes> id = HexDecode(kpj["id"].get<std::string>(), HexPrefix::kForbidden, "id");
  if (!id.ok() || id->empty()) return Refused("key-provider id is not hex");
  boot.key_provider_id = *std::move(id);
  boot.key_provider_info = kp->payload;
  boot.mr_key_provider = Sha256(kp->payload);
  boot.device_id = Sha256(ppid);
  boot.mr_system = Sha256(Concat({report.mr_td.view(), report.rtmr0.view(), report.rtmr1.view(),
                                  report.rtmr2.view(), boot.mr_key_provider.view()}));
  Bytes agg = Concat({report.mr_td.view(), report.rtmr0.view(), report.rtmr1.view(),
                      report.rtmr2.view(), report.rtmr3.view()});
  if (!AllZero(report.mr_config_id.view()) || !AllZero(report.mr_owner.view()) ||
      !AllZero(report.mr_owner_config.view())) {
    agg = Concat(
        {agg, report.mr_config_id.view(), report.mr_owner.view(), report.mr_owner_config.view()});
  }
  boot.mr_aggregated = Sha256(agg);
  return boot;
}

absl::StatusOr<OsImageMeasurements> ParseOsImageMeasurements(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError("os image measurements: not a JSON object");
  }
  OsImageMeasurements out;
  for (const auto& [hash, list] : j.items()) {
    absl::StatusOr<Hash32> h = ParseHash32(hash, "os image hash");
    if (!h.ok())
      return absl::InvalidArgumentError(
          absl::StrCat("os image measurements: key '", hash, "' is not a 32-byte hex hash"));
    if (!list.is_array() || list.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("os image measurements: ", hash, " needs a non-empty list"));
    }
    std::vector<OsImageMeasurement>& ms = out[HexEncode(h->view())];
    for (const json& m : list) {
      OsImageMeasurement om;
      for (auto [name, field] : {std::pair<const char*, FixedBytes<48>*>{"mrtd", &om.mr_td},
                                 {"rtmr0", &om.rtmr0},
                                 {"rtmr1", &om.rtmr1},
                                 {"rtmr2", &om.rtmr2}}) {
        if (!m.is_object() || !m.contains(name) || !m[name].is_string()) {
          return absl::InvalidArgumentError(
              absl::StrCat("os image measurements: ", hash, ": missing ", name));
        }
        absl::StatusOr<Bytes> b = HexDecode(m[name].get<std::string>(), HexPrefix::kOptional, name);
        std::optional<FixedBytes<48>> f;
        if (b.ok()) f = FixedBytes<48>::TryFrom(*b);
        if (!f)
          return absl::InvalidArgumentError(absl::StrCat("os image measurements: ", hash, ": ",
                                                         name, " must be 48 bytes of hex"));
        *field = *f;
      }
      ms.push_back(om);
    }
  }
  return out;
}

absl::StatusOr<Hash32> CheckOsImage(std::string_view vm_config, const TdReport& report,
                                    const OsImageMeasurements& measurements,
                                    bool allow_unmeasured) {
  auto refuse = [](const std::string& detail) {
    return WithReason(
        absl::PermissionDeniedError(absl::StrCat("TDX boot refused (os_image): ", detail)),
        Reason::kAttestationRejected, {{"detail", detail}, {"step", "os_image"}});
  };
  json j = json::parse(vm_config, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return refuse("vm_config is not a JSON object");
  if (!j.contains("os_image_hash") || !j["os_image_hash"].is_string()) {
    return refuse("vm_config has no os_image_hash");
  }
  absl::StatusOr<Hash32> hash = ParseHash32(j["os_image_hash"].get<std::string>(), "os_image_hash");
  if (!hash.ok()) return refuse("vm_config os_image_hash is not 32 bytes of hex");
  auto it = measurements.find(HexEncode(hash->view()));
  if (it != measurements.end()) {
    for (const OsImageMeasurement& m : it->second) {
      if (m.mr_td == report.mr_td && m.rtmr0 == report.rtmr0 && m.rtmr1 == report.rtmr1 &&
          m.rtmr2 == report.rtmr2) {
        return *hash;
      }
    }
  }
  if (allow_unmeasured) return *hash;
  return refuse(absl::StrCat("os image ", HexEncode(hash->view()),
                             it == measurements.end()
                                 ? " has no configured measurement (--os-image-measurements)"
                                 : " does not match the quote's MRTD/RTMR0-2"));
}

}  // namespace chainkms::attestation
