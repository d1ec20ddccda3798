#include "lib/kms/sealed.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/common/hex.h"
#include "lib/crypto/hash.h"
#include "lib/crypto/random.h"
#include "lib/crypto/x25519.h"
#include "lib/kms/attestation.h"
#include "lib/testing/status_matchers.h"

namespace chainkms::kms {
namespace {

using ::chainkms::testutil::HasReason;
using ::chainkms::testutil::StatusIs;

struct Recipient {
  SecretBytes priv = RandomSecret(32);
  Hash32 pub = X25519PublicKey(std::span<const uint8_t, 32>(priv.data(), 32));
};

Address App(uint8_t b) {
  Address a;
  a.bytes.fill(b);
  return a;
}

TEST(SealedTest, RoundTripsAndBindsAppAndChain) {
  Recipient r;
  const Bytes plain = {1, 2, 3, 4, 5};
  ASSERT_OK_AND_ASSIGN(Bytes sealed, SealToRecipient(r.pub, App(1), 31337, plain));
  EXPECT_EQ(sealed.size(), plain.size() + kSealedOverhead);
  ASSERT_OK_AND_ASSIGN(SecretBytes opened, OpenSealed(r.priv.view(), sealed, App(1), 31337));
  EXPECT_TRUE(opened.Equals(plain));
  EXPECT_FALSE(OpenSealed(r.priv.view(), sealed, App(2), 31337).ok());
  EXPECT_FALSE(OpenSealed(r.priv.view(), sealed, App(1), 8453).ok());
  Recipient other;
  EXPECT_FALSE(OpenSealed(other.priv.view(), sealed, App(1), 31337).ok());
}

TEST(SealedTest, EveryFlippedByteAndEveryTruncationIsRefused) {
  Recipient r;
  ASSERT_OK_AND_ASSIGN(Bytes sealed, SealToRecipient(r.pub, App(1), 1, Bytes(40, 0xaa)));
  for (size_t i = 0; i < sealed.size(); ++i) {
    Bytes bad = sealed;
    bad[i] ^= 0x01;
    EXPECT_FALSE(OpenSealed(r.priv.view(), bad, App(1), 1).ok()) << "byte " << i;
  }
  for (size_t n = 0; n < sealed.size(); ++n) {
    EXPECT_FALSE(OpenSealed(r.priv.view(), ByteView(sealed).first(n), App(1), 1).ok()) << n;
  }
}

TEST(SealedTest, ALowOrderRecipientKeyIsRefused) {
  EXPECT_THAT(SealToRecipient(Hash32{}, App(1), 1, Bytes{1}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, testing::HasSubstr("recipient")));
}

TEST(SealedTest, ReportDataIsSha512OfTheDomainAndTheKey) {
  Recipient r;
  Bytes msg(AsBytes("chainkms-key-request/v1:").begin(), AsBytes("chainkms-key-request/v1:").end());
  msg.insert(msg.end(), r.pub.begin(), r.pub.end());
  EXPECT_EQ(KeyRequestReportData(r.pub), Sha512(msg));
}

TEST(AttestationTest, BindingChecksReportDataAndKeyProvider) {
  Recipient r;
  const Bytes ca = {0x30, 0x59, 1, 2, 3};
  VerifiedBoot boot{.key_provider_id = ca, .report_data = KeyRequestReportData(r.pub), .dev = true};
  ASSERT_OK(CheckBinding(boot, r.pub, ca));
  Recipient other;
  EXPECT_THAT(CheckBinding(boot, other.pub, ca),
              testing::AllOf(StatusIs(absl::StatusCode::kPermissionDenied),
                             HasReason(Reason::kAttestationRejected)));
  EXPECT_THAT(CheckBinding(boot, r.pub, Bytes{0x30, 0x59, 1, 2, 4}),
              StatusIs(absl::StatusCode::kPermissionDenied, testing::HasSubstr("key provider")));
}

TEST(AttestationTest, RouterRefusesDevWithoutTheDevVerifierAndTdxWithoutOne) {
  DevAttestationVerifier dev;
  EvidenceRouter off(nullptr, nullptr);
  EXPECT_THAT(off.Verify(DevEvidence{}).status(),
              testing::AllOf(StatusIs(absl::StatusCode::kPermissionDenied,
                                      testing::HasSubstr("--insecure-dev-attestation")),
                             HasReason(Reason::kAttestationRejected)));
  EvidenceRouter on(&dev, nullptr);
  ASSERT_OK_AND_ASSIGN(VerifiedBoot b, on.Verify(DevEvidence{}));
  EXPECT_TRUE(b.dev);
  EXPECT_THAT(on.Verify(TdxEvidence{}).status(), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(dev.Verify(TdxEvidence{}).status(), StatusIs(absl::StatusCode::kPermissionDenied));
}

}  // namespace
}  // namespace chainkms::kms
