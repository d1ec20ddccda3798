#include "lib/eth/keystore.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "lib/common/hex.h"
#include "lib/crypto/secp256k1.h"

namespace chainkms {
namespace {

constexpr char kDevKeyHex[] = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

// cast wallet import dev0 --private-key 0x<kDevKeyHex> --unsafe-password "correct horse"
//   --keystore-dir /tmp/ks        (scrypt n=8192, r=8, p=1)
constexpr char kCastKeystore[] =
    R"({"crypto":{"cipher":"aes-128-ctr","cipherparams":{"iv":"17849c0f420926701097c6d71d1420cd"},)"
    R"("ciphertext":"9eea52ab8a28af5ba8e68720dc2db75f5ab32f5e19073b22079e0c20723d1c9b","kdf":"scrypt",)"
    R"("kdfparams":{"dklen":32,"n":8192,"p":1,"r":8,"salt":"afa7b595760fdf4a68886480b0c4a179a1f16b75485fb8f24e7d22ee15a19201"},)"
    R"("mac":"96f14d4ba27b218c93841f7fda3b9dee3f31acf4d7ee141a754d75c8d7ac68f8"},)"
    R"("id":"ca56ae03-6d49-4ba7-b0be-7d03f6fc8b81","version":3})";

KeystoreParams LightScrypt() {
  KeystoreParams p;
  p.scrypt = ScryptParams{1024, 8, 1};
  return p;
}

std::string LightKeystore() {
  return *EncryptKeystore(*HexDecode(kDevKeyHex), "pw", LightScrypt());
}

// Applies `edit` to the parsed keystore and returns the text again.
template <typename F>
std::string Edited(const std::string& text, F edit) {
  nlohmann::json j = nlohmann::json::parse(text);
  edit(j);
  return j.dump();
}

void ExpectInvalidNaming(const absl::StatusOr<SecretBytes>& s, const std::string& needle) {
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(s.status().message()).find(needle), std::string::npos) << s.status();
}

TEST(KeystoreTest, DecryptsKeystoreWrittenByCast) {
  auto key = DecryptKeystore(kCastKeystore, "correct horse");
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(HexEncode(key->view()), kDevKeyHex);
}

TEST(KeystoreTest, RejectsWrongPasswordWithMacMismatch) {
  auto key = DecryptKeystore(kCastKeystore, "correct horse!");
  EXPECT_EQ(key.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(key.status().message(), "keystore: MAC mismatch (wrong password?)");
}

TEST(KeystoreTest, RoundTripsWithScrypt) {
  const std::string text = LightKeystore();
  const nlohmann::json j = nlohmann::json::parse(text);
  EXPECT_EQ(j.at("version"), 3);
  EXPECT_EQ(j.at("address"), "f39fd6e51aad88f6f4ce6ab8827279cfffb92266");
  EXPECT_EQ(j.at("crypto").at("kdf"), "scrypt");
  EXPECT_EQ(j.at("crypto").at("kdfparams").at("n"), 1024);
  const std::string id = j.at("id");
  ASSERT_EQ(id.size(), 36u);
  EXPECT_EQ(id[14], '4');  // UUID version 4
  EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos);  // RFC 4122 variant
  auto key = DecryptKeystore(text, "pw");
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(HexEncode(key->view()), kDevKeyHex);
}

TEST(KeystoreTest, RoundTripsWithPbkdf2) {
  KeystoreParams p;
  p.kdf = KeystoreKdf::kPbkdf2;
  p.pbkdf2_iterations = 1000;
  auto text = EncryptKeystore(*HexDecode(kDevKeyHex), "pw", p);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(nlohmann::json::parse(*text).at("crypto").at("kdfparams").at("prf"), "hmac-sha256");
  auto key = DecryptKeystore(*text, "pw");
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(HexEncode(key->view()), kDevKeyHex);
}

TEST(KeystoreTest, UsesFreshSaltAndIvEachTime) {
  EXPECT_NE(LightKeystore(), LightKeystore());
}

TEST(KeystoreTest, EncryptRejectsInvalidPrivateKey) {
  EXPECT_EQ(EncryptKeystore(Bytes(32, 0), "pw", LightScrypt()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EncryptKeystore(Bytes(31, 1), "pw", LightScrypt()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(KeystoreTest, EncryptRejectsBadScryptParams) {
  KeystoreParams p = LightScrypt();
  p.scrypt.n = 1000;  // not a power of two
  EXPECT_EQ(EncryptKeystore(*HexDecode(kDevKeyHex), "pw", p).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(KeystoreTest, RejectsMalformedJson) {
  ExpectInvalidNaming(DecryptKeystore("{not json", "pw"), "not valid JSON");
  ExpectInvalidNaming(DecryptKeystore("[1,2]", "pw"), "object");
}

TEST(KeystoreTest, RejectsMissingFieldsByName) {
  const std::string text = LightKeystore();
  ExpectInvalidNaming(DecryptKeystore(Edited(text, [](auto& j) { j["crypto"].erase("mac"); }), "pw"),
                      "crypto.mac");
  ExpectInvalidNaming(
      DecryptKeystore(Edited(text, [](auto& j) { j["crypto"]["kdfparams"].erase("salt"); }), "pw"),
      "crypto.kdfparams.salt");
  ExpectInvalidNaming(DecryptKeystore(Edited(text, [](auto& j) { j.erase("crypto"); }), "pw"),
                      "crypto");
  ExpectInvalidNaming(
      DecryptKeystore(Edited(text, [](auto& j) { j["crypto"]["cipherparams"]["iv"] = 5; }), "pw"),
      "crypto.cipherparams.iv");
}

TEST(KeystoreTest, RejectsUnsupportedVersionKdfPrfAndCipher) {
  const std::string text = LightKeystore();
  ExpectInvalidNaming(DecryptKeystore(Edited(text, [](auto& j) { j["version"] = 1; }), "pw"),
                      "version");
  ExpectInvalidNaming(
      DecryptKeystore(Edited(text, [](auto& j) { j["crypto"]["kdf"] = "argon2"; }), "pw"),
      "crypto.kdf");
  ExpectInvalidNaming(
      DecryptKeystore(Edited(text, [](auto& j) { j["crypto"]["cipher"] = "aes-128-cbc"; }), "pw"),
      "crypto.cipher");
  KeystoreParams p;
  p.kdf = KeystoreKdf::kPbkdf2;
  p.pbkdf2_iterations = 10;
  const std::string pb = *EncryptKeystore(*HexDecode(kDevKeyHex), "pw", p);
  ExpectInvalidNaming(
      DecryptKeystore(Edited(pb, [](auto& j) { j["crypto"]["kdfparams"]["prf"] = "hmac-sha512"; }),
                      "pw"),
      "crypto.kdfparams.prf");
}

TEST(KeystoreTest, RejectsTamperedCiphertext) {
  const std::string text = LightKeystore();
  const std::string tampered = Edited(text, [](auto& j) {
    std::string ct = j["crypto"]["ciphertext"];
    ct[0] = ct[0] == '0' ? '1' : '0';
    j["crypto"]["ciphertext"] = ct;
  });
  ExpectInvalidNaming(DecryptKeystore(tampered, "pw"), "MAC mismatch");
}

TEST(KeystoreTest, RejectsAddressThatDoesNotMatchTheKey) {
  const std::string text = Edited(LightKeystore(), [](auto& j) {
    j["address"] = "0000000000000000000000000000000000000001";
  });
  ExpectInvalidNaming(DecryptKeystore(text, "pw"), "address");
}

}  // namespace
}  // namespace chainkms
