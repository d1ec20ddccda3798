#include "lib/crypto/secp256k1.h"

#include <gtest/gtest.h>

#include "lib/common/hex.h"
#include "lib/crypto/keccak.h"

namespace chainkms {
namespace {

Bytes Hex(std::string_view s) { return HexDecode(s).value(); }
Hash32 H(std::string_view s) { return ParseHash32(s).value(); }

Secp256k1PrivateKey Key(std::string_view hex) {
  return Secp256k1PrivateKey::FromBytes(Hex(hex)).value();
}

constexpr char kOne[] = "0000000000000000000000000000000000000000000000000000000000000001";
// A well-known test key (web3 docs); expected values below come from Foundry cast 1.7.1:
// `cast wallet address --private-key`, `cast wallet public-key` and
// `cast wallet sign --no-hash --private-key <k> <keccak256("hello")>`.
constexpr char kKey[] = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
constexpr char kKeyAddress[] = "2c7536e3605d9c16a7a3d7b1898e529396a65c23";
constexpr char kKeyPublicXY[] =
    "4e3b81af9c2234cad09d679ce6035ed1392347ce64ce405f5dcd36228a25de6e47fd35c4215d1edf53e6f83de344"
    "615ce719bdb0fd878f6ed76f06dd277956de";
constexpr char kHelloDigest[] = "1c8aff950685c2ed4bc3174f3472287b56d9517b9c948127319a09a7a36deac8";
// cast prints v = 27/28; ours is v - 27.
constexpr char kKeySigOverHello[] =
    "bc81bfc04b658485b9820cf4fac760c84f0fc628da21c9e64ed8aaede215e63376cc1bfb23f9869c5b71a4069b48"
    "fce3ab0caaebc6bfb7a81cb12ac3b9b2f7b101";
constexpr char kOneSigOverHello[] =
    "433ec3d37e4f1253df15e2dea412fed8e915737730f74b3dfb1353268f932ef5557c9158e0b34bce39de28d11797"
    "b42e9b1acb2749230885fe075aedc3e491a400";
constexpr char kOrder[] = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";

TEST(Secp256k1Test, KeyOneHasKnownAddress) {
  EXPECT_EQ(HexEncode(Key(kOne).ToAddress().view()), "7e5f4552091a69125d5dfcb7b8c2659029395bdf");
}

TEST(Secp256k1Test, KnownKeyMatchesCastAddressAndPublicKey) {
  const Secp256k1PrivateKey k = Key(kKey);
  EXPECT_EQ(HexEncode(k.ToAddress().view()), kKeyAddress);
  EXPECT_EQ(HexEncode(k.PublicKey().Uncompressed().view()), std::string("04") + kKeyPublicXY);
  // Y ends in 0xde (even), so the compressed prefix is 02.
  EXPECT_EQ(HexEncode(k.PublicKey().Compressed().view()),
            std::string("02") + std::string(kKeyPublicXY).substr(0, 64));
}

TEST(Secp256k1Test, SignatureEqualsCastRfc6979Signature) {
  EXPECT_EQ(HexEncode(Key(kKey).SignRecoverable(H(kHelloDigest)).ToBytes().view()), kKeySigOverHello);
  EXPECT_EQ(HexEncode(Key(kOne).SignRecoverable(H(kHelloDigest)).ToBytes().view()), kOneSigOverHello);
}

TEST(Secp256k1Test, SignThenRecoverGivesSignerAndLowS) {
  for (int i = 0; i < 20; ++i) {
    const Secp256k1PrivateKey k = Secp256k1PrivateKey::Generate();
    const Hash32 digest = Keccak256(k.secret().view());
    const RecoverableSignature sig = k.SignRecoverable(digest);
    EXPECT_TRUE(IsLowS(sig.s));
    EXPECT_LE(sig.v, 1);
    auto pub = RecoverPublicKey(digest, sig);
    ASSERT_TRUE(pub.ok()) << pub.status();
    EXPECT_EQ(*pub, k.PublicKey());
    EXPECT_TRUE(VerifySignature(digest, sig, k.PublicKey()));
  }
}

TEST(Secp256k1Test, RecoverFromCastSignatureGivesCastAddress) {
  auto sig = RecoverableSignature::FromBytes(Hex(kKeySigOverHello));
  ASSERT_TRUE(sig.ok());
  auto pub = RecoverPublicKey(H(kHelloDigest), *sig);
  ASSERT_TRUE(pub.ok()) << pub.status();
  EXPECT_EQ(HexEncode(pub->ToAddress().view()), kKeyAddress);
}

TEST(Secp256k1Test, RecoverWithOtherDigestGivesOtherKey) {
  auto sig = RecoverableSignature::FromBytes(Hex(kKeySigOverHello)).value();
  auto pub = RecoverPublicKey(Keccak256(AsBytes("other")), sig);
  ASSERT_TRUE(pub.ok());
  EXPECT_NE(HexEncode(pub->ToAddress().view()), kKeyAddress);
}

TEST(Secp256k1Test, RecoverRejectsZeroAndOutOfRangeRAndS) {
  const RecoverableSignature good = RecoverableSignature::FromBytes(Hex(kKeySigOverHello)).value();
  RecoverableSignature bad = good;
  bad.r = Hash32();
  EXPECT_EQ(RecoverPublicKey(H(kHelloDigest), bad).status().code(),
            absl::StatusCode::kInvalidArgument);
  bad = good;
  bad.s = Hash32();
  EXPECT_EQ(RecoverPublicKey(H(kHelloDigest), bad).status().code(),
            absl::StatusCode::kInvalidArgument);
  bad = good;
  bad.r = H(kOrder);
  EXPECT_EQ(RecoverPublicKey(H(kHelloDigest), bad).status().code(),
            absl::StatusCode::kInvalidArgument);
  bad = good;
  bad.s = H(kOrder);
  EXPECT_EQ(RecoverPublicKey(H(kHelloDigest), bad).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(Secp256k1Test, RecoverRejectsVOutsideZeroOne) {
  RecoverableSignature sig = RecoverableSignature::FromBytes(Hex(kKeySigOverHello)).value();
  sig.v = 2;
  EXPECT_EQ(RecoverPublicKey(H(kHelloDigest), sig).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(Secp256k1Test, SignatureFromBytesRejectsEthereumStyleVAndWrongLength) {
  Bytes b = Hex(kKeySigOverHello);
  b[64] = 28;
  EXPECT_EQ(RecoverableSignature::FromBytes(b).status().code(), absl::StatusCode::kInvalidArgument);
  b[64] = 2;
  EXPECT_EQ(RecoverableSignature::FromBytes(b).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RecoverableSignature::FromBytes(Bytes(64, 1)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(Secp256k1Test, SignatureBytesRoundTrip) {
  const Bytes b = Hex(kKeySigOverHello);
  auto sig = RecoverableSignature::FromBytes(b);
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(sig->v, 1);
  EXPECT_EQ(sig->ToBytes().ToBytes(), b);
}

TEST(Secp256k1Test, PrivateKeyRejectsZeroOrderAboveOrderAndWrongLength) {
  for (const Bytes& b : {Bytes(32, 0), Hex(kOrder), Bytes(32, 0xff), Bytes(31, 1), Bytes(33, 1)}) {
    EXPECT_EQ(Secp256k1PrivateKey::FromBytes(b).status().code(), absl::StatusCode::kInvalidArgument)
        << HexEncode(b);
  }
  Bytes n_minus_one = Hex(kOrder);
  n_minus_one[31] -= 1;
  EXPECT_TRUE(Secp256k1PrivateKey::FromBytes(n_minus_one).ok());
}

TEST(Secp256k1Test, PublicKeyParsesAllThreeEncodingsToSameKey) {
  const Secp256k1PublicKey want = Key(kKey).PublicKey();
  auto from64 = Secp256k1PublicKey::Parse(Hex(kKeyPublicXY));
  auto from65 = Secp256k1PublicKey::Parse(want.Uncompressed().view());
  auto from33 = Secp256k1PublicKey::Parse(want.Compressed().view());
  ASSERT_TRUE(from64.ok() && from65.ok() && from33.ok());
  EXPECT_EQ(*from64, want);
  EXPECT_EQ(*from65, want);
  EXPECT_EQ(*from33, want);
}

TEST(Secp256k1Test, PublicKeyRejectsOffCurveHybridAndBadLengths) {
  Bytes off_curve = Hex(std::string("04") + kKeyPublicXY);
  off_curve[64] ^= 0x01;
  EXPECT_EQ(Secp256k1PublicKey::Parse(off_curve).status().code(), absl::StatusCode::kInvalidArgument);
  Bytes hybrid = Hex(std::string("06") + kKeyPublicXY);  // Y even → hybrid prefix 06
  EXPECT_EQ(Secp256k1PublicKey::Parse(hybrid).status().code(), absl::StatusCode::kInvalidArgument);
  Bytes bad_prefix = Key(kKey).PublicKey().Compressed().ToBytes();
  bad_prefix[0] = 0x04;
  EXPECT_EQ(Secp256k1PublicKey::Parse(bad_prefix).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Secp256k1PublicKey::Parse(Bytes(20, 1)).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Secp256k1Test, VerifyRejectsHighSAndWrongKey) {
  const Secp256k1PrivateKey k = Key(kKey);
  const RecoverableSignature sig = k.SignRecoverable(H(kHelloDigest));
  ASSERT_TRUE(VerifySignature(H(kHelloDigest), sig, k.PublicKey()));
  EXPECT_FALSE(VerifySignature(H(kHelloDigest), sig, Key(kOne).PublicKey()));
  EXPECT_FALSE(VerifySignature(Keccak256(AsBytes("x")), sig, k.PublicKey()));

  // s' = n - s is the malleated, equally valid high-S twin.
  RecoverableSignature high = sig;
  const Hash32 n = H(kOrder);
  int borrow = 0;
  for (int i = 31; i >= 0; --i) {
    int d = n[i] - sig.s[i] - borrow;
    borrow = d < 0;
    high.s[i] = static_cast<uint8_t>(d + (borrow ? 256 : 0));
  }
  EXPECT_FALSE(IsLowS(high.s));
  EXPECT_FALSE(VerifySignature(H(kHelloDigest), high, k.PublicKey()));
  // ecrecover semantics: the twin with flipped v still recovers the signer.
  high.v ^= 1;
  auto pub = RecoverPublicKey(H(kHelloDigest), high);
  ASSERT_TRUE(pub.ok());
  EXPECT_EQ(*pub, k.PublicKey());
}

TEST(Secp256k1Test, IsLowSAndIsValidScalarBoundaries) {
  const Hash32 half = H("7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0");
  Hash32 above = half;
  above[31] += 1;
  EXPECT_TRUE(IsLowS(half));
  EXPECT_FALSE(IsLowS(above));
  EXPECT_FALSE(IsValidScalar(Hash32()));
  EXPECT_FALSE(IsValidScalar(H(kOrder)));
  EXPECT_TRUE(IsValidScalar(H(kOne)));
  Hash32 n_minus_one = H(kOrder);
  n_minus_one[31] -= 1;
  EXPECT_TRUE(IsValidScalar(n_minus_one));
}

}  // namespace
}  // namespace chainkms
