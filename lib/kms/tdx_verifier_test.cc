// The KMS's TDX verifier over the shared Intel sample: collateral fetched from a (fake) PCCS in
// Intel's wire format and cached until its nextUpdate, the quote verified at the clock's time, and
// the event log / OS image checks that follow. The sample's RTMR3 belongs to no event log we have,
// so a fully verified quote is refused at the event log: that is how far a real quote gets.
#include "lib/kms/tdx_verifier.h"

#include <fstream>
#include <iterator>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/common/hex.h"
#include "lib/kms/pccs.h"
#include "lib/testing/command.h"
#include "lib/testing/fake_clock.h"
#include "lib/testing/fake_pccs.h"
#include "lib/testing/status_matchers.h"

namespace chainkms::kms {
namespace {

using ::chainkms::testutil::HasReason;
using ::testing::HasSubstr;

std::string Read(const std::string& rel) {
  std::ifstream in(testutil::SourceDir() + "/" + rel, std::ios::binary);
  EXPECT_TRUE(in) << rel;
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

attestation::Collateral SampleCollateral() {
  return *attestation::ParseCollateralJson(Read("../shared/vectors/tdx/tdx_quote_collateral.json"));
}

Bytes SampleQuote() {
  const std::string q = Read("../shared/vectors/tdx/tdx_quote.bin");
  return Bytes(q.begin(), q.end());
}

const absl::Time kInside = absl::FromUnixSeconds(1751624191);  // 2025-07-04T10:16:31Z
const absl::Time kWindowEnd = absl::FromUnixSeconds(1752919235);

TEST(RawJsonMember, SlicesTheExactBytesOfATopLevelMember) {
  const std::string body =
      R"( { "a" : {"x":"}\"{","y":[1,{"z":2}]} , "signature":"ab", "n": 12 } )";
  EXPECT_EQ(*RawJsonMember(body, "a"), R"({"x":"}\"{","y":[1,{"z":2}]})");
  EXPECT_EQ(*RawJsonMember(body, "signature"), R"("ab")");
  EXPECT_EQ(*RawJsonMember(body, "n"), "12");
  EXPECT_EQ(RawJsonMember(body, "x").status().code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(RawJsonMember("[1]", "a").ok());
  EXPECT_FALSE(RawJsonMember("{", "a").ok());
}

TEST(Pccs, FetchesTheCollateralByteForByteFromIntelsWireFormat) {
  const attestation::Collateral want = SampleCollateral();
  testutil::FakePccs pccs(want);
  ASSERT_TRUE(pccs.server().Start().ok());
  auto fetch = PccsFetcher({.url = pccs.server().url() + "sgx/certification/v4/"});
  ASSERT_TRUE(fetch.ok()) << fetch.status();
  const FixedBytes<6> fmspc = *FixedBytes<6>::TryFrom(*HexDecode("b0c06f000000"));
  absl::StatusOr<attestation::Collateral> got = (*fetch)(fmspc, attestation::PckCa::kPlatform);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(attestation::CollateralToJson(*got), attestation::CollateralToJson(want));
  EXPECT_THAT(pccs.targets(),
              ::testing::ElementsAre("/sgx/certification/v4/pckcrl?ca=platform&encoding=der",
                                     "/tdx/certification/v4/tcb?fmspc=B0C06F000000",
                                     "/tdx/certification/v4/qe/identity?update=standard",
                                     "/sgx/certification/v4/rootcacrl"));
  pccs.fail_with = 503;
  absl::StatusOr<attestation::Collateral> down = (*fetch)(fmspc, attestation::PckCa::kPlatform);
  EXPECT_EQ(down.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(down.status().message()), HasSubstr("pckcrl"));
}

TEST(Pccs, CollateralIsCachedPerFmspcUntilItsEarliestNextUpdate) {
  testutil::FakePccs pccs(SampleCollateral());
  ASSERT_TRUE(pccs.server().Start().ok());
  attestation::CachingCollateralSource source(*PccsFetcher({.url = pccs.server().url()}));
  const FixedBytes<6> fmspc = *FixedBytes<6>::TryFrom(*HexDecode("b0c06f000000"));
  ASSERT_TRUE(source.Get(fmspc, attestation::PckCa::kPlatform, kInside).ok());
  ASSERT_TRUE(source.Get(fmspc, attestation::PckCa::kPlatform, kInside + absl::Hours(24)).ok());
  EXPECT_EQ(source.fetches(), 1u);
  EXPECT_EQ(pccs.targets().size(), 4u);
  // At the PCK CRL's nextUpdate it is fetched again.
  ASSERT_TRUE(source.Get(fmspc, attestation::PckCa::kPlatform, kWindowEnd).ok());
  EXPECT_EQ(source.fetches(), 2u);
  // A failed fetch serves nothing stale.
  pccs.fail_with = 500;
  EXPECT_EQ(
      source.Get(fmspc, attestation::PckCa::kPlatform, kWindowEnd + absl::Hours(1)).status().code(),
      absl::StatusCode::kUnavailable);
}

TdxEvidence SampleEvidence() {
  TdxEvidence e;
  e.quote = SampleQuote();
  const std::string log =
      R"([{"imr":3,"event_type":134217729,"digest":"","event":"app-id","event_payload":"00"}])";
  e.event_log.assign(log.begin(), log.end());
  e.vm_config = R"({"os_image_hash":")" + std::string(64, 'a') + R"("})";
  return e;
}

TEST(TdxVerifier, AVerifiedQuoteStillNeedsItsEventLogToReplayToRtmr3) {
  testutil::FakePccs pccs(SampleCollateral());
  ASSERT_TRUE(pccs.server().Start().ok());
  attestation::CachingCollateralSource source(*PccsFetcher({.url = pccs.server().url()}));
  testutil::FakeClock clock(kInside);
  TdxAttestationVerifier tdx({.collateral = &source, .clock = &clock});
  absl::StatusOr<VerifiedBoot> boot = tdx.Verify(SampleEvidence());
  EXPECT_THAT(boot.status(), HasReason("ATTESTATION_REJECTED"));
  EXPECT_THAT(std::string(boot.status().message()), HasSubstr("RTMR3 mismatch"));
  // Today the collateral has expired: refused before the event log is looked at.
  clock.Set(absl::FromUnixSeconds(1796169600));
  pccs.fail_with = 0;
  boot = tdx.Verify(SampleEvidence());
  EXPECT_THAT(boot.status(), HasReason("ATTESTATION_REJECTED"));
  EXPECT_THAT(std::string(boot.status().message()), HasSubstr("expired"));
  // PCCS down: UNAVAILABLE, nothing verified, no key.
  pccs.fail_with = 503;
  boot = tdx.Verify(SampleEvidence());
  EXPECT_EQ(boot.status().code(), absl::StatusCode::kUnavailable);
  // Dev claims never reach it.
  EXPECT_THAT(tdx.Verify(DevEvidence{}).status(), HasReason("ATTESTATION_REJECTED"));
}

TEST(TdxVerifier, TheVerdictBecomesTheBootInfoTheContractJudges) {
  TdxVerdict v;
  v.quote.status = "UpToDate";
  v.quote.advisory_ids = {"INTEL-SA-00837"};
  v.quote.report.report_data[0] = 0x55;
  v.boot.app_id[0] = 0xa1;
  v.boot.compose_hash[0] = 0xc1;
  v.boot.instance_id[19] = 0x11;
  v.boot.device_id[0] = 0xd1;
  v.boot.mr_aggregated[0] = 0xa9;
  v.boot.mr_system[0] = 0x59;
  v.boot.key_provider_id = {0x30, 0x59};
  v.os_image_hash[0] = 0x05;
  const VerifiedBoot b = ToVerifiedBoot(v);
  EXPECT_EQ(b.boot_info.app_id[0], 0xa1);
  EXPECT_EQ(b.boot_info.compose_hash, v.boot.compose_hash);
  EXPECT_EQ(b.boot_info.instance_id[19], 0x11);
  EXPECT_EQ(b.boot_info.device_id, v.boot.device_id);
  EXPECT_EQ(b.boot_info.mr_aggregated, v.boot.mr_aggregated);
  EXPECT_EQ(b.boot_info.mr_system, v.boot.mr_system);
  EXPECT_EQ(b.boot_info.os_image_hash, v.os_image_hash);
  EXPECT_EQ(b.boot_info.tcb_status, "UpToDate");
  EXPECT_EQ(b.boot_info.advisory_ids, v.quote.advisory_ids);
  EXPECT_EQ(b.key_provider_id, v.boot.key_provider_id);
  EXPECT_EQ(b.report_data[0], 0x55);
  EXPECT_FALSE(b.dev);
}

}  // namespace
}  // namespace chainkms::kms
