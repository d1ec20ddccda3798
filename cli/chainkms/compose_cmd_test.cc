#include "cli/chainkms/compose_cmd.h"

#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/testing/temp_dir.h"
#include "nlohmann/json.hpp"

namespace chainkms::cli {
namespace {

using ::testing::HasSubstr;

struct Out {
  int rc;
  std::string out;
  std::string err;
};

Out Compose(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  const int rc = ComposeCommand(args, out, err);
  return {rc, out.str(), err.str()};
}

class ComposeHashCli : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = dir_.path() + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  testutil::TempDir dir_;
};

TEST_F(ComposeHashCli, HashesAnAppComposeFileAndTheDesignVector) {
  const std::string f =
      Write("app-compose.json",
            R"({"runner":"docker-compose","docker_compose_file":"docker-compose.yml"})");
  Out o = Compose({"hash", "--app-compose", f});
  EXPECT_EQ(o.rc, 0) << o.err;
  EXPECT_EQ(o.out, "0x6148eabae40413a5c15aeab33343e7a219edc0cda2c2556add9a96ec76d61b11\n");
  Out j = Compose({"hash", "--app-compose=" + f, "--json"});
  const nlohmann::json parsed = nlohmann::json::parse(j.out);
  EXPECT_EQ(parsed["compose_hash"],
            "0x6148eabae40413a5c15aeab33343e7a219edc0cda2c2556add9a96ec76d61b11");
  EXPECT_EQ(parsed["app_compose"],
            R"({"docker_compose_file":"docker-compose.yml","runner":"docker-compose"})");
  const std::string bash =
      Write("bash.json", R"({"runner":"bash","docker_compose_file":"x","bash_script":"y"})");
  EXPECT_NE(Compose({"hash", "--app-compose", bash}).out,
            Compose({"hash", "--app-compose", bash, "--normalize"}).out);
}

TEST_F(ComposeHashCli, BuildsTheAppComposeFromAComposeFileAndOptions) {
  const std::string yml = Write("docker-compose.yml", "services:\n  web:\n    image: nginx\n");
  const std::string script = Write("pre.sh", "echo hi\n");
  Out o = Compose({"hash", "-c", yml, "--name", "web", "--allowed-envs", "API_KEY,DB", "--json",
                   "--pre-launch-script", script, "--no-gateway", "--storage-fs", "ext4"});
  ASSERT_EQ(o.rc, 0) << o.err;
  const nlohmann::json j = nlohmann::json::parse(o.out);
  const nlohmann::json app = nlohmann::json::parse(j["app_compose"].get<std::string>());
  EXPECT_EQ(app["name"], "web");
  EXPECT_EQ(app["allowed_envs"], nlohmann::json({"API_KEY", "DB"}));
  EXPECT_EQ(app["gateway_enabled"], false);
  EXPECT_EQ(app["pre_launch_script"], "echo hi\n");
  EXPECT_EQ(app["storage_fs"], "ext4");
  EXPECT_EQ(app["docker_compose_file"], "services:\n  web:\n    image: nginx\n");
  // The plain output is the same hash.
  Out plain = Compose({"hash", "-c", yml, "--name", "web", "--allowed-envs", "API_KEY,DB",
                       "--pre-launch-script", script, "--no-gateway", "--storage-fs", "ext4"});
  EXPECT_EQ(plain.out, j["compose_hash"].get<std::string>() + "\n");
}

TEST_F(ComposeHashCli, BadInputIsOneLineAndUsageIsTwo) {
  const std::string yml = Write("c.yml", "x");
  Out bad_env = Compose({"hash", "-c", yml, "--allowed-envs", "1X"});
  EXPECT_EQ(bad_env.rc, 1);
  EXPECT_THAT(bad_env.err, HasSubstr("allowed_envs"));
  EXPECT_EQ(Compose({"hash", "-c", dir_.path() + "/missing.yml"}).rc, 1);
  const std::string dup = Write("dup.json", R"({"a":1,"a":2})");
  Out d = Compose({"hash", "--app-compose", dup});
  EXPECT_EQ(d.rc, 1);
  EXPECT_THAT(d.err, HasSubstr("duplicate key"));
  EXPECT_EQ(Compose({"hash"}).rc, 2);
  EXPECT_EQ(Compose({"hash", "-c", yml, "--app-compose", dup}).rc, 2);
  EXPECT_EQ(Compose({"hash", "-c", yml, "--bogus"}).rc, 2);
  EXPECT_EQ(Compose({"hashes"}).rc, 2);
}

}  // namespace
}  // namespace chainkms::cli
