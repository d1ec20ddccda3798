// The real Intel TDX quote in ../shared/vectors/tdx parses strictly, with the layout ATTESTATION.md
// §1 gives (verification against its collateral is the next step of the TDX work).
#include <fstream>
#include <iterator>

#include "gtest/gtest.h"
#include "lib/attestation/quote.h"
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

}  // namespace
}  // namespace chainkms::vectors
