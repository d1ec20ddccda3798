#include "lib/attestation/quote.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/testing/status_matchers.h"

namespace chainkms::attestation {
namespace {

using ::chainkms::testutil::HasReason;
using ::chainkms::testutil::StatusIs;
using ::testing::HasSubstr;

void U16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v));
  b.push_back(static_cast<uint8_t>(v >> 8));
}
void U32(Bytes& b, uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void Fill(Bytes& b, size_t n, uint8_t v) { b.insert(b.end(), n, v); }

constexpr char kPem[] = "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n";

// A quote with the ATTESTATION.md §1 layout: each field filled with its own byte so a parse that
// reads from the wrong offset shows.
Bytes MakeQuote(uint16_t version = 4, uint16_t body_type = 2, size_t qe_auth = 32) {
  Bytes q;
  U16(q, version);
  U16(q, 2);
  U32(q, 0x81);
  U16(q, 7);  // qe_svn
  U16(q, 9);  // pce_svn
  Fill(q, 16, 0x93);
  Fill(q, 20, 0x20);
  const bool td15 = version == 5 && body_type == 3;
  if (version == 5) {
    U16(q, body_type);
    U32(q, td15 ? 648 : 584);
  }
  const uint8_t fields[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                            0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};
  const size_t sizes[] = {16, 48, 48, 8, 8, 8, 48, 48, 48, 48, 48, 48, 48, 48, 64};
  for (size_t i = 0; i < 15; ++i) Fill(q, sizes[i], fields[i]);
  if (td15) {
    Fill(q, 16, 0x10);
    Fill(q, 48, 0x11);
  }
  Bytes cert;            // QE report certification data
  Fill(cert, 16, 0xc0);  // cpu_svn
  U32(cert, 0x12345678);
  Fill(cert, 28, 0);
  Fill(cert, 16, 0xa7);
  Fill(cert, 32, 0xe1);
  Fill(cert, 32, 0);
  Fill(cert, 32, 0x51);
  Fill(cert, 96, 0);
  U16(cert, 1);
  U16(cert, 8);
  Fill(cert, 60, 0);
  Fill(cert, 64, 0xdd);
  Fill(cert, 64, 0x5a);  // qe_report_signature
  U16(cert, static_cast<uint16_t>(qe_auth));
  Fill(cert, qe_auth, 0xab);
  U16(cert, 5);
  const std::string pem = kPem;
  U32(cert, static_cast<uint32_t>(pem.size() + 1));
  cert.insert(cert.end(), pem.begin(), pem.end());
  cert.push_back(0);
  Bytes auth;
  Fill(auth, 64, 0x5e);  // signature
  Fill(auth, 64, 0x4b);  // attestation key
  U16(auth, 6);
  U32(auth, static_cast<uint32_t>(cert.size()));
  auth.insert(auth.end(), cert.begin(), cert.end());
  U32(q, static_cast<uint32_t>(auth.size()));
  q.insert(q.end(), auth.begin(), auth.end());
  return q;
}

TEST(QuoteTest, ParsesEveryFieldAtItsOffset) {
  const Bytes bytes = MakeQuote();
  ASSERT_OK_AND_ASSIGN(TdxQuote q, ParseTdxQuote(bytes));
  EXPECT_EQ(q.header.version, 4);
  EXPECT_EQ(q.header.qe_svn, 7);
  EXPECT_EQ(q.header.pce_svn, 9);
  EXPECT_EQ(q.signed_bytes.size(), 48u + 584u);
  EXPECT_FALSE(q.report.td15);
  EXPECT_EQ(q.report.mr_td[0], 0x07);
  EXPECT_EQ(q.report.rtmr3[47], 0x0e);
  EXPECT_EQ(q.report.report_data[63], 0x0f);
  EXPECT_EQ(q.signature[0], 0x5e);
  EXPECT_EQ(q.attestation_key[63], 0x4b);
  EXPECT_EQ(q.qe_report.misc_select, 0x12345678u);
  EXPECT_EQ(q.qe_report.mr_signer[0], 0x51);
  EXPECT_EQ(q.qe_report.isv_prod_id, 1);
  EXPECT_EQ(q.qe_report.isv_svn, 8);
  EXPECT_EQ(q.qe_report.report_data[0], 0xdd);
  EXPECT_EQ(q.qe_report_bytes.size(), 384u);
  EXPECT_EQ(q.qe_report_signature[0], 0x5a);
  EXPECT_EQ(q.qe_auth_data, Bytes(32, 0xab));
  EXPECT_EQ(q.pck_chain_pem, kPem);  // the trailing NUL dropped
}

TEST(QuoteTest, ParsesV5WithTd10AndTd15Bodies) {
  ASSERT_OK_AND_ASSIGN(TdxQuote a, ParseTdxQuote(MakeQuote(5, 2)));
  EXPECT_EQ(a.body_type, 2);
  EXPECT_EQ(a.signed_bytes.size(), 54u + 584u);
  ASSERT_OK_AND_ASSIGN(TdxQuote b, ParseTdxQuote(MakeQuote(5, 3)));
  EXPECT_TRUE(b.report.td15);
  EXPECT_EQ(b.report.mr_service_td[0], 0x11);
  EXPECT_EQ(b.signed_bytes.size(), 54u + 648u);
  EXPECT_THAT(ParseTdxQuote(MakeQuote(5, 1)).status(),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("body type 1")));
}

TEST(QuoteTest, EveryTruncationAndNonZeroTrailingBytesAreRefused) {
  const Bytes bytes = MakeQuote();
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_THAT(ParseTdxQuote(ByteView(bytes).first(n)).status(),
                HasReason(Reason::kAttestationRejected))
        << n;
  }
  Bytes padded = bytes;
  padded.insert(padded.end(), 70, 0);  // zero padding, as real quotes have
  EXPECT_TRUE(ParseTdxQuote(padded).ok());
  padded.back() = 1;
  EXPECT_THAT(ParseTdxQuote(padded).status(),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("not zero padding")));
}

TEST(QuoteTest, UnknownVersionsTypesAndOverlongLengthsAreRefusedNamingThem) {
  auto refused = [](Bytes q, size_t at, uint8_t v, const char* what) {
    q[at] = v;
    EXPECT_THAT(ParseTdxQuote(q).status(),
                StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr(what)))
        << what;
  };
  const Bytes q = MakeQuote();
  refused(q, 0, 3, "version 3");
  refused(q, 2, 3, "attestation key type 3");
  refused(q, 4, 0x00, "is not TDX");
  refused(q, 632 + 4 + 128, 5, "certification data type 5");  // cert_type at 764
  refused(q, 632 + 3, 0x7f, "auth_data");                     // auth length huge
  // The inner type (at 1252 with 32 bytes of QE auth data) must be 5.
  refused(q, 1252, 3, "types 2 and 3 need a PCCS");
  // A QE auth data length that overruns its container.
  refused(q, 1218, 0xff, "qe_auth_data");
}

}  // namespace
}  // namespace chainkms::attestation
