#include "lib/kms/derive.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/common/hex.h"
#include "lib/crypto/keccak.h"

namespace chainkms::kms {
namespace {

// DESIGN §5.3's vector root CA scalar.
constexpr char kRootCa[] = "f57527cea4ab7ffb49af99b158cdc0e3ec06398f528349ea236b7d2afe19cec1";
constexpr char kRootK256[] = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

P256PrivateKey RootCa() { return *P256PrivateKey::FromScalar(*HexDecode(kRootCa)); }
Secp256k1PrivateKey RootK256() { return *Secp256k1PrivateKey::FromBytes(*HexDecode(kRootK256)); }
Address Fill(uint8_t b) {
  Address a;
  a.bytes.fill(b);
  return a;
}
std::string HexOf(ByteView b) { return HexEncode(b); }

TEST(DeriveTest, DhSecretMatchesTheDstackKmsVector) {
  absl::StatusOr<SecretBytes> s =
      DeriveDhSecret(RootCa(), {AsBytes("context one"), AsBytes("context two")});
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(HexOf(s->view()), "663afd58820be8ad645f9c035e93199d114ab16f738db62393bc1d7d623e8813");
}

TEST(DeriveTest, EnvKeyAndItsX25519PublicKeyMatchTheVector) {
  absl::StatusOr<EnvKey> env = DeriveEnvKey(RootCa(), Fill(0));
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_EQ(HexOf(env->private_key.view()),
            "bd41ba1b4afc83aa6ffaa33db4c24d849e2aff9cfb6d0dc8b2107aea32a2852c");
  EXPECT_EQ(HexOf(env->public_key.view()),
            "fb40ea5800075665b1747cbe1dd54e1e9514c1fb5cbad7819c9158fb15e0de2c");
}

TEST(DeriveTest, DiskKeyMatchesTheVector) {
  absl::StatusOr<SecretBytes> disk = DeriveDiskKey(RootCa(), Fill(0), Fill(0x11));
  ASSERT_TRUE(disk.ok()) << disk.status();
  EXPECT_EQ(HexOf(disk->view()),
            "ea3e7b4b843b4d1257f87efc9f6aa7c7dd04c3f66be1a4b1a60442d807d8cbd4");
}

TEST(DeriveTest, DeriveKeyIsHkdfWithSaltRatlsOverTheJoinedContext) {
  // The context parts are concatenated without a separator: ["ab", "c"] == ["a", "bc"].
  absl::StatusOr<SecretBytes> a = DeriveKey(AsBytes("ikm"), {AsBytes("ab"), AsBytes("c")}, 32);
  absl::StatusOr<SecretBytes> b = DeriveKey(AsBytes("ikm"), {AsBytes("a"), AsBytes("bc")}, 32);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(HexOf(a->view()), HexOf(b->view()));
  absl::StatusOr<SecretBytes> c = DeriveKey(AsBytes("ikm"), {AsBytes("abd")}, 32);
  EXPECT_NE(HexOf(a->view()), HexOf(c->view()));
}

TEST(DeriveTest, KeysDifferPerAppAndAreStable) {
  absl::StatusOr<Secp256k1PrivateKey> one = DeriveAppK256Key(RootK256(), Fill(1));
  absl::StatusOr<Secp256k1PrivateKey> again = DeriveAppK256Key(RootK256(), Fill(1));
  absl::StatusOr<Secp256k1PrivateKey> two = DeriveAppK256Key(RootK256(), Fill(2));
  ASSERT_TRUE(one.ok() && again.ok() && two.ok());
  EXPECT_EQ(one->ToAddress(), again->ToAddress());
  EXPECT_NE(one->ToAddress(), two->ToAddress());
  absl::StatusOr<P256PrivateKey> ca1 = DeriveAppCaKey(RootCa(), Fill(1));
  absl::StatusOr<P256PrivateKey> ca2 = DeriveAppCaKey(RootCa(), Fill(2));
  ASSERT_TRUE(ca1.ok() && ca2.ok());
  EXPECT_NE(ca1->PublicKeyUncompressed(), ca2->PublicKeyUncompressed());
  // The app CA scalar is exactly DeriveKey(root CA scalar, [app_id, "app-ca"], 32).
  Address app = Fill(1);
  absl::StatusOr<SecretBytes> d =
      DeriveKey(RootCa().scalar().view(), {app.view(), AsBytes("app-ca")}, 32);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(HexOf(ca1->scalar().view()), HexOf(d->view()));
}

// Signatures recover to the root k256 key, with v ∈ {0,1} and low S, over the documented bytes.
TEST(DeriveTest, SignaturesRecoverToTheRootKeyOverTheDocumentedMessages) {
  const Secp256k1PrivateKey root = RootK256();
  const Address app = Fill(0x0a);
  absl::StatusOr<Secp256k1PrivateKey> app_key = DeriveAppK256Key(root, app);
  ASSERT_TRUE(app_key.ok());
  const FixedBytes<33> app_pub = app_key->PublicKey().Compressed();
  Bytes issued(AsBytes("dstack-kms-issued:").begin(), AsBytes("dstack-kms-issued:").end());
  issued.insert(issued.end(), app.begin(), app.end());
  issued.insert(issued.end(), app_pub.begin(), app_pub.end());
  EXPECT_EQ(AppKeyDigest(app, app_pub), Keccak256(issued));

  absl::StatusOr<EnvKey> env = DeriveEnvKey(*P256PrivateKey::FromScalar(*HexDecode(kRootCa)), app);
  ASSERT_TRUE(env.ok());
  Bytes v1(AsBytes("dstack-env-encrypt-pubkey:").begin(),
           AsBytes("dstack-env-encrypt-pubkey:").end());
  v1.insert(v1.end(), app.begin(), app.end());
  for (uint8_t b : {0, 0, 0, 0, 0x65, 0x53, 0xf1, 0x00}) v1.push_back(b);  // 1700000000
  v1.insert(v1.end(), env->public_key.begin(), env->public_key.end());
  EXPECT_EQ(EnvPublicKeyDigestV1(app, 1700000000, env->public_key), Keccak256(v1));

  struct Case {
    FixedBytes<65> sig;
    Hash32 digest;
  };
  const Case cases[] = {
      {SignAppKey(root, app, app_pub), AppKeyDigest(app, app_pub)},
      {SignEnvPublicKeyLegacy(root, app, env->public_key),
       EnvPublicKeyDigestLegacy(app, env->public_key)},
      {SignEnvPublicKeyV1(root, app, 1700000000, env->public_key),
       EnvPublicKeyDigestV1(app, 1700000000, env->public_key)},
  };
  for (const Case& c : cases) {
    EXPECT_LE(c.sig.bytes[64], 1);
    absl::StatusOr<RecoverableSignature> sig = RecoverableSignature::FromBytes(c.sig.view());
    ASSERT_TRUE(sig.ok()) << sig.status();
    EXPECT_TRUE(IsLowS(sig->s));
    absl::StatusOr<Secp256k1PublicKey> signer = RecoverPublicKey(c.digest, *sig);
    ASSERT_TRUE(signer.ok());
    EXPECT_EQ(signer->Compressed(), root.PublicKey().Compressed());
  }
}

}  // namespace
}  // namespace chainkms::kms
