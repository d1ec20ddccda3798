#include "cli/chainkms/deploy_cmd.h"
#include "cli/chainkms/prepared.h"

#include <fstream>
#include <sstream>

#include "cli/chainkms/api_client.h"
#include "cli/chainkms/chainkms_cli.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace chainkms::cli {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;

std::string Golden(const std::string& name) {
  std::ifstream in(std::string(CHAINKMS_CLI_TESTDATA) + "/" + name);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// What the gateway's 465 carries for a prepare-only update (docs/phala-cloud-api.md §6).
std::map<std::string, json> Details(uint64_t chain_id, bool hash_ok, bool device_ok) {
  return {{"compose_hash", "0xABCDEF00000000000000000000000000000000000000000000000000000000ff"},
          {"app_id", "1111111111111111111111111111111111111111"},
          {"device_id", "0x00000000000000000000000000000000000000000000000000000000000000d1"},
          {"kms_info", {{"chain_id", chain_id}, {"slug", "base"}}},
          {"onchain_status",
           {{"compose_hash_allowed", hash_ok},
            {"device_id_allowed", device_ok},
            {"is_allowed", hash_ok && device_ok}}},
          {"onchain_action",
           {{"to", "0x1111111111111111111111111111111111111111"},
            {"method", "addComposeHash(bytes32)"},
            {"calldata",
             "0xdfc77223abcdef00000000000000000000000000000000000000000000000000000000ff"}}},
          {"commit_token", "tok_123"},
          {"commit_url", "https://gw.example/cvms/cvm_1/confirm-update?token=tok_123"},
          {"api_commit_url", "https://gw.example/api/v1/cvms/cvm_1/commit-update?token=tok_123"},
          {"expires_at", "2026-12-14T00:00:00Z"}};
}

TEST(PreparedTest, BaseBlockMatchesGolden) {
  const PreparedUpdate p = PreparedFromDetails("cvm_1", Details(8453, false, true));
  EXPECT_EQ(p.compose_hash, "0xabcdef00000000000000000000000000000000000000000000000000000000ff");
  EXPECT_EQ(p.app_id, "0x1111111111111111111111111111111111111111");
  EXPECT_EQ(RenderPrepared(p), Golden("prepare_only_base.txt"));
}

TEST(PreparedTest, LocalChainAllRegisteredMatchesGolden) {
  const PreparedUpdate p = PreparedFromDetails("cvm_1", Details(31337, true, true));
  EXPECT_EQ(RenderPrepared(p), Golden("prepare_only_anvil_registered.txt"));
}

TEST(PreparedTest, TheBlockNamesWhatTheSeedAsksFor) {
  const std::string b = RenderPrepared(PreparedFromDetails("cvm_1", Details(8453, false, false)));
  for (const char* s :
       {"Compose Hash:    0x", "App ID:          0x", "Device ID:       0x",
        "Chain:           Base (ID: 8453)", "https://basescan.org/address/0x",
        "Commit Token:    tok_123", "Commit URL:      https://", "(POST)",
        "On-chain Status:", "Compose Hash:  NOT registered", "Device ID:     NOT registered",
        "addComposeHash(bytes32)", "addDevice(bytes32)"}) {
    EXPECT_THAT(b, HasSubstr(s));
  }
}

TEST(PreparedTest, JsonShape) {
  const auto d = Details(8453, false, true);
  const json j = PreparedJson(PreparedFromDetails("cvm_1", d), d.at("kms_info"));
  EXPECT_EQ(j["success"], true);
  EXPECT_EQ(j["prepare_only"], true);
  EXPECT_EQ(j["contract_explorer_url"],
            "https://basescan.org/address/0x1111111111111111111111111111111111111111");
  EXPECT_EQ(j["onchain_status"]["compose_hash_allowed"], false);
  EXPECT_EQ(j["onchain_action"]["method"], "addComposeHash(bytes32)");
  EXPECT_EQ(j["kms_info"]["chain_id"], 8453);
  for (const char* k : {"compose_hash", "app_id", "device_id", "chain_id", "commit_token",
                        "commit_url", "api_commit_url"}) {
    EXPECT_TRUE(j.contains(k)) << k;
  }
  EXPECT_TRUE(PreparedJson(PreparedFromDetails("cvm_1", Details(31337, 0, 0)),
                           nullptr)["contract_explorer_url"]
                  .is_null());
}

TEST(ApiErrorTest, HintsForWhatAUserCanFix) {
  ApiResponse r{.status = 466,
                .body = json::parse(
                    R"({"detail":{"error_code":"ERR-01-006","message":"Commit token expired"}})")};
  absl::Status s = ApiErrorStatus(r);
  EXPECT_EQ(s.message(), "Commit token expired [HTTP 466 ERR-01-006]");
  EXPECT_THAT(HintOf(s), HasSubstr("run --prepare-only again"));
  r = {.status = 401,
       .body = json::parse(
           R"({"detail":{"error_code":"UNAUTHENTICATED","message":"invalid API key"}})")};
  EXPECT_EQ(ApiErrorStatus(r).code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(HintOf(ApiErrorStatus(r)), HasSubstr("--api-key"));
  r = {.status = 503, .body = nullptr};
  EXPECT_EQ(ApiErrorStatus(r).message(), "the API answered HTTP 503 [HTTP 503]");
  EXPECT_EQ(ApiErrorStatus(r).code(), absl::StatusCode::kUnavailable);
  r = {
      .status = 400,
      .body = json::parse(
          R"({"detail":{"error_code":"ERR-02-008","message":"invalid field","details":[{"field":"compose_file.name","value":"too long"}]}})")};
  EXPECT_THAT(ApiErrorStatus(r).message(), HasSubstr("compose_file.name: too long"));
}

int RunCli(std::vector<std::string> args, std::string* out, std::string* err) {
  std::vector<char*> argv;
  static std::string name = "chainkms";
  argv.push_back(name.data());
  for (std::string& a : args) argv.push_back(a.data());
  std::ostringstream o, e;
  const int rc = Run(static_cast<int>(argv.size()), argv.data(), o, e);
  *out = o.str();
  *err = e.str();
  return rc;
}

TEST(DeployCliTest, UsageErrorsExitTwo) {
  std::string out, err;
  EXPECT_EQ(RunCli({"deploy", "--bogus"}, &out, &err), 2);
  EXPECT_THAT(err, HasSubstr("unknown flag --bogus"));
  EXPECT_EQ(RunCli({"deploy", "--commit", "--prepare-only", "--cvm-id", "x"}, &out, &err), 2);
  EXPECT_THAT(err, HasSubstr("do not go together"));
  EXPECT_EQ(RunCli({"deploy", "--prepare-only", "-c", "x.yml"}, &out, &err), 2);
  EXPECT_THAT(err, HasSubstr("pass --cvm-id"));
  EXPECT_EQ(RunCli({"nope"}, &out, &err), 2);
  EXPECT_EQ(RunCli({"deploy", "--help"}, &out, &err), 0);
  EXPECT_THAT(out, HasSubstr("--prepare-only"));
}

TEST(DeployCliTest, ErrorsAreOneLineWithAHintAndJsonWhenAsked) {
  std::string out, err;
  // The commit needs no key, but a token; a refused connection is one line with a hint.
  EXPECT_EQ(RunCli({"deploy", "--commit", "--cvm-id", "cvm_1", "--api-url", "http://127.0.0.1:1"},
                   &out, &err),
            1);
  EXPECT_EQ(err, "error: --token is required for --commit mode\n");
  EXPECT_EQ(RunCli({"deploy", "--commit", "--cvm-id", "cvm_1", "--token", "t", "--api-url",
                    "http://127.0.0.1:1", "--transaction-hash", "0x12"},
                   &out, &err),
            1);
  EXPECT_THAT(err, HasSubstr("--transaction-hash: expected 0x + 64 hex digits"));
  EXPECT_EQ(RunCli({"deploy", "--commit", "--cvm-id", "cvm_1", "--token", "t", "--api-url",
                    "http://127.0.0.1:1", "--json"},
                   &out, &err),
            1);
  const json j = json::parse(err.substr(err.find('{')));
  EXPECT_EQ(j["success"], false);
  EXPECT_THAT(j["error"].get<std::string>(), HasSubstr("cannot reach the API"));
  EXPECT_THAT(j["hint"].get<std::string>(), HasSubstr("--api-url"));
  // A new deploy without a key says so before anything is sent.
  EXPECT_EQ(RunCli({"deploy", "-c", "x.yml", "--kms", "base", "--api-url", "http://127.0.0.1:1",
                    "--api-key", "ck_x"},
                   &out, &err),
            1);
  EXPECT_THAT(err, HasSubstr("no private key"));
}

}  // namespace
}  // namespace chainkms::cli
