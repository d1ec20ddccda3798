#include "lib/eth/message.h"

#include <gtest/gtest.h>

#include "lib/common/hex.h"
#include "lib/eth/address.h"

namespace chainkms {
namespace {

// Anvil's first dev account: 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266.
Secp256k1PrivateKey DevKey() {
  return *Secp256k1PrivateKey::FromBytes(
      *HexDecode("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"));
}
constexpr char kDevAddress[] = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

TEST(MessageTest, HashesLikeCastHashMessage) {
  // cast hash-message "hello world"
  EXPECT_EQ(Hex0x(HashPersonalMessage(AsBytes("hello world")).view()),
            "0xd9eba16ed0ecae432b71fe008c98cc872bb4cc214d3220a36f365326cf807d68");
  // cast hash-message 0xdeadbeef   (cast hashes the 10-character text here, not the bytes)
  EXPECT_EQ(Hex0x(HashPersonalMessage(AsBytes("0xdeadbeef")).view()),
            "0xefedd0a9a0294228c3977d7fbb68c7d40279f8b408cf3e24ef1823b179709e58");
  // Raw bytes: cast keccak 0x$(printf '\x19Ethereum Signed Message:\n4' | xxd -p)deadbeef
  EXPECT_EQ(Hex0x(HashPersonalMessage(*HexDecode("deadbeef")).view()),
            "0xd1c7f1a06a4f9a535077e50ad23244ce2c6ae443fcd412965226f3df5d28eaaa");
}

TEST(MessageTest, SignsLikeCastWalletSign) {
  const auto key = DevKey();
  // cast wallet sign --private-key 0xac09…ff80 "hello world"
  EXPECT_EQ(Hex0x(SignPersonalMessage(AsBytes("hello world"), key).view()),
            "0xa461f509887bd19e312c0c58467ce8ff8e300d3c1a90b608a760c5b80318eaf15fe57c96f9175d6cd4d"
            "aad4663763baa7e78836e067d0163e9a2ccf2ff753f5b1b");
  // cast wallet sign --private-key 0xac09…ff80 "a"   (v = 28)
  EXPECT_EQ(Hex0x(SignPersonalMessage(AsBytes("a"), key).view()),
            "0x059630c43e8b5ef5f5f35ed16b6f88c777843dcd1299f6848c637554884f743c729bf6ad1df3726ab"
            "a2729cf625cacdd0123b1ce74524be1a51d664dc0622ddd1c");
  // cast wallet sign --private-key 0xac09…ff80 ""
  EXPECT_EQ(Hex0x(SignPersonalMessage({}, key).view()),
            "0xc1977b761f1dd36c29795783460d241885c8e7f9d962dbe7bba2753fd94e89b444a1cd9ed855dd09a"
            "fa3b73f7c2bd097ec9abc2d2775d737505a02d3f0cafa591b");
}

TEST(MessageTest, RecoversSignerWithEitherVConvention) {
  const auto key = DevKey();
  FixedBytes<65> sig = SignPersonalMessage(AsBytes("b"), key);
  auto who = RecoverPersonalMessageSigner(AsBytes("b"), sig.view());
  ASSERT_TRUE(who.ok()) << who.status();
  EXPECT_EQ(ToChecksumAddress(*who), kDevAddress);
  sig[64] = static_cast<uint8_t>(sig[64] - 27);
  who = RecoverPersonalMessageSigner(AsBytes("b"), sig.view());
  ASSERT_TRUE(who.ok()) << who.status();
  EXPECT_EQ(ToChecksumAddress(*who), kDevAddress);
}

TEST(MessageTest, RecoversADifferentSignerForAnotherMessage) {
  const FixedBytes<65> sig = SignPersonalMessage(AsBytes("b"), DevKey());
  auto who = RecoverPersonalMessageSigner(AsBytes("c"), sig.view());
  ASSERT_TRUE(who.ok());
  EXPECT_NE(ToChecksumAddress(*who), kDevAddress);
}

TEST(MessageTest, RejectsSignatureOfWrongLength) {
  const FixedBytes<65> sig = SignPersonalMessage(AsBytes("b"), DevKey());
  auto r = RecoverPersonalMessageSigner(AsBytes("b"), sig.view().first(64));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(MessageTest, RejectsUnknownV) {
  FixedBytes<65> sig = SignPersonalMessage(AsBytes("b"), DevKey());
  sig[64] = 29;
  EXPECT_EQ(RecoverPersonalMessageSigner(AsBytes("b"), sig.view()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(MessageTest, RejectsHighS) {
  FixedBytes<65> sig = SignPersonalMessage(AsBytes("b"), DevKey());
  // s → n − s flips to the high half (and is what a malleated copy would carry).
  const Bytes n = *HexDecode("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
  int borrow = 0;
  for (int i = 31; i >= 0; --i) {
    int d = n[i] - sig[32 + i] - borrow;
    borrow = d < 0;
    sig[32 + i] = static_cast<uint8_t>(d + (borrow ? 256 : 0));
  }
  sig[64] = static_cast<uint8_t>(sig[64] ^ 1);
  EXPECT_EQ(RecoverPersonalMessageSigner(AsBytes("b"), sig.view()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace chainkms
