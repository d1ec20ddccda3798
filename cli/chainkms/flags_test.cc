#include "cli/chainkms/flags.h"

#include <cstdlib>

#include "absl/cleanup/cleanup.h"
#include "cli/chainkms/api_client.h"
#include "cli/chainkms/common.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/common/hex.h"
#include "lib/crypto/secp256k1.h"
#include "lib/kms/derive.h"
#include "lib/testing/temp_dir.h"

namespace chainkms::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

FlagSpec Spec() {
  return {.values = {{"--compose", "-c"}, {"--env", "-e", true}, {"--rpc-url"}},
          .bools = {"--json", "--wait"},
          .max_positional = 1};
}

TEST(FlagsTest, ValuesAliasesRepeatsAndBools) {
  auto f = ParseFlags({"-c", "a.yml", "-e", "A=1", "--env=.env", "--json", "list"}, Spec());
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->Get("--compose"), "a.yml");
  EXPECT_THAT(f->All("--env"), ElementsAre("A=1", ".env"));
  EXPECT_TRUE(f->Has("--json"));
  EXPECT_FALSE(f->Has("--wait"));
  EXPECT_THAT(f->positional(), ElementsAre("list"));
}

TEST(FlagsTest, ErrorsNameTheFlag) {
  EXPECT_THAT(ParseFlags({"--nope"}, Spec()).status().message(), HasSubstr("unknown flag --nope"));
  EXPECT_THAT(ParseFlags({"-c"}, Spec()).status().message(), HasSubstr("--compose needs a value"));
  EXPECT_THAT(ParseFlags({"-c", "a", "-c", "b"}, Spec()).status().message(),
              HasSubstr("--compose given more than once"));
  EXPECT_THAT(ParseFlags({"--json=1"}, Spec()).status().message(), HasSubstr("takes no value"));
  EXPECT_THAT(ParseFlags({"a", "b"}, Spec()).status().message(),
              HasSubstr("unexpected argument 'b'"));
}

TEST(FlagsTest, DoubleDashEndsFlags) {
  auto f = ParseFlags({"--", "--json"}, Spec());
  ASSERT_TRUE(f.ok());
  EXPECT_THAT(f->positional(), ElementsAre("--json"));
  EXPECT_FALSE(f->Has("--json"));
}

TEST(FlagsTest, EnvironmentFallbackOnlyWhenTheFlagIsAbsent) {
  ::setenv("CHAINKMS_TEST_RPC", "http://from-env", 1);
  absl::Cleanup unset = [] { ::unsetenv("CHAINKMS_TEST_RPC"); };
  auto none = ParseFlags({}, Spec());
  EXPECT_EQ(none->Get("--rpc-url", "CHAINKMS_TEST_RPC"), "http://from-env");
  auto given = ParseFlags({"--rpc-url", "http://flag"}, Spec());
  EXPECT_EQ(given->Get("--rpc-url", "CHAINKMS_TEST_RPC"), "http://flag");
}

TEST(ConfigTomlTest, SectionsAndProfiles) {
  auto c = ParseConfigToml(
      "# chainkms\n[default]\napi_url = \"http://a/api/v1\"\napi_key='ck_1'\n\n"
      "[profile.staging]\napi_url = \"http://b\"\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ((*c)["default"]["api_url"], "http://a/api/v1");
  EXPECT_EQ((*c)["default"]["api_key"], "ck_1");
  EXPECT_EQ((*c)["staging"]["api_url"], "http://b");
  EXPECT_THAT(ParseConfigToml("[x]\nkey = bare\n").status().message(),
              HasSubstr("line 2: the value of key must be a quoted string"));
  EXPECT_THAT(ParseConfigToml("[x\n").status().message(), HasSubstr("line 1: bad section"));
}

TEST(ApiSettingsTest, FlagsBeatEnvironmentBeatProfile) {
  testutil::TempDir dir;
  const std::string cfg = dir.path() + "/chainkms";
  ASSERT_EQ(::system(("mkdir -p " + cfg).c_str()), 0);
  {
    std::FILE* fp = std::fopen((cfg + "/config.toml").c_str(), "w");
    std::fputs(
        "[default]\napi_url = \"http://profile:8080\"\napi_key = \"ck_profile\"\n"
        "[other]\napi_url = \"http://other/api/v1/\"\n",
        fp);
    std::fclose(fp);
  }
  ::setenv("XDG_CONFIG_HOME", dir.path().c_str(), 1);
  ::unsetenv("CHAINKMS_API_URL");
  ::unsetenv("CHAINKMS_API_KEY");
  absl::Cleanup unset = [] {
    ::unsetenv("XDG_CONFIG_HOME");
    ::unsetenv("CHAINKMS_API_KEY");
  };
  FlagSpec spec{.values = {{"--api-url"}, {"--api-key"}, {"--profile"}}};
  auto s = ResolveApiSettings(*ParseFlags({}, spec));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->url, "http://profile:8080/api/v1");
  EXPECT_EQ(s->key, "ck_profile");
  ::setenv("CHAINKMS_API_KEY", "ck_env", 1);
  s = ResolveApiSettings(*ParseFlags({"--profile", "other"}, spec));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->url, "http://other/api/v1");
  EXPECT_EQ(s->key, "ck_env");
  s = ResolveApiSettings(*ParseFlags({"--api-url", "http://flag", "--api-key", "ck_flag"}, spec));
  EXPECT_EQ(s->url, "http://flag/api/v1");
  EXPECT_EQ(s->key, "ck_flag");
  EXPECT_THAT(ResolveApiSettings(*ParseFlags({"--profile", "nope"}, spec)).status().message(),
              HasSubstr("no profile [nope]"));
  EXPECT_THAT(ResolveApiSettings(*ParseFlags({"--api-url", "ftp://x"}, spec)).status().message(),
              HasSubstr("must start with http"));
}

TEST(ApiSettingsTest, NoUrlAtAllHasAHint) {
  testutil::TempDir dir;
  ::setenv("XDG_CONFIG_HOME", dir.path().c_str(), 1);
  ::unsetenv("CHAINKMS_API_URL");
  absl::Cleanup unset = [] { ::unsetenv("XDG_CONFIG_HOME"); };
  auto s = ResolveApiSettings(*ParseFlags({}, {.values = {{"--api-url"}}}));
  EXPECT_EQ(s.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(HintOf(s.status()), HasSubstr("--api-url"));
}

// DESIGN §5.4 and the phala CLI: KEY=VALUE when the part before '=' is an env key without path
// separators; anything else is a file. Files first, then pairs; the last duplicate wins.
TEST(CollectEnvTest, KeyValueVersusFileRule) {
  testutil::TempDir dir;
  const std::string file = dir.path() + "/a=b.env";  // has '=' but its "key" holds a '/'
  std::FILE* fp = std::fopen(file.c_str(), "w");
  std::fputs("A=from-file\nB=\"two\\nlines\"\n", fp);
  std::fclose(fp);
  auto env = CollectEnv({"A=from-flag", file, "C=x=y"});
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_THAT(*env, ElementsAre(Pair("A", "from-flag"), Pair("B", "two\nlines"), Pair("C", "x=y")));
  auto missing = CollectEnv({"not-a-file.env"});
  EXPECT_THAT(missing.status().message(), HasSubstr("Environment file not found: not-a-file.env"));
  EXPECT_THAT(CollectEnv({"1BAD=x"}).status().message(), HasSubstr("Environment file not found"));
}

TEST(CollectEnvTest, PlaintextLimits) {
  EXPECT_EQ(*EnvPlaintext({{"A", "1"}, {"B", "é"}}),
            R"({"env":[{"key":"A","value":"1"},{"key":"B","value":"é"}]})");
  EXPECT_THAT(EnvPlaintext({{"BIG", std::string(128 * 1024 + 1, 'x')}}).status().message(),
              HasSubstr("larger than 128 KiB"));
  EnvList many;
  for (int i = 0; i < 1025; ++i) many.emplace_back("K" + std::to_string(i), "");
  EXPECT_THAT(EnvPlaintext(many).status().message(), HasSubstr("too many env variables"));
}

}  // namespace
}  // namespace chainkms::cli

namespace chainkms::cli {
namespace {

// The env key is trusted only when the KMS key that DstackKms names on chain signed it.
TEST(EnvKeySignatureTest, OnlyTheKmsKeyOnChainIsTrusted) {
  Bytes root_bytes(32, 0);
  root_bytes[31] = 42;
  const Secp256k1PrivateKey root = *Secp256k1PrivateKey::FromBytes(root_bytes);
  Bytes other_bytes(32, 0);
  other_bytes[31] = 43;
  const Secp256k1PrivateKey other = *Secp256k1PrivateKey::FromBytes(other_bytes);
  Address app{};
  app.bytes[0] = 0xab;
  Hash32 pub{};
  pub.bytes[5] = 9;
  const std::string pub_hex = HexEncode(pub.view());
  const auto on_chain = root.PublicKey().Compressed();
  const std::string good = HexEncode(kms::SignEnvPublicKeyLegacy(root, app, pub).view());
  auto ok = CheckEnvKeySignature(app, pub_hex, good, on_chain.view());
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(*ok, pub);
  // The same key in uncompressed SEC1, as kmsInfo may hold it.
  EXPECT_TRUE(
      CheckEnvKeySignature(app, pub_hex, good, root.PublicKey().Uncompressed().view()).ok());
  // Signed by another key: refused, with a hint not to send secrets.
  const std::string forged = HexEncode(kms::SignEnvPublicKeyLegacy(other, app, pub).view());
  auto bad = CheckEnvKeySignature(app, pub_hex, forged, on_chain.view());
  EXPECT_EQ(bad.status().message(), "Encryption public key signature does not match KMS");
  EXPECT_THAT(HintOf(bad.status()), HasSubstr("do not send secrets"));
  // Signed for another app, or another key swapped in: the recovered signer differs.
  Address app2 = app;
  app2.bytes[1] = 1;
  EXPECT_FALSE(CheckEnvKeySignature(app2, pub_hex, good, on_chain.view()).ok());
  Hash32 pub2 = pub;
  pub2.bytes[0] = 1;
  EXPECT_FALSE(CheckEnvKeySignature(app, HexEncode(pub2.view()), good, on_chain.view()).ok());
  // v = 27 (not 0/1), a short signature, a 31-byte key: refused, never padded.
  std::string v27 = good;
  v27.replace(v27.size() - 2, 2, "1b");
  EXPECT_EQ(CheckEnvKeySignature(app, pub_hex, v27, on_chain.view()).status().message(),
            "Invalid encryption public key signature");
  EXPECT_FALSE(CheckEnvKeySignature(app, pub_hex, good.substr(0, 128), on_chain.view()).ok());
  EXPECT_FALSE(CheckEnvKeySignature(app, pub_hex.substr(2), good, on_chain.view()).ok());
}

}  // namespace
}  // namespace chainkms::cli
