#include "lib/crypto/x25519.h"

#include <gtest/gtest.h>

#include "lib/common/hex.h"

namespace chainkms {
namespace {

Hash32 H(std::string_view s) { return ParseHash32(s).value(); }

// RFC 7748 §6.1.
constexpr char kAlicePriv[] = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
constexpr char kAlicePub[] = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
constexpr char kBobPriv[] = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
constexpr char kBobPub[] = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
constexpr char kShared[] = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";

TEST(X25519Test, PublicKeysMatchRfc7748Section61) {
  EXPECT_EQ(HexEncode(X25519PublicKey(H(kAlicePriv).view()).view()), kAlicePub);
  EXPECT_EQ(HexEncode(X25519PublicKey(H(kBobPriv).view()).view()), kBobPub);
}

TEST(X25519Test, SharedSecretMatchesRfc7748Section61FromBothSides) {
  auto a = X25519SharedSecret(H(kAlicePriv).view(), H(kBobPub).view());
  auto b = X25519SharedSecret(H(kBobPriv).view(), H(kAlicePub).view());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(HexEncode(a->view()), kShared);
  EXPECT_EQ(HexEncode(b->view()), kShared);
}

// RFC 7748 §5.2, first test vector (an arbitrary u-coordinate, not the base point).
TEST(X25519Test, ScalarMultMatchesRfc7748Section52) {
  auto out = X25519SharedSecret(
      H("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4").view(),
      H("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c").view());
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(HexEncode(out->view()),
            "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
}

// DESIGN §5.3: the env key derived from the vector root, and its public key. Independent
// check: Python `cryptography` X25519PrivateKey gives the same public key.
TEST(X25519Test, EnvKeyVectorGivesDocumentedPublicKey) {
  EXPECT_EQ(
      HexEncode(
          X25519PublicKey(H("bd41ba1b4afc83aa6ffaa33db4c24d849e2aff9cfb6d0dc8b2107aea32a2852c").view())
              .view()),
      "fb40ea5800075665b1747cbe1dd54e1e9514c1fb5cbad7819c9158fb15e0de2c");
}

TEST(X25519Test, RejectsLowOrderPeerGivingAllZeroSecret) {
  const Hash32 zero;
  Hash32 one;
  one[0] = 1;
  for (const Hash32& peer : {zero, one}) {
    auto s = X25519SharedSecret(H(kAlicePriv).view(), peer.view());
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace chainkms
