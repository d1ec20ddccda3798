// The real Intel TDX quote in ../shared/vectors/tdx parses strictly, with the layout ATTESTATION.md
// §1 gives, and verifies against its Intel collateral inside the collateral's window (UpToDate, no
// advisories) and nowhere else. Flips and the second implementation: tests/attestation.
#include <filesystem>
#include <fstream>
#include <iterator>

#include "gtest/gtest.h"
#include "lib/attestation/quote.h"
#include "lib/attestation/verify.h"
#include "lib/common/hex.h"
#include "tests/vectors/vectors.h"

namespace chainkms::vectors {
namespace {

TEST(TdxVectors, TheSampleQuoteParses) {
  std::ifstream in(VectorsDir() / "tdx" / "tdx_quote.bin", std::ios::binary);
  ASSERT_TRUE(in) << "missing vectors/tdx/tdx_quote.bin";
  const Bytes quote((std::istreambuf_iterator<char>(in)), {});
  absl::StatusOr<attestation::TdxQuote> q = attestation::ParseTdxQuote(quote);
  CountVectorCase("tdx", q.ok());
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->header.version, 4);
  EXPECT_EQ(q->header.tee_type, 0x81u);
  EXPECT_EQ(HexEncode(q->header.qe_vendor_id.view()), "939a7233f79c4ca9940a0db3957f0607");
  EXPECT_EQ(q->signed_bytes.size(), 632u);
  EXPECT_EQ(q->qe_auth_data.size(), 32u);
  // Three PEM certificates: PCK leaf, intermediate CA, Intel SGX Root CA.
  size_t certs = 0;
  for (size_t at = 0;
       (at = q->pck_chain_pem.find("-----BEGIN CERTIFICATE-----", at)) != std::string::npos; ++at) {
    ++certs;
  }
  EXPECT_EQ(certs, 3u);
}

Bytes ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), {});
}

TEST(TdxVectors, TheSampleQuoteVerifiesUpToDateInsideItsCollateralWindowOnly) {
  const Bytes quote = ReadFile(VectorsDir() / "tdx" / "tdx_quote.bin");
  const Bytes json = ReadFile(VectorsDir() / "tdx" / "tdx_quote_collateral.json");
  absl::StatusOr<attestation::Collateral> c =
      attestation::ParseCollateralJson(std::string(json.begin(), json.end()));
  ASSERT_TRUE(c.ok()) << c.status();
  auto prepared = attestation::PrepareCollateral(*std::move(c));
  ASSERT_TRUE(prepared.ok()) << prepared.status();
  // The window: latest issue (QE identity 2025-06-19T10:32:27Z) to earliest next update (PCK CRL
  // 2025-07-19T10:00:35Z).
  EXPECT_EQ((*prepared)->window_begin, absl::FromUnixSeconds(1750329147));
  EXPECT_EQ((*prepared)->window_end, absl::FromUnixSeconds(1752919235));
  absl::StatusOr<attestation::VerifiedQuote> v =
      attestation::VerifyTdxQuote(quote, **prepared, absl::FromUnixSeconds(1751624191));
  CountVectorCase("tdx", v.ok());
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->status, "UpToDate");
  EXPECT_TRUE(v->advisory_ids.empty());
  EXPECT_EQ(v->ppid.size(), 16u);
  EXPECT_EQ(HexEncode(v->fmspc.view()), "b0c06f000000");
  EXPECT_TRUE(attestation::CheckTcbPolicy(*v, attestation::TcbPolicy{}).ok());

  // Today (2026-12-02) the collateral has long expired.
  absl::StatusOr<attestation::VerifiedQuote> today =
      attestation::VerifyTdxQuote(quote, **prepared, absl::FromUnixSeconds(1796169600));
  CountVectorCase("tdx", !today.ok());
  ASSERT_FALSE(today.ok());
  EXPECT_NE(today.status().message().find("expired"), std::string::npos) << today.status();
}

}  // namespace
}  // namespace chainkms::vectors
