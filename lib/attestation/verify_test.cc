#include "lib/attestation/verify.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/testing/status_matchers.h"

namespace chainkms::attestation {
namespace {

using ::chainkms::testutil::HasReason;
using ::testing::HasSubstr;

TcbLevel Level(uint8_t sgx, uint16_t pce, std::vector<uint8_t> tdx, std::string status) {
  TcbLevel l;
  l.sgx_components.assign(16, sgx);
  l.pce_svn = pce;
  tdx.resize(16, 0);
  l.tdx_components = tdx;
  l.status.status = std::move(status);
  return l;
}

FixedBytes<16> Svn(std::vector<uint8_t> v) {
  v.resize(16, 0);
  return *FixedBytes<16>::TryFrom(v);
}

// The versioned-module rule (verify.h): with tee_tcb_svn[1] > 0, bytes 0–1 are the module's SVN
// and version, graded by tdxModuleIdentities, so tdxtcbcomponents are compared from index 2 as
// Intel's QVL does. dcap-qvl 0.5.2 compares all 16 and would fall to a lower level here.
TEST(MatchPlatformTcb, AVersionedModuleIsComparedFromIndexTwo) {
  std::vector<TcbLevel> levels = {Level(2, 11, {5, 2, 2}, "UpToDate"),
                                  Level(2, 5, {0, 0, 0}, "OutOfDate")};
  const FixedBytes<16> cpu = Svn(std::vector<uint8_t>(16, 2));
  const FixedBytes<16> tee = Svn({6, 1, 3});  // module SVN 6, version 1 (below the level's 2)
  ASSERT_EQ(TdxComponentsFrom(tee), 2u);
  auto intel = MatchPlatformTcb(levels, cpu, 11, tee, TdxComponentsFrom(tee), true);
  ASSERT_TRUE(intel.ok());
  ASSERT_TRUE(intel->has_value());
  EXPECT_EQ((*intel)->status, "UpToDate");
  auto all16 = MatchPlatformTcb(levels, cpu, 11, tee, 0, true);
  ASSERT_TRUE(all16.ok());
  EXPECT_EQ((*all16)->status, "OutOfDate");
  // An unversioned module (tee_tcb_svn[1] == 0) is compared on all 16 bytes.
  const FixedBytes<16> legacy = Svn({4, 0, 3});
  EXPECT_EQ(TdxComponentsFrom(legacy), 0u);
  auto old = MatchPlatformTcb(levels, cpu, 11, legacy, TdxComponentsFrom(legacy), true);
  EXPECT_EQ((*old)->status, "OutOfDate");
}

TEST(MatchPlatformTcb, PceSvnAndCpuSvnPickTheFirstLevelMet) {
  std::vector<TcbLevel> levels = {Level(3, 11, {}, "UpToDate"),
                                  Level(2, 11, {}, "SWHardeningNeeded"),
                                  Level(1, 5, {}, "OutOfDate")};
  const FixedBytes<16> tee = Svn({});
  EXPECT_EQ((**MatchPlatformTcb(levels, Svn(std::vector<uint8_t>(16, 3)), 11, tee, 0, true)).status,
            "UpToDate");
  EXPECT_EQ((**MatchPlatformTcb(levels, Svn(std::vector<uint8_t>(16, 3)), 10, tee, 0, true)).status,
            "OutOfDate");
  EXPECT_EQ((**MatchPlatformTcb(levels, Svn(std::vector<uint8_t>(16, 2)), 11, tee, 0, true)).status,
            "SWHardeningNeeded");
  EXPECT_FALSE(MatchPlatformTcb(levels, Svn({}), 11, tee, 0, true)->has_value());
  levels[0].sgx_components.resize(15);
  EXPECT_THAT(MatchPlatformTcb(levels, Svn({}), 11, tee, 0, true).status().message(),
              HasSubstr("expected 16"));
}

TEST(TcbLevels, AreSortedIntoIntelsCanonicalOrder) {
  std::vector<TcbLevel> levels = {Level(1, 5, {}, "OutOfDate"), Level(2, 11, {}, "UpToDate"),
                                  Level(2, 5, {}, "OutOfDate"), Level(2, 11, {1}, "UpToDate")};
  CanonicalizeTcbLevels(levels);
  EXPECT_EQ(levels[0].tdx_components[0], 1);
  EXPECT_EQ(levels[1].pce_svn, 11);
  EXPECT_EQ(levels[2].pce_svn, 5);
  EXPECT_EQ(levels[3].sgx_components[0], 1);
}

TEST(MergeStatus, TakesTheWorseAndUnitesAdvisoriesInOrder) {
  TcbStatus a{"UpToDate", {"INTEL-SA-1", "INTEL-SA-2"}};
  TcbStatus b{"ConfigurationNeeded", {"INTEL-SA-2", "INTEL-SA-3"}};
  TcbStatus m = MergeStatus(a, b);
  EXPECT_EQ(m.status, "ConfigurationNeeded");
  EXPECT_EQ(m.advisory_ids, (std::vector<std::string>{"INTEL-SA-1", "INTEL-SA-2", "INTEL-SA-3"}));
  EXPECT_EQ(MergeStatus(TcbStatus{"Revoked", {}}, TcbStatus{"OutOfDate", {}}).status, "Revoked");
  EXPECT_EQ(MergeStatus(TcbStatus{"OutOfDate", {}}, TcbStatus{"UpToDate", {}}).status, "OutOfDate");
}

TEST(TcbPolicy, DefaultsToUpToDateWithoutAdvisoriesAndNeverAcceptsRevoked) {
  VerifiedQuote v;
  v.status = "UpToDate";
  EXPECT_TRUE(CheckTcbPolicy(v, TcbPolicy{}).ok());
  v.advisory_ids = {"INTEL-SA-00837"};
  EXPECT_THAT(CheckTcbPolicy(v, TcbPolicy{}), HasReason("ATTESTATION_REJECTED"));
  TcbPolicy lenient;
  lenient.accepted_advisories = {"INTEL-SA-00837"};
  EXPECT_TRUE(CheckTcbPolicy(v, lenient).ok());
  v.status = "SWHardeningNeeded";
  EXPECT_FALSE(CheckTcbPolicy(v, lenient).ok());
  lenient.accepted_statuses.insert("SWHardeningNeeded");
  EXPECT_TRUE(CheckTcbPolicy(v, lenient).ok());
  v.status = "Revoked";
  lenient.accepted_statuses.insert("Revoked");
  EXPECT_THAT(CheckTcbPolicy(v, lenient).message(), HasSubstr("never accepted"));
}

TEST(ParseTcbInfo, RefusesWhatIsNotIntelsShape) {
  EXPECT_FALSE(ParseTcbInfo("[]").ok());
  EXPECT_FALSE(ParseTcbInfo("not json").ok());
  const std::string good =
      R"({"id":"TDX","version":3,"issueDate":"2025-06-19T10:16:03Z","nextUpdate":"2025-07-19T10:16:03Z",)"
      R"("fmspc":"B0C06F000000","pceId":"0000","tcbType":0,"tcbEvaluationDataNumber":17,"tcbLevels":[]})";
  ASSERT_TRUE(ParseTcbInfo(good).ok()) << ParseTcbInfo(good).status();
  std::string bad = good;
  bad.replace(bad.find("B0C06F000000"), 12, "B0C06F0000");
  EXPECT_THAT(ParseTcbInfo(bad).status().message(), HasSubstr("fmspc"));
  bad = good;
  bad.replace(bad.find("2025-06-19T10:16:03Z"), 20, "yesterday");
  EXPECT_THAT(ParseTcbInfo(bad).status().message(), HasSubstr("issueDate"));
  bad = good;
  bad.replace(bad.find("\"tcbLevels\":[]"), 14,
              R"("tcbLevels":[{"tcb":{"sgxtcbcomponents":[],"pcesvn":1},"tcbStatus":"Great"}])");
  EXPECT_THAT(ParseTcbInfo(bad).status().message(), HasSubstr("unknown status"));
}

}  // namespace
}  // namespace chainkms::attestation
