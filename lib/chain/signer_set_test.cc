#include "lib/chain/signer_set.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/common/hex.h"
#include "lib/eth/address.h"
#include "lib/eth/keystore.h"
#include "lib/common/reason.h"

namespace chainkms {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kPassword[] = "correct horse battery staple";

// Light scrypt so the tests stay fast.
KeystoreParams LightParams() {
  KeystoreParams p;
  p.scrypt = ScryptParams{.n = 16, .r = 1, .p = 1};
  return p;
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = ::testing::TempDir() + "signers_test_XXXXXX";
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  void Write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ + "/" + name, std::ios::binary) << text;
  }

 private:
  std::string path_;
};

Secp256k1PrivateKey KeyFromByte(uint8_t b) {
  Bytes raw(32, 0);
  raw[31] = b;
  return *Secp256k1PrivateKey::FromBytes(raw);
}

std::string KeystoreFor(uint8_t b, const std::string& password) {
  Secp256k1PrivateKey key = KeyFromByte(b);
  return *EncryptKeystore(key.secret().view(), password, LightParams());
}

TEST(SignerSetTest, LoadsJsonAndUtcKeystoresWithPasswordFromFile) {
  TempDir dir;
  dir.Write("a.json", KeystoreFor(1, kPassword));
  dir.Write("UTC--2024-01-01T00-00-00.000Z--abc", KeystoreFor(2, kPassword));
  dir.Write("README.txt", "not a keystore");
  TempDir pwdir;
  pwdir.Write("pw", std::string(kPassword) + "\n");

  SignerSet set;
  ASSERT_TRUE(set.LoadKeystoreDir(dir.path(), KeystorePassword::FromFile(pwdir.path() + "/pw")).ok());
  EXPECT_EQ(set.size(), 2u);
  for (uint8_t b : {1, 2}) {
    Address a = KeyFromByte(b).ToAddress();
    absl::StatusOr<std::shared_ptr<Signer>> s = set.Find(a);
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_EQ((*s)->address(), a);
  }
  std::vector<Address> want = {KeyFromByte(1).ToAddress(), KeyFromByte(2).ToAddress()};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(set.Addresses(), want);
}

TEST(SignerSetTest, LoadsKeystoresWithPasswordFromEnvironment) {
  TempDir dir;
  dir.Write("k.json", KeystoreFor(3, kPassword));
  ::setenv("CHAINKMS_TEST_KEYSTORE_PW", kPassword, 1);
  SignerSet set;
  absl::Status s = set.LoadKeystoreDir(dir.path(), KeystorePassword::FromEnv("CHAINKMS_TEST_KEYSTORE_PW"));
  ::unsetenv("CHAINKMS_TEST_KEYSTORE_PW");
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_TRUE(set.Find(KeyFromByte(3).ToAddress()).ok());
}

TEST(SignerSetTest, WrongPasswordIsInvalidArgumentNamingTheFileNotThePassword) {
  TempDir dir;
  dir.Write("good.json", KeystoreFor(4, kPassword));
  dir.Write("other.json", KeystoreFor(5, "a different password"));
  TempDir pwdir;
  pwdir.Write("pw", kPassword);
  SignerSet set;
  absl::Status s = set.LoadKeystoreDir(dir.path(), KeystorePassword::FromFile(pwdir.path() + "/pw"));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("other.json"));
  EXPECT_THAT(std::string(s.message()), Not(HasSubstr(kPassword)));
  EXPECT_THAT(std::string(s.message()), Not(HasSubstr("a different password")));
  EXPECT_EQ(ReasonOf(s), Reason::kKeystoreInvalid);
  EXPECT_THAT(MetadataOf(s).at("file"), HasSubstr("other.json"));
}

TEST(SignerSetTest, MissingPasswordVariableIsInvalidArgument) {
  TempDir dir;
  dir.Write("k.json", KeystoreFor(6, kPassword));
  ::unsetenv("CHAINKMS_TEST_NO_SUCH_VAR");
  SignerSet set;
  absl::Status s = set.LoadKeystoreDir(dir.path(), KeystorePassword::FromEnv("CHAINKMS_TEST_NO_SUCH_VAR"));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("CHAINKMS_TEST_NO_SUCH_VAR"));
}

TEST(SignerSetTest, DirectoryWithoutKeystoresIsInvalidArgument) {
  TempDir dir;
  dir.Write("notes.txt", "x");
  SignerSet set;
  absl::Status s = set.LoadKeystoreDir(dir.path(), KeystorePassword::FromEnv("HOME"));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("no *.json"));
}

TEST(SignerSetTest, MalformedKeystoreIsInvalidArgumentNamingTheFile) {
  TempDir dir;
  dir.Write("broken.json", "{\"version\": 3}");
  TempDir pwdir;
  pwdir.Write("pw", kPassword);
  SignerSet set;
  absl::Status s = set.LoadKeystoreDir(dir.path(), KeystorePassword::FromFile(pwdir.path() + "/pw"));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("broken.json"));
}

TEST(SignerSetTest, RawKeyFromEnvironmentSignsAndWarnsWithoutEchoingTheKey) {
  const std::string hex = "0x" + std::string(62, '0') + "07";
  ::setenv("CHAINKMS_TEST_RAW_KEY", hex.c_str(), 1);
  SignerSet set;
  std::ostringstream warnings;
  absl::Status s = set.AddRawKeyFromEnv("CHAINKMS_TEST_RAW_KEY", &warnings);
  ::unsetenv("CHAINKMS_TEST_RAW_KEY");
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(warnings.str(), "raw private key from CHAINKMS_TEST_RAW_KEY: development only\n");

  absl::StatusOr<std::shared_ptr<Signer>> signer = set.Find(KeyFromByte(7).ToAddress());
  ASSERT_TRUE(signer.ok()) << signer.status();
  Hash32 digest;
  digest[0] = 0xab;
  absl::StatusOr<RecoverableSignature> sig = (*signer)->SignDigest(digest);
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(RecoverPublicKey(digest, *sig)->ToAddress(), KeyFromByte(7).ToAddress());
}

TEST(SignerSetTest, RawKeyThatIsNotHexIsInvalidArgumentWithoutEchoingTheValue) {
  const std::string bad = std::string(63, 'a') + "z";
  ::setenv("CHAINKMS_TEST_RAW_KEY", bad.c_str(), 1);
  SignerSet set;
  std::ostringstream warnings;
  absl::Status s = set.AddRawKeyFromEnv("CHAINKMS_TEST_RAW_KEY", &warnings);
  ::unsetenv("CHAINKMS_TEST_RAW_KEY");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("CHAINKMS_TEST_RAW_KEY"));
  EXPECT_THAT(std::string(s.message()), Not(HasSubstr("aaaa")));
  EXPECT_EQ(warnings.str(), "");
}

TEST(SignerSetTest, SameKeyTwiceIsInvalidArgument) {
  SignerSet set;
  ASSERT_TRUE(set.Add(KeyFromByte(8)).ok());
  EXPECT_EQ(set.Add(KeyFromByte(8)).code(), absl::StatusCode::kInvalidArgument);
}

// One signer registry for every service: an unknown `from` is the caller's field (UNKNOWN_SIGNER,
// INVALID_ARGUMENT as common.proto documents), never a missing resource.
TEST(SignerSetTest, UnknownAddressIsInvalidArgumentWithReasonUnknownSigner) {
  SignerSet set;
  ASSERT_TRUE(set.Add(KeyFromByte(9)).ok());
  absl::StatusOr<std::shared_ptr<Signer>> s = set.Find(KeyFromByte(10).ToAddress());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReasonOf(s.status()), Reason::kUnknownSigner);
  EXPECT_EQ(MetadataOf(s.status()).at("from"), ToChecksumAddress(KeyFromByte(10).ToAddress()));
}

}  // namespace
}  // namespace chainkms
