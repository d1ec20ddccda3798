#include "lib/eth/keystore.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <tuple>

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

template <typename T>
void ExpectRejects(const absl::StatusOr<T>& s, const std::string& needle) {
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument) << needle;
  EXPECT_NE(std::string(s.status().message()).find(needle), std::string::npos)
      << "want '" << needle << "' in: " << s.status();
}

// ParseKeystore of kCastKeystore after `edit`.
template <typename F>
absl::StatusOr<KeystoreFile> ParseEdited(F edit) {
  return ParseKeystore(Edited(kCastKeystore, edit));
}

TEST(ParseKeystoreTest, ReadsEveryFieldOfACastKeystoreWithoutRunningTheKdf) {
  auto file = ParseKeystore(kCastKeystore);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->params.kdf, KeystoreKdf::kScrypt);
  EXPECT_EQ(file->params.scrypt.n, 8192u);
  EXPECT_EQ(file->params.scrypt.r, 8u);
  EXPECT_EQ(file->params.scrypt.p, 1u);
  EXPECT_EQ(HexEncode(file->salt),
            "afa7b595760fdf4a68886480b0c4a179a1f16b75485fb8f24e7d22ee15a19201");
  EXPECT_EQ(HexEncode(file->iv.view()), "17849c0f420926701097c6d71d1420cd");
  EXPECT_EQ(HexEncode(file->ciphertext.view()),
            "9eea52ab8a28af5ba8e68720dc2db75f5ab32f5e19073b22079e0c20723d1c9b");
  EXPECT_EQ(HexEncode(file->mac.view()),
            "96f14d4ba27b218c93841f7fda3b9dee3f31acf4d7ee141a754d75c8d7ac68f8");
  EXPECT_FALSE(file->address.has_value());  // cast writes no address
  auto key = DecryptKeystore(*file, "correct horse");
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(HexEncode(key->view()), kDevKeyHex);
}

TEST(ParseKeystoreTest, ReadsPbkdf2ParamsCapitalisedCryptoAndPrefixedAddress) {
  auto file = ParseEdited([](auto& j) {
    j["Crypto"] = j["crypto"];
    j.erase("crypto");
    j["Crypto"]["kdf"] = "pbkdf2";
    j["Crypto"]["kdfparams"] = {{"c", 10000000}, {"prf", "hmac-sha256"}, {"dklen", 32}, {"salt", ""}};
    j["address"] = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
  });
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->params.kdf, KeystoreKdf::kPbkdf2);
  EXPECT_EQ(file->params.pbkdf2_iterations, 10000000u);
  EXPECT_TRUE(file->salt.empty());
  ASSERT_TRUE(file->address.has_value());
  EXPECT_EQ(HexEncode(file->address->view()), "f39fd6e51aad88f6f4ce6ab8827279cfffb92266");
}

TEST(ParseKeystoreTest, AcceptsScryptWorkExactlyAtTheLimit) {
  // geth's standard parameters and KeyStoreTests' test2 both need exactly 256 MiB of work.
  for (auto [n, r, p] : {std::tuple{262144, 8, 1}, std::tuple{262144, 1, 8},
                         std::tuple{1048576, 2, 1}}) {
    // Structured bindings cannot be captured before C++20 in clang 14; copy them.
    auto file = ParseEdited([n = n, r = r, p = p](auto& j) {
      j["crypto"]["kdfparams"]["n"] = n;
      j["crypto"]["kdfparams"]["r"] = r;
      j["crypto"]["kdfparams"]["p"] = p;
    });
    EXPECT_TRUE(file.ok()) << n << " " << r << " " << p << ": " << file.status();
  }
}

TEST(ParseKeystoreTest, RejectsNonJsonAndNonObjects) {
  ExpectRejects(ParseKeystore(""), "not valid JSON");
  ExpectRejects(ParseKeystore("{\"version\":3"), "not valid JSON");
  ExpectRejects(ParseKeystore("[1,2]"), "top level must be an object");
  ExpectRejects(ParseKeystore("3"), "top level must be an object");
}

TEST(ParseKeystoreTest, RejectsVersionOtherThanThree) {
  ExpectRejects(ParseEdited([](auto& j) { j["version"] = 1; }), "version must be 3");
  ExpectRejects(ParseEdited([](auto& j) { j["version"] = "3"; }), "version must be a non-negative");
  ExpectRejects(ParseEdited([](auto& j) { j.erase("version"); }), "version is missing");
}

TEST(ParseKeystoreTest, RejectsMissingOrIllTypedCrypto) {
  ExpectRejects(ParseEdited([](auto& j) { j.erase("crypto"); }), "crypto is missing");
  ExpectRejects(ParseEdited([](auto& j) { j["crypto"] = 7; }), "crypto.cipher is missing");
  ExpectRejects(ParseEdited([](auto& j) { j["crypto"].erase("kdfparams"); }),
                "crypto.kdfparams is missing");
  ExpectRejects(ParseEdited([](auto& j) { j["crypto"].erase("cipherparams"); }),
                "crypto.cipherparams is missing");
}

TEST(ParseKeystoreTest, RejectsCipherOtherThanAes128Ctr) {
  ExpectRejects(ParseEdited([](auto& j) { j["crypto"]["cipher"] = "aes-128-cbc"; }),
                "crypto.cipher must be aes-128-ctr");
  ExpectRejects(ParseEdited([](auto& j) { j["crypto"]["cipher"] = 1; }),
                "crypto.cipher must be a string");
}

TEST(ParseKeystoreTest, RejectsIvNotSixteenBytes) {
  ExpectRejects(ParseEdited([](auto& j) { j["crypto"]["cipherparams"]["iv"] = "00"; }),
                "crypto.cipherparams.iv must be 16 bytes, got 1");
  ExpectRejects(
      ParseEdited([](auto& j) { j["crypto"]["cipherparams"]["iv"] = std::string(34, '0'); }),
      "crypto.cipherparams.iv must be 16 bytes, got 17");
  ExpectRejects(
      ParseEdited([](auto& j) { j["crypto"]["cipherparams"]["iv"] = std::string(32, 'g'); }),
      "crypto.cipherparams.iv: invalid hex");
}

TEST(ParseKeystoreTest, RejectsCiphertextNotThirtyTwoBytes) {
  ExpectRejects(ParseEdited([](auto& j) { j["crypto"]["ciphertext"] = std::string(62, '0'); }),
                "crypto.ciphertext must be 32 bytes, got 31");
  ExpectRejects(ParseEdited([](auto& j) { j["crypto"]["ciphertext"] = std::string(66, '0'); }),
                "crypto.ciphertext must be 32 bytes, got 33");
  ExpectRejects(ParseEdited([](auto& j) { j["crypto"]["ciphertext"] = "abc"; }),
                "crypto.ciphertext: odd number of hex digits");
}

TEST(ParseKeystoreTest, RejectsMacNotThirtyTwoBytes) {
  ExpectRejects(ParseEdited([](auto& j) { j["crypto"]["mac"] = std::string(62, '0'); }),
                "crypto.mac must be 32 bytes, got 31");
  ExpectRejects(ParseEdited([](auto& j) { j["crypto"].erase("mac"); }), "crypto.mac is missing");
}

TEST(ParseKeystoreTest, RejectsUnknownKdfAndBadSalt) {
  ExpectRejects(ParseEdited([](auto& j) { j["crypto"]["kdf"] = "argon2"; }),
                "crypto.kdf must be scrypt or pbkdf2");
  ExpectRejects(ParseEdited([](auto& j) { j["crypto"]["kdfparams"]["salt"] = "zz"; }),
                "crypto.kdfparams.salt: invalid hex");
}

TEST(ParseKeystoreTest, RejectsDklenOtherThanThirtyTwo) {
  for (int dklen : {0, 16, 31, 33, 64}) {
    ExpectRejects(ParseEdited([&](auto& j) { j["crypto"]["kdfparams"]["dklen"] = dklen; }),
                  "crypto.kdfparams.dklen must be 32");
  }
  ExpectRejects(ParseEdited([](auto& j) { j["crypto"]["kdfparams"]["dklen"] = -32; }),
                "crypto.kdfparams.dklen must be a non-negative integer");
}

TEST(ParseKeystoreTest, RejectsScryptNNotAPowerOfTwoUpTo2To20) {
  for (uint64_t n : {uint64_t{0}, uint64_t{1}, uint64_t{1000}, uint64_t{1} << 21,
                     uint64_t{1} << 63}) {
    ExpectRejects(ParseEdited([&](auto& j) { j["crypto"]["kdfparams"]["n"] = n; }),
                  "crypto.kdfparams.n must be a power of two from 2 to 2^20");
  }
  ExpectRejects(ParseEdited([](auto& j) { j["crypto"]["kdfparams"]["n"] = 8192.0; }),
                "crypto.kdfparams.n must be a non-negative integer");
}

TEST(ParseKeystoreTest, RejectsScryptROutside1To32) {
  for (int r : {0, 33}) {
    ExpectRejects(ParseEdited([&](auto& j) {
                    j["crypto"]["kdfparams"]["n"] = 2;
                    j["crypto"]["kdfparams"]["r"] = r;
                  }),
                  "crypto.kdfparams.r must be 1..32");
  }
}

TEST(ParseKeystoreTest, RejectsScryptPOutside1To16) {
  for (int p : {0, 17}) {
    ExpectRejects(ParseEdited([&](auto& j) {
                    j["crypto"]["kdfparams"]["n"] = 2;
                    j["crypto"]["kdfparams"]["p"] = p;
                  }),
                  "crypto.kdfparams.p must be 1..16");
  }
}

TEST(ParseKeystoreTest, RejectsScryptWorkOver256MiB) {
  // 128 · 2^18 · 8 · 2 = 512 MiB.
  ExpectRejects(ParseEdited([](auto& j) {
                  j["crypto"]["kdfparams"]["n"] = 262144;
                  j["crypto"]["kdfparams"]["p"] = 2;
                }),
                "crypto.kdfparams.n/r/p need more than 256 MiB");
}

TEST(ParseKeystoreTest, RejectsPbkdf2BadPrfOrIterations) {
  auto pbkdf2 = [](nlohmann::json c, std::string prf) {
    return ParseEdited([&](auto& j) {
      j["crypto"]["kdf"] = "pbkdf2";
      j["crypto"]["kdfparams"] = {{"c", c}, {"prf", prf}, {"dklen", 32}, {"salt", "00"}};
    });
  };
  ExpectRejects(pbkdf2(0, "hmac-sha256"), "crypto.kdfparams.c must be 1..10000000");
  ExpectRejects(pbkdf2(10000001, "hmac-sha256"), "crypto.kdfparams.c must be 1..10000000");
  ExpectRejects(pbkdf2("1000", "hmac-sha256"), "crypto.kdfparams.c must be a non-negative integer");
  ExpectRejects(pbkdf2(1000, "hmac-sha512"), "crypto.kdfparams.prf must be hmac-sha256");
}

TEST(ParseKeystoreTest, RejectsAddressNotTwentyBytes) {
  ExpectRejects(ParseEdited([](auto& j) { j["address"] = std::string(38, 'a'); }),
                "address must be 20 bytes, got 19");
}

TEST(KeystoreTest, EncryptRejectsKdfParametersParseKeystoreWouldRefuse) {
  KeystoreParams p;
  p.scrypt = ScryptParams{uint64_t{1} << 21, 1, 1};
  ExpectRejects(EncryptKeystore(*HexDecode(kDevKeyHex), "pw", p), "crypto.kdfparams.n");
  p.kdf = KeystoreKdf::kPbkdf2;
  p.pbkdf2_iterations = 10000001;
  ExpectRejects(EncryptKeystore(*HexDecode(kDevKeyHex), "pw", p), "crypto.kdfparams.c");
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
