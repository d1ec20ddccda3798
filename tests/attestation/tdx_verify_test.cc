// The shared Intel TDX quote against its collateral: every single-byte flip in every signed region
// is refused by the step that owns the region, and the window edges, CRL mix-ups and the
// collateral's own PCK chain behave as ATTESTATION.md says.
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/attestation/pki.h"
#include "lib/attestation/quote.h"
#include "tests/attestation/tdx_sample.h"

namespace chainkms::attestation::tdxtest {
namespace {

using ::testing::HasSubstr;

TEST(TdxVerify, TheSampleIsAcceptedInsideItsWindow) {
  const Sample& s = LoadSample();
  const Verdict v = Judge(s.quote, s.collateral, kInsideWindow);
  ASSERT_TRUE(v.ok) << v.message;
  EXPECT_EQ(v.status, "UpToDate");
  EXPECT_TRUE(v.advisory_ids.empty());
}

TEST(TdxVerify, EverySingleByteFlipInEverySignedRegionIsRefusedByItsStep) {
  size_t flips = 0;
  for (const Region& region : SignedRegions()) {
    ASSERT_GT(region.size, 0u) << region.name;
    const std::set<std::string> allowed(region.steps.begin(), region.steps.end());
    std::map<std::string, size_t> by_step;
    for (size_t i = 0; i < region.size; ++i) {
      Sample s = LoadSample();
      region.flip(s, i);
      const Verdict v = Judge(s.quote, s.collateral, kInsideWindow);
      ++flips;
      ASSERT_FALSE(v.ok) << region.name << " byte " << i << " flipped was accepted";
      ASSERT_TRUE(allowed.contains(v.step))
          << region.name << " byte " << i << ": refused by '" << v.step << "' (" << v.message
          << "), expected one of " << absl::StrJoin(region.steps, ",");
      ++by_step[v.step];
    }
    std::string summary;
    for (const auto& [step, n] : by_step) absl::StrAppend(&summary, " ", step, "=", n);
    std::cout << region.name << " (" << region.size << " bytes):" << summary << "\n";
  }
  EXPECT_GT(flips, 10000u);
}

TEST(TdxVerify, TheWindowEdgesAreEnforced) {
  const Sample& s = LoadSample();
  // The latest issue date is the QE identity's, 2025-06-19T10:32:27Z.
  Verdict early = Judge(s.quote, s.collateral, absl::FromUnixSeconds(1750329147 - 1));
  EXPECT_FALSE(early.ok);
  EXPECT_EQ(early.step, "qe_identity");
  EXPECT_THAT(early.message, HasSubstr("QE Identity issue date is in the future"));
  EXPECT_TRUE(Judge(s.quote, s.collateral, absl::FromUnixSeconds(1750329147)).ok);
  // The PCK CRL's nextUpdate (2025-07-19T10:00:35Z) comes before the TCB info's (10:16:03Z):
  // an expired CRL refuses the PCK chain (dcap-qvl-js would still accept here).
  Verdict crl = Judge(s.quote, s.collateral, absl::FromUnixSeconds(1752919235 + 60));
  EXPECT_FALSE(crl.ok);
  EXPECT_EQ(crl.step, "pck_chain");
  EXPECT_THAT(crl.message, HasSubstr("CRL has expired"));
  Verdict tcb = Judge(s.quote, s.collateral, absl::FromUnixSeconds(1752920163 + 1));
  EXPECT_FALSE(tcb.ok);
  EXPECT_THAT(tcb.message, HasSubstr("TCBInfo expired"));
  // Today even the root CA CRL (nextUpdate 2026-04-03) has expired: refused before anything else.
  Verdict today = Judge(s.quote, s.collateral, kToday);
  EXPECT_FALSE(today.ok);
  EXPECT_EQ(today.step, "root_ca");
  EXPECT_THAT(today.message, HasSubstr("root CA CRL: expired"));
}

TEST(TdxVerify, CrlsMustBeTheRightOnesAndParse) {
  const Sample& base = LoadSample();
  {
    Sample s = base;
    std::swap(s.collateral.root_ca_crl, s.collateral.pck_crl);
    const Verdict v = Judge(s.quote, s.collateral, kInsideWindow);
    EXPECT_FALSE(v.ok);
    EXPECT_EQ(v.step, "root_ca");
    EXPECT_THAT(v.message, HasSubstr("not issued by the Intel SGX Root CA"));
  }
  {
    Sample s = base;
    s.collateral.pck_crl = s.collateral.root_ca_crl;  // no CRL from the Platform CA
    const Verdict v = Judge(s.quote, s.collateral, kInsideWindow);
    EXPECT_FALSE(v.ok);
    EXPECT_EQ(v.step, "pck_chain");
    EXPECT_THAT(v.message, HasSubstr("unable to get certificate CRL"));
  }
  for (const Bytes& garbage : {Bytes{}, Bytes{0x30, 0x00}, Bytes(64, 0xab)}) {
    Sample s = base;
    s.collateral.root_ca_crl = garbage;
    const Verdict v = Judge(s.quote, s.collateral, kInsideWindow);
    EXPECT_FALSE(v.ok);
    EXPECT_EQ(v.step, "collateral");
    EXPECT_THAT(v.message, HasSubstr("root CA CRL"));
  }
}

TEST(TdxVerify, TheCollateralsPckChainIsUsedWhenPresent) {
  const Sample& base = LoadSample();
  const absl::StatusOr<TdxQuote> q = ParseTdxQuote(base.quote);
  ASSERT_TRUE(q.ok());
  Sample s = base;
  s.collateral.pck_certificate_chain = q->pck_chain_pem;
  EXPECT_TRUE(Judge(s.quote, s.collateral, kInsideWindow).ok);
  s.collateral.pck_certificate_chain = s.collateral.tcb_info_issuer_chain;  // no SGX extension
  const Verdict v = Judge(s.quote, s.collateral, kInsideWindow);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.step, "pck_chain");
}

TEST(TdxVerify, TheTraceExplainsEveryStepInOrder) {
  const Sample& s = LoadSample();
  auto prepared = PrepareCollateral(s.collateral);
  ASSERT_TRUE(prepared.ok());
  std::vector<VerifyStep> trace;
  ASSERT_TRUE(VerifyTdxQuote(s.quote, **prepared, kInsideWindow, &trace).ok());
  std::vector<std::string> names;
  for (const VerifyStep& step : trace) {
    EXPECT_TRUE(step.ok) << step.step;
    names.push_back(step.step);
  }
  EXPECT_EQ(absl::StrJoin(names, " "),
            "root_ca header tcb_info qe_identity pck_chain qe_report_signature qe_report_data "
            "qe_identity_policy quote_signature fmspc platform_tcb tdx_module tcb_status "
            "td_attributes");
  trace.clear();
  EXPECT_FALSE(VerifyTdxQuote(s.quote, **prepared, kToday, &trace).ok());
  ASSERT_FALSE(trace.empty());
  EXPECT_EQ(trace.back().step, "root_ca");
  EXPECT_FALSE(trace.back().ok);
  EXPECT_EQ(trace.back().detail, "root CA CRL: expired");
}

TEST(TdxVerify, AWarmCollateralAnswersExactlyAsAColdOneAtEveryTime) {
  const Sample& s = LoadSample();
  auto warm = PrepareCollateral(s.collateral);
  ASSERT_TRUE(warm.ok());
  ASSERT_TRUE(VerifyTdxQuote(s.quote, **warm, kInsideWindow).ok());  // fills the memo
  for (int64_t t : {int64_t{1750329146}, int64_t{1750329147}, int64_t{1751624191},
                    int64_t{1752919234}, int64_t{1752919235}, int64_t{1752920163},
                    int64_t{1752920164}, int64_t{1796169600}, int64_t{1700000000}}) {
    const absl::Time at = absl::FromUnixSeconds(t);
    auto cold = PrepareCollateral(s.collateral);
    ASSERT_TRUE(cold.ok());
    const absl::StatusOr<VerifiedQuote> a = VerifyTdxQuote(s.quote, **warm, at);
    const absl::StatusOr<VerifiedQuote> b = VerifyTdxQuote(s.quote, **cold, at);
    EXPECT_EQ(a.ok(), b.ok()) << t;
    EXPECT_EQ(a.status().message(), b.status().message()) << t;
  }
}

TEST(TdxVerify, ThePinnedRootIsTheOneTheSampleChainsEndWith) {
  const Sample& s = LoadSample();
  for (const std::string& pem :
       {s.collateral.tcb_info_issuer_chain, s.collateral.qe_identity_issuer_chain,
        s.collateral.pck_crl_issuer_chain}) {
    absl::StatusOr<CertChain> chain = ParsePemChain(pem, "chain");
    ASSERT_TRUE(chain.ok());
    EXPECT_EQ(chain->der.back(), IntelSgxRootCaDer());
  }
}

}  // namespace
}  // namespace chainkms::attestation::tdxtest
