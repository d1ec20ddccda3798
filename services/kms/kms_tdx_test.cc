// GetAppKey with Intel TDX evidence through the gRPC service, against a real anvil: the shared
// Intel sample is verified with collateral from a (fake) PCCS, and then — since its RTMR3 belongs
// to no event log we have — refused at the event log, with nothing sealed. Expired collateral and
// an unreachable PCCS release nothing either.
#include <fstream>
#include <iterator>

#include "chainkms/v1/kms.pb.h"
#include "lib/kms/pccs.h"
#include "lib/kms/tdx_verifier.h"
#include "lib/testing/command.h"
#include "lib/testing/fake_clock.h"
#include "lib/testing/fake_pccs.h"
#include "services/kms/kms_fixture_test.h"

namespace chainkms::kms {
namespace {

std::string ReadShared(const std::string& rel) {
  std::ifstream in(testutil::SourceDir() + "/../shared/vectors/" + rel, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

class KmsTdxTest : public KmsWorldTest {
 protected:
  static void SetUpTestSuite() {
    KmsWorldTest::SetUpTestSuite();
    if (error_ != nullptr) return;
    auto collateral = attestation::ParseCollateralJson(ReadShared("tdx/tdx_quote_collateral.json"));
    if (!collateral.ok()) return Fail(collateral.status());
    pccs_ = new testutil::FakePccs(*collateral);
    if (absl::Status s = pccs_->server().Start(); !s.ok()) return Fail(s);
    auto fetch = PccsFetcher({.url = pccs_->server().url()});
    if (!fetch.ok()) return Fail(fetch.status());
    source_ = new attestation::CachingCollateralSource(*std::move(fetch));
    clock_ = new testutil::FakeClock(absl::FromUnixSeconds(1751624191));  // inside the window
    tdx_ = new TdxAttestationVerifier({.collateral = source_, .clock = clock_});
    auto h = MakeHarness(*world_, {.dev_attestation = false, .tdx = tdx_});
    if (!h.ok()) return Fail(h.status());
    harness_ = h->release();
  }
  static void TearDownTestSuite() {
    delete harness_;
    delete tdx_;
    delete clock_;
    delete source_;
    delete pccs_;
    KmsWorldTest::TearDownTestSuite();
  }

  static pb::GetAppKeyRequest TdxRequest(const Recipient& r) {
    pb::GetAppKeyRequest req;
    req.set_chain_id(kChainId);
    req.set_recipient_public_key(Raw(r.pub));
    const std::string quote = ReadShared("tdx/tdx_quote.bin");
    req.mutable_tdx()->set_quote(quote);
    req.mutable_tdx()->set_event_log(
        R"([{"imr":3,"event_type":134217729,"digest":"","event":"app-id","event_payload":"00"}])");
    req.mutable_tdx()->set_vm_config(R"({"os_image_hash":")" + std::string(64, 'a') + R"("})");
    return req;
  }

  static inline testutil::FakePccs* pccs_ = nullptr;
  static inline attestation::CachingCollateralSource* source_ = nullptr;
  static inline testutil::FakeClock* clock_ = nullptr;
  static inline TdxAttestationVerifier* tdx_ = nullptr;
  static inline Harness* harness_ = nullptr;
};

TEST_F(KmsTdxTest, AVerifiedQuoteWhoseEventLogMissesRtmr3GetsNothing) {
  clock_->Set(absl::FromUnixSeconds(1751624191));
  pccs_->fail_with = 0;
  Recipient r;
  pb::GetAppKeyResponse resp;
  grpc::Status s = harness_->GetAppKey(TdxRequest(r), &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  EXPECT_EQ(ReasonOf(s), "ATTESTATION_REJECTED");
  EXPECT_EQ(MetadataValue(s, "step"), "event_log");
  EXPECT_NE(MetadataValue(s, "detail").find("RTMR3 mismatch"), std::string::npos);
  EXPECT_TRUE(resp.sealed_keys().empty());
  // The collateral was fetched once (4 PCS requests) and is reused by the next request.
  const size_t fetched = pccs_->targets().size();
  EXPECT_EQ(harness_->GetAppKey(TdxRequest(r), &resp).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(pccs_->targets().size(), fetched);
}

TEST_F(KmsTdxTest, ExpiredCollateralOrAnUnreachablePccsReleasesNothing) {
  Recipient r;
  pb::GetAppKeyResponse resp;
  clock_->Set(absl::FromUnixSeconds(1796169600));  // 2026-12-02: the sample's collateral expired
  pccs_->fail_with = 0;
  grpc::Status s = harness_->GetAppKey(TdxRequest(r), &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  EXPECT_EQ(ReasonOf(s), "ATTESTATION_REJECTED");
  EXPECT_NE(MetadataValue(s, "detail").find("expired"), std::string::npos);
  EXPECT_TRUE(resp.sealed_keys().empty());
  pccs_->fail_with = 503;
  clock_->Advance(absl::Hours(24 * 400));  // past every cached nextUpdate: a fetch is needed
  s = harness_->GetAppKey(TdxRequest(r), &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_EQ(ReasonOf(s), "COLLATERAL_UNAVAILABLE");
  EXPECT_EQ(MetadataValue(s, "fmspc"), "B0C06F000000");
  EXPECT_TRUE(resp.sealed_keys().empty());
  pccs_->fail_with = 0;
}

TEST_F(KmsTdxTest, DevClaimsAreRefusedWhenOnlyTdxIsAccepted) {
  Recipient r;
  pb::GetAppKeyResponse resp;
  grpc::Status s = harness_->GetAppKey(world_->DevRequest(r, *app_, kHash, kDevice), &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ReasonOf(s), "ATTESTATION_REJECTED");
  EXPECT_NE(s.error_message().find("--insecure-dev-attestation"), std::string::npos);
}

}  // namespace
}  // namespace chainkms::kms
