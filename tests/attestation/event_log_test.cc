// dstack event logs (tests/attestation/event_log_vectors.json, written by gen_event_log_vectors.py
// from an independent Python implementation, the first case captured from a dstack-0.6.0 CVM):
// RTMR3 replay and every boot-info field, then tampering (reorder, drop, add, alter) is refused.
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/attestation/event_log.h"
#include "lib/common/hex.h"
#include "lib/testing/command.h"
#include "nlohmann/json.hpp"

namespace chainkms::attestation {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;

json Vectors() {
  std::ifstream in(testutil::SourceDir() + "/tests/attestation/event_log_vectors.json");
  EXPECT_TRUE(in) << "missing event_log_vectors.json";
  return json::parse(in);
}

template <size_t N>
FixedBytes<N> Hex(const json& v) {
  return *FixedBytes<N>::TryFrom(*HexDecode(v.get<std::string>()));
}

TdReport ReportOf(const json& r) {
  TdReport t;
  t.mr_td = Hex<48>(r["mr_td"]);
  t.rtmr0 = Hex<48>(r["rtmr0"]);
  t.rtmr1 = Hex<48>(r["rtmr1"]);
  t.rtmr2 = Hex<48>(r["rtmr2"]);
  t.rtmr3 = Hex<48>(r["rtmr3"]);
  t.mr_config_id = Hex<48>(r["mr_config_id"]);
  t.mr_owner = Hex<48>(r["mr_owner"]);
  t.mr_owner_config = Hex<48>(r["mr_owner_config"]);
  return t;
}

absl::StatusOr<DstackBoot> Derive(const json& c, const json& log) {
  absl::StatusOr<std::vector<LogEvent>> events = ParseEventLog(log.dump());
  if (!events.ok()) return events.status();
  return DeriveDstackBoot(ReportOf(c["report"]), *HexDecode(c["ppid"].get<std::string>()), *events);
}

TEST(EventLogVectors, EveryCaseReplaysAndYieldsItsBootInfo) {
  const json vectors = Vectors();
  ASSERT_GE(vectors.size(), 3u);
  for (const json& c : vectors) {
    SCOPED_TRACE(c["name"].get<std::string>());
    absl::StatusOr<std::vector<LogEvent>> events = ParseEventLog(c["event_log"].dump());
    ASSERT_TRUE(events.ok()) << events.status();
    const json& want = c["expected"];
    EXPECT_EQ(HexEncode(ReplayRtmr3(*events).view()), want["rtmr3"]);
    absl::StatusOr<DstackBoot> boot = Derive(c, c["event_log"]);
    ASSERT_TRUE(boot.ok()) << boot.status();
    EXPECT_EQ(HexEncode(boot->app_id.view()), want["app_id"]);
    EXPECT_EQ(HexEncode(boot->compose_hash.view()), want["compose_hash"]);
    EXPECT_EQ(HexEncode(boot->instance_id.view()), want["instance_id"]);
    EXPECT_EQ(HexEncode(boot->key_provider_id), want["key_provider_id"]);
    EXPECT_EQ(boot->key_provider_name, "kms");
    EXPECT_EQ(HexEncode(boot->mr_key_provider.view()), want["mr_key_provider"]);
    EXPECT_EQ(HexEncode(boot->device_id.view()), want["device_id"]);
    EXPECT_EQ(HexEncode(boot->mr_system.view()), want["mr_system"]);
    EXPECT_EQ(HexEncode(boot->mr_aggregated.view()), want["mr_aggregated"]);
  }
}

TEST(EventLogVectors, TheCaptureReplaysToItsQuotesRtmr3) {
  const json c = Vectors()[0];
  EXPECT_EQ(c["expected"]["rtmr3"], c["report"]["rtmr3"]);
}

TEST(EventLogVectors, ReorderedDroppedAddedOrAlteredEventsMissRtmr3) {
  const json c = Vectors()[0];
  const json& log = c["event_log"];
  auto refused = [&](const json& tampered, const std::string& what) {
    absl::StatusOr<DstackBoot> boot = Derive(c, tampered);
    EXPECT_FALSE(boot.ok()) << what;
    EXPECT_THAT(std::string(boot.status().message()), HasSubstr("RTMR3 mismatch")) << what;
  };
  for (size_t i = 0; i + 1 < log.size(); ++i) {
    json t = log;
    std::swap(t[i], t[i + 1]);
    refused(t, absl::StrCat("swap ", i));
  }
  for (size_t i = 0; i < log.size(); ++i) {
    json t = log;
    t.erase(i);
    refused(t, absl::StrCat("drop ", i));
  }
  for (size_t i = 0; i <= log.size(); ++i) {
    json t = log;
    t.insert(t.begin() + static_cast<std::ptrdiff_t>(i),
             json{{"imr", 3},
                  {"event_type", kDstackRuntimeEventType},
                  {"digest", ""},
                  {"event", "app-id"},
                  {"event_payload", std::string(40, 'a')}});
    refused(t, absl::StrCat("insert at ", i));
  }
  for (size_t i = 0; i < log.size(); ++i) {
    json t = log;
    t[i]["event_payload"] = t[i]["event_payload"].get<std::string>() + "00";
    refused(t, absl::StrCat("payload of ", i));
    t = log;
    t[i]["event"] = t[i]["event"].get<std::string>() + "x";
    refused(t, absl::StrCat("name of ", i));
    t = log;
    t[i]["version"] = 2;
    refused(t, absl::StrCat("version of ", i));
  }
  // A logged digest is never believed: any value leaves the replay as it was.
  json t = log;
  t[1]["digest"] = std::string(96, 'f');
  EXPECT_TRUE(Derive(c, t).ok());
}

TEST(EventLog, MalformedLogsAreRefusedNamingTheField) {
  auto err = [](const std::string& text) {
    absl::StatusOr<std::vector<LogEvent>> r = ParseEventLog(text);
    EXPECT_FALSE(r.ok()) << text;
    return std::string(r.status().message());
  };
  EXPECT_THAT(err("{}"), HasSubstr("not a JSON array"));
  EXPECT_THAT(err("[1]"), HasSubstr("event_log[0]"));
  EXPECT_THAT(err(R"([{"imr":3,"event_type":134217729,"event":"x"}])"), HasSubstr("event_payload"));
  EXPECT_THAT(err(R"([{"imr":3,"event_type":134217729,"event":"x","event_payload":"0x00"}])"),
              HasSubstr("event_payload"));
  EXPECT_THAT(err(R"([{"imr":3,"event_type":134217729,"event":"x","event_payload":"abc"}])"),
              HasSubstr("event_payload"));
  EXPECT_THAT(
      err(R"([{"imr":3,"event_type":134217729,"event":"x","event_payload":"","version":3}])"),
      HasSubstr("version"));
  EXPECT_THAT(err(R"([{"imr":1,"event_type":134217729,"event":"x","event_payload":""}])"),
              HasSubstr("IMR 3"));
  EXPECT_THAT(err(R"([{"imr":-1,"event_type":134217729,"event":"x","event_payload":""}])"),
              HasSubstr("imr"));
}

TEST(EventLog, MissingOrMalformedIdentityEventsAreRefused) {
  const json c = Vectors()[0];
  auto with_payload = [&](const std::string& name, const std::string& payload_hex) {
    json log = c["event_log"];
    for (json& e : log) {
      if (e["event"] == name) e["event_payload"] = payload_hex;
    }
    json cc = c;
    // Replay the tampered log so only the field check can refuse it.
    absl::StatusOr<std::vector<LogEvent>> events = ParseEventLog(log.dump());
    cc["report"]["rtmr3"] = HexEncode(ReplayRtmr3(*events).view());
    return Derive(cc, log);
  };
  EXPECT_THAT(std::string(with_payload("app-id", "00").status().message()), HasSubstr("app-id"));
  EXPECT_THAT(std::string(with_payload("compose-hash", "").status().message()),
              HasSubstr("compose-hash"));
  EXPECT_THAT(std::string(with_payload("instance-id", "0011").status().message()),
              HasSubstr("instance-id"));
  EXPECT_TRUE(with_payload("instance-id", "").ok());
  const std::string local = HexEncode(AsBytes(R"({"name":"local-sgx","id":"00"})"));
  EXPECT_THAT(std::string(with_payload("key-provider", local).status().message()),
              HasSubstr("not kms"));
  EXPECT_THAT(std::string(with_payload("key-provider", "7b7d").status().message()),
              HasSubstr("key-provider payload"));
  // An identity event that only appears after system-ready does not count.
  json log = c["event_log"];
  json moved = log[1];
  log.erase(1);
  log.push_back(moved);
  json cc = c;
  absl::StatusOr<std::vector<LogEvent>> events = ParseEventLog(log.dump());
  cc["report"]["rtmr3"] = HexEncode(ReplayRtmr3(*events).view());
  EXPECT_THAT(std::string(Derive(cc, log).status().message()),
              HasSubstr("no app-id event before system-ready"));
}

TEST(OsImage, OnlyAConfiguredMeasurementProvesTheImage) {
  const json c = Vectors()[0];
  const TdReport report = ReportOf(c["report"]);
  const std::string hash = "07a2388c7a6a1b6a646d443f1517990a4ec294471d63146cda9d56972765051d";
  const std::string vm = json{{"os_image_hash", hash}, {"cpu_count", 2}}.dump();
  const json& r = c["report"];
  absl::StatusOr<OsImageMeasurements> ms = ParseOsImageMeasurements(json{
      {hash,
       {{{"mrtd", r["mr_td"]},
         {"rtmr0", r["rtmr0"]},
         {"rtmr1", r["rtmr1"]},
         {"rtmr2", r["rtmr2"]}}}}}.dump());
  ASSERT_TRUE(ms.ok()) << ms.status();
  absl::StatusOr<Hash32> ok = CheckOsImage(vm, report, *ms, false);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(HexEncode(ok->view()), hash);
  // Another RTMR1 (another kernel): refused, unless the insecure flag forwards the claim.
  TdReport other = report;
  other.rtmr1[0] ^= 1;
  EXPECT_THAT(std::string(CheckOsImage(vm, other, *ms, false).status().message()),
              HasSubstr("does not match"));
  EXPECT_TRUE(CheckOsImage(vm, other, *ms, true).ok());
  EXPECT_THAT(std::string(CheckOsImage(vm, report, {}, false).status().message()),
              HasSubstr("no configured measurement"));
  EXPECT_FALSE(CheckOsImage("{}", report, *ms, true).ok());
  EXPECT_FALSE(CheckOsImage(R"({"os_image_hash":"07a2"})", report, *ms, true).ok());
  EXPECT_FALSE(ParseOsImageMeasurements(R"({"zz":[]})").ok());
  EXPECT_FALSE(ParseOsImageMeasurements(json{{hash, {{{"mrtd", "00"}}}}}.dump()).ok());
}

}  // namespace
}  // namespace chainkms::attestation
