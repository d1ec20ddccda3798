#include "lib/kms/root_keys.h"

#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/cleanup/cleanup.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/common/hex.h"
#include "lib/kms/app_keys.h"
#include "lib/kms/derive.h"
#include "lib/kms/x509.h"
#include "lib/testing/status_matchers.h"
#include "lib/testing/temp_dir.h"

namespace chainkms::kms {
namespace {

using ::chainkms::testutil::HasReason;
using ::chainkms::testutil::StatusIs;

using ::testing::HasSubstr;
namespace fs = std::filesystem;

// A fresh directory per test, removed at the end of the test.
class KeyDirTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(tmp_.path().empty()); }
  std::string Dir() const { return tmp_.path() + "/keys"; }
  std::string File(const char* name) const { return Dir() + "/" + name; }
  testutil::TempDir tmp_;
};

TEST_F(KeyDirTest, InitCreatesTheDstackKmsFilesWith0600AndLoadReadsThemBack) {
  ASSERT_OK_AND_ASSIGN(RootKeys made, InitKeyDir(Dir(), absl::FromUnixSeconds(1700000000)));
  EXPECT_EQ(fs::status(Dir()).permissions() & fs::perms::all, fs::perms::owner_all);
  for (const char* f : {kRootCaKeyFile, kRootK256KeyFile}) {
    EXPECT_EQ(fs::status(File(f)).permissions() & fs::perms::all,
              fs::perms::owner_read | fs::perms::owner_write)
        << f;
  }
  EXPECT_EQ(fs::file_size(File(kRootK256KeyFile)), 32u);
  std::ifstream pem(File(kRootCaKeyFile));
  std::string first;
  std::getline(pem, first);
  EXPECT_EQ(first, "-----BEGIN PRIVATE KEY-----");

  ASSERT_OK_AND_ASSIGN(RootKeys loaded, LoadKeyDir(Dir()));
  EXPECT_EQ(loaded.K256PublicKey(), made.K256PublicKey());
  EXPECT_EQ(loaded.ca.PublicKeyUncompressed(), made.ca.PublicKeyUncompressed());
  EXPECT_EQ(loaded.ca_cert_der, made.ca_cert_der);
  EXPECT_EQ(loaded.CaSpkiDer().size(), 91u);
  ASSERT_OK_AND_ASSIGN(bool self_signed, CertIssuedBy(loaded.ca_cert_der, loaded.ca_cert_der));
  EXPECT_TRUE(self_signed);
  const KmsInfo info = loaded.OnChainInfo();
  EXPECT_EQ(info.k256_pubkey.size(), 33u);
  EXPECT_EQ(info.ca_pubkey, loaded.CaSpkiDer());
}

TEST_F(KeyDirTest, InitNeverOverwritesExistingKeys) {
  ASSERT_OK(InitKeyDir(Dir(), absl::Now()).status());
  std::ifstream before(File(kRootK256KeyFile), std::ios::binary);
  const std::string k1((std::istreambuf_iterator<char>(before)), {});
  EXPECT_THAT(InitKeyDir(Dir(), absl::Now()).status(),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("refusing to overwrite")));
  std::ifstream after(File(kRootK256KeyFile), std::ios::binary);
  EXPECT_EQ(std::string((std::istreambuf_iterator<char>(after)), {}), k1);
}

TEST_F(KeyDirTest, LoadRefusesOpenPermissionsNamingTheFile) {
  ASSERT_OK(InitKeyDir(Dir(), absl::Now()).status());
  for (const char* f : {kRootCaKeyFile, kRootK256KeyFile}) {
    ASSERT_EQ(chmod(File(f).c_str(), 0640), 0);
    EXPECT_THAT(LoadKeyDir(Dir()).status(),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         testing::AllOf(HasSubstr(File(f)), HasSubstr("0640"))));
    ASSERT_EQ(chmod(File(f).c_str(), 0600), 0);
  }
  ASSERT_OK(LoadKeyDir(Dir()).status());
}

TEST_F(KeyDirTest, LoadRefusesMissingAndShortKeysNamingTheFile) {
  ASSERT_OK(InitKeyDir(Dir(), absl::Now()).status());
  // Short k256 key (31 bytes): never padded.
  fs::resize_file(File(kRootK256KeyFile), 31);
  EXPECT_THAT(LoadKeyDir(Dir()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       testing::AllOf(HasSubstr(kRootK256KeyFile), HasSubstr("exactly 32"))));
  fs::remove(File(kRootK256KeyFile));
  EXPECT_THAT(LoadKeyDir(Dir()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       testing::AllOf(HasSubstr(kRootK256KeyFile), HasSubstr("missing"))));
  fs::remove(File(kRootCaKeyFile));
  EXPECT_THAT(LoadKeyDir(Dir()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(kRootCaKeyFile)));
}

TEST_F(KeyDirTest, LoadRefusesAGarbageCaKeyAndACertificateOfAnotherKey) {
  ASSERT_OK(InitKeyDir(Dir(), absl::Now()).status());
  const std::string other = tmp_.path() + "/other";
  ASSERT_OK(InitKeyDir(other, absl::Now()).status());
  fs::copy_file(other + "/" + kRootCaCertFile, File(kRootCaCertFile),
                fs::copy_options::overwrite_existing);
  EXPECT_THAT(
      LoadKeyDir(Dir()).status(),
      StatusIs(absl::StatusCode::kInvalidArgument,
               testing::AllOf(HasSubstr(kRootCaCertFile), HasSubstr("not the certificate"))));
  {
    std::ofstream garbage(File(kRootCaKeyFile), std::ios::trunc);
    garbage << "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
  }
  absl::Status s = LoadKeyDir(Dir()).status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(kRootCaKeyFile)));
  EXPECT_THAT(std::string(s.message()), testing::Not(HasSubstr("AAAA")));
}

TEST_F(KeyDirTest, LoadsAKeyDirectoryWrittenByHand) {
  // An operator brings dstack-kms keys: a PKCS#8 PEM CA key written by another tool (here our
  // PEM of DESIGN's vector scalar) and a raw k256 key.
  fs::create_directories(Dir());
  ASSERT_OK_AND_ASSIGN(P256PrivateKey ca,
                       P256PrivateKey::FromScalar(*HexDecode(
                           "f57527cea4ab7ffb49af99b158cdc0e3ec06398f528349ea236b7d2afe19cec1")));
  SecretBytes pem = P256Pkcs8Pem(ca);
  ASSERT_OK_AND_ASSIGN(Bytes cert, MakeRootCaCert(ca, {.not_before = absl::Now()}));
  const Bytes k256 = *HexDecode("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
  auto put = [&](const char* f, ByteView b, int mode) {
    std::ofstream o(File(f), std::ios::binary);
    o.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    o.close();
    chmod(File(f).c_str(), mode);
  };
  put(kRootCaKeyFile, pem.view(), 0600);
  put(kRootK256KeyFile, k256, 0400);
  const std::string cert_pem = CertDerToPem(cert);
  put(kRootCaCertFile, AsBytes(cert_pem), 0644);
  ASSERT_OK_AND_ASSIGN(RootKeys keys, LoadKeyDir(Dir()));
  // Derivation from the loaded keys reproduces DESIGN §5.3's env key vector.
  ASSERT_OK_AND_ASSIGN(EnvKey env, DeriveEnvKey(keys.ca, Address{}));
  EXPECT_EQ(HexEncode(env.public_key.view()),
            "fb40ea5800075665b1747cbe1dd54e1e9514c1fb5cbad7819c9158fb15e0de2c");
}

TEST_F(KeyDirTest, AppKeySetMatchesTheVectorsAndItsCaIsSignedByTheRoot) {
  ASSERT_OK_AND_ASSIGN(P256PrivateKey ca,
                       P256PrivateKey::FromScalar(*HexDecode(
                           "f57527cea4ab7ffb49af99b158cdc0e3ec06398f528349ea236b7d2afe19cec1")));
  ASSERT_OK_AND_ASSIGN(Bytes cert, MakeRootCaCert(ca, {.not_before = absl::Now()}));
  ASSERT_OK_AND_ASSIGN(Secp256k1PrivateKey k256,
                       Secp256k1PrivateKey::FromBytes(*HexDecode(
                           "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")));
  RootKeys root{.ca = std::move(ca), .k256 = std::move(k256), .ca_cert_der = cert};
  Address instance;
  instance.bytes.fill(0x11);
  ASSERT_OK_AND_ASSIGN(AppKeySet keys, DeriveAppKeySet(root, Address{}, instance));
  EXPECT_EQ(HexEncode(keys.disk_crypt_key.view()),
            "ea3e7b4b843b4d1257f87efc9f6aa7c7dd04c3f66be1a4b1a60442d807d8cbd4");
  EXPECT_EQ(HexEncode(keys.env_crypt_key.view()),
            "bd41ba1b4afc83aa6ffaa33db4c24d849e2aff9cfb6d0dc8b2107aea32a2852c");
  EXPECT_EQ(HexEncode(keys.env_public_key.view()),
            "fb40ea5800075665b1747cbe1dd54e1e9514c1fb5cbad7819c9158fb15e0de2c");
  ASSERT_OK_AND_ASSIGN(RecoverableSignature sig,
                       RecoverableSignature::FromBytes(keys.k256_signature.view()));
  ASSERT_OK_AND_ASSIGN(Secp256k1PublicKey signer,
                       RecoverPublicKey(AppKeyDigest(Address{}, keys.k256_public_key), sig));
  EXPECT_EQ(signer.Compressed(), root.K256PublicKey());
  ASSERT_OK_AND_ASSIGN(bool issued, CertIssuedBy(keys.ca_cert_der, root.ca_cert_der));
  EXPECT_TRUE(issued);
  ASSERT_OK_AND_ASSIGN(P256PrivateKey app_ca, DeriveAppCaKey(root.ca, Address{}));
  ASSERT_OK_AND_ASSIGN(FixedBytes<65> cert_key, CertP256PublicKey(keys.ca_cert_der));
  EXPECT_EQ(cert_key, app_ca.PublicKeyUncompressed());
  EXPECT_EQ(keys.ca_key_der.size(), 138u);
  // Another replica derives the same keys (only the certificate's signature bytes may differ).
  ASSERT_OK_AND_ASSIGN(AppKeySet again, DeriveAppKeySet(root, Address{}, instance));
  EXPECT_TRUE(again.k256_key.Equals(keys.k256_key.view()));
  EXPECT_EQ(again.k256_signature, keys.k256_signature);
  // Another app's CA certificate is not this one.
  Address other;
  other.bytes.fill(7);
  ASSERT_OK_AND_ASSIGN(AppKeySet other_keys, DeriveAppKeySet(root, other, instance));
  EXPECT_FALSE(other_keys.disk_crypt_key.Equals(keys.disk_crypt_key.view()));
}

TEST(ProtectProcessSecretsTest, TurnsOffCoreDumps) {
  // Run in a child: the flag is process-wide and would stick to the test runner.
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const bool ok = ProtectProcessSecrets().ok() && prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0;
    _exit(ok ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

}  // namespace
}  // namespace chainkms::kms
