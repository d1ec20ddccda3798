#include "lib/compose/app_compose.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/common/hex.h"

namespace chainkms::compose {
namespace {

using ::testing::HasSubstr;

TEST(ComposeHash, TheDesignVector) {
  absl::StatusOr<std::string> bytes = CanonicalAppCompose(
      R"({"runner":"docker-compose","docker_compose_file":"docker-compose.yml"})", false);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(*bytes, R"({"docker_compose_file":"docker-compose.yml","runner":"docker-compose"})");
  EXPECT_EQ(HexEncode(ComposeHash(*bytes).view()),
            "6148eabae40413a5c15aeab33343e7a219edc0cda2c2556add9a96ec76d61b11");
}

TEST(BuildAppCompose, WritesTheDocumentedFieldsSorted) {
  AppComposeSpec spec{.name = "web-1",
                      .docker_compose_file = "services:\n  web:\n    image: nginx\n",
                      .allowed_envs = {"API_KEY", "DB_URL"}};
  absl::StatusOr<std::string> bytes = BuildAppCompose(spec);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(
      *bytes,
      R"({"allowed_envs":["API_KEY","DB_URL"],)"
      R"("docker_compose_file":"services:\n  web:\n    image: nginx\n",)"
      R"("gateway_enabled":true,"key_provider":"kms","key_provider_id":"","kms_enabled":true,)"
      R"("local_key_provider_enabled":false,"manifest_version":2,"name":"web-1",)"
      R"("no_instance_id":false,"public_logs":true,"public_sysinfo":true,)"
      R"("public_tcbinfo":true,"runner":"docker-compose","secure_time":false})");
  spec.pre_launch_script = "#!/bin/sh\necho hi\n";
  spec.storage_fs = "ext4";
  spec.swap_size = 1073741824;
  bytes = BuildAppCompose(spec);
  ASSERT_TRUE(bytes.ok());
  EXPECT_THAT(*bytes, HasSubstr(R"("pre_launch_script":"#!/bin/sh\necho hi\n")"));
  EXPECT_THAT(*bytes, HasSubstr(R"("storage_fs":"ext4","swap_size":1073741824})"));
}

TEST(BuildAppCompose, RefusesBadFieldsNamingThem) {
  auto err = [](AppComposeSpec s) { return std::string(BuildAppCompose(s).status().message()); };
  const AppComposeSpec ok{.name = "app", .docker_compose_file = "x"};
  AppComposeSpec s = ok;
  s.name = "-app";
  EXPECT_THAT(err(s), HasSubstr("name"));
  s.name = std::string(64, 'a');
  EXPECT_THAT(err(s), HasSubstr("name"));
  s = ok;
  s.docker_compose_file = "";
  EXPECT_THAT(err(s), HasSubstr("docker_compose_file: required"));
  s.docker_compose_file = std::string(size_t{150} * 1024, 'x');
  s.pre_launch_script = std::string(size_t{51} * 1024, 'y');
  EXPECT_THAT(err(s), HasSubstr("200 KiB"));
  s = ok;
  s.docker_compose_file = "\xc0\xaf";
  EXPECT_THAT(err(s), HasSubstr("not UTF-8"));
  s = ok;
  s.allowed_envs = {"1BAD"};
  EXPECT_THAT(err(s), HasSubstr("not an env name"));
  s.allowed_envs = {"A", "A"};
  EXPECT_THAT(err(s), HasSubstr("given twice"));
  s = ok;
  s.key_provider_id = "ABCD";
  EXPECT_THAT(err(s), HasSubstr("key_provider_id"));
  s = ok;
  s.storage_fs = "btrfs";
  EXPECT_THAT(err(s), HasSubstr("storage_fs"));
  s = ok;
  s.docker_compose_file = std::string(size_t{200} * 1024, 'x');
  EXPECT_TRUE(BuildAppCompose(s).ok());
}

TEST(CanonicalAppCompose, NormalizesAsTheSdkDoes) {
  auto n = [](std::string_view j) { return *CanonicalAppCompose(j, true); };
  EXPECT_EQ(n(R"({"runner":"bash","docker_compose_file":"a","bash_script":"b"})"),
            R"({"bash_script":"b","runner":"bash"})");
  EXPECT_EQ(n(R"({"runner":"docker-compose","docker_compose_file":"a","bash_script":"b"})"),
            R"({"docker_compose_file":"a","runner":"docker-compose"})");
  for (const char* falsy : {R"("")", "null", "false", "0"}) {
    EXPECT_EQ(n(std::string(R"({"runner":"x","pre_launch_script":)") + falsy + "}"),
              R"({"runner":"x"})");
  }
  EXPECT_EQ(n(R"({"runner":"x","pre_launch_script":"s"})"),
            R"({"pre_launch_script":"s","runner":"x"})");
  EXPECT_EQ(*CanonicalAppCompose(R"({"runner":"bash","docker_compose_file":"a"})", false),
            R"({"docker_compose_file":"a","runner":"bash"})");
  EXPECT_FALSE(CanonicalAppCompose("[]", false).ok());
}

}  // namespace
}  // namespace chainkms::compose
