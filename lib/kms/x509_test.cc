#include "lib/kms/x509.h"

#include <openssl/x509.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/common/hex.h"
#include "lib/testing/status_matchers.h"

namespace chainkms::kms {
namespace {

// The to-be-signed part of a DER certificate (OpenSSL re-encodes it from the parsed fields).
Bytes Tbs(ByteView der) {
  const unsigned char* p = der.data();
  X509* x = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
  EXPECT_NE(x, nullptr);
  if (x == nullptr) return {};
  unsigned char* out = nullptr;
  const int n = i2d_re_X509_tbs(x, &out);
  Bytes tbs(out, out + n);
  OPENSSL_free(out);
  X509_free(x);
  return tbs;
}

TEST(X509Test, TheDirectlyEncodedAppCaEqualsOpenSslsAndVerifiesUnderTheRoot) {
  ASSERT_OK_AND_ASSIGN(P256PrivateKey root,
                       P256PrivateKey::FromScalar(*HexDecode(
                           "f57527cea4ab7ffb49af99b158cdc0e3ec06398f528349ea236b7d2afe19cec1")));
  ASSERT_OK_AND_ASSIGN(Bytes root_cert,
                       MakeRootCaCert(root, {.not_before = absl::FromUnixSeconds(1700000000)}));
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<const CaIssuer> issuer, CaIssuer::Create(root, root_cert));
  for (uint8_t fill : {0x00, 0x42, 0xff}) {
    Address app;
    app.bytes.fill(fill);
    ASSERT_OK_AND_ASSIGN(P256PrivateKey app_key, P256PrivateKey::FromScalar(Bytes(
                                                     32, static_cast<uint8_t>((fill & 0x7f) | 1))));
    ASSERT_OK_AND_ASSIGN(Bytes fast, issuer->IssueAppCa(app_key.PublicKeyUncompressed(), app));
    ASSERT_OK_AND_ASSIGN(Bytes slow,
                         issuer->IssueAppCaWithX509Api(app_key.PublicKeyUncompressed(), app));
    EXPECT_EQ(HexEncode(Tbs(fast)), HexEncode(Tbs(slow))) << int(fill);
    // Byte for byte what we sent, not a re-encoding.
    EXPECT_EQ(HexEncode(ByteView(fast).subspan(4, Tbs(fast).size())), HexEncode(Tbs(fast)));
    ASSERT_OK_AND_ASSIGN(bool issued, CertIssuedBy(fast, root_cert));
    EXPECT_TRUE(issued);
    ASSERT_OK_AND_ASSIGN(FixedBytes<65> pub, CertP256PublicKey(fast));
    EXPECT_EQ(pub, app_key.PublicKeyUncompressed());
  }
  // A root certificate of another key is refused.
  ASSERT_OK_AND_ASSIGN(P256PrivateKey other, P256PrivateKey::FromScalar(Bytes(32, 7)));
  EXPECT_FALSE(CaIssuer::Create(other, root_cert).ok());
}

}  // namespace
}  // namespace chainkms::kms
