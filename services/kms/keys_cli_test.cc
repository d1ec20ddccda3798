#include "services/kms/keys_cli.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/chain/contracts.h"
#include "lib/common/hex.h"
#include "lib/kms/root_keys.h"
#include "lib/testing/temp_dir.h"
#include "nlohmann/json.hpp"

namespace chainkms::kms {
namespace {

using ::testing::HasSubstr;

struct Out {
  std::optional<int> rc;
  std::string out;
  std::string err;
};

Out Cli(std::vector<std::string> args) {
  args.insert(args.begin(), "chainkms-kms");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  std::ostringstream out, err;
  Out o;
  o.rc = RunSubcommand(static_cast<int>(argv.size()), argv.data(), out, err,
                       absl::FromUnixSeconds(1700000000));
  o.out = out.str();
  o.err = err.str();
  return o;
}

class KeysCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(tmp_.path().empty());
    dir_ = tmp_.path();
  }
  testutil::TempDir tmp_;
  std::string dir_;
};

TEST_F(KeysCliTest, InitThenShowPrintsOnlyPublicMaterialAndTheRegistration) {
  const std::string d = dir_ + "/a/31337";
  Out init = Cli({"keys", "init", "--dir", d});
  ASSERT_EQ(init.rc, 0) << init.err;
  Out again = Cli({"keys", "init", "--dir", d});
  EXPECT_EQ(again.rc, 1);
  EXPECT_THAT(again.err, HasSubstr("refusing to overwrite"));

  Out show = Cli({"keys", "show", "--dir=" + d, "--chain-id", "31337", "--json"});
  ASSERT_EQ(show.rc, 0) << show.err;
  const nlohmann::json j = nlohmann::json::parse(show.out);
  absl::StatusOr<RootKeys> keys = LoadKeyDir(d);
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(j["k256_public_key"], Hex0x(keys->K256PublicKey().view()));
  EXPECT_EQ(j["ca_public_key_spki_der"], Hex0x(keys->CaSpkiDer()));
  EXPECT_EQ(j["set_kms_info_calldata"], Hex0x(dstack_kms::SetKmsInfo(keys->OnChainInfo())));
  EXPECT_EQ(j["prepare_transaction_request"]["chainId"], "31337");
  EXPECT_TRUE(j["prepare_transaction_request"]["actions"][0].contains("setKmsInfo"));
  // No secret in any output.
  for (const Out& o : {init, show, Cli({"keys", "show", "--dir", d})}) {
    EXPECT_THAT(o.out, testing::Not(HasSubstr(HexEncode(keys->k256.secret().view()))));
    EXPECT_THAT(o.out, testing::Not(HasSubstr(HexEncode(keys->ca.scalar().view()))));
    EXPECT_THAT(o.out, testing::Not(HasSubstr("PRIVATE KEY")));
  }
}

TEST_F(KeysCliTest, UsageErrorsAndNonSubcommands) {
  EXPECT_EQ(Cli({"--listen=127.0.0.1:0"}).rc, std::nullopt);  // the server's flags
  EXPECT_EQ(Cli({"keys", "init"}).rc, 2);
  EXPECT_EQ(Cli({"keys", "rotate", "--dir", "x"}).rc, 2);
  EXPECT_EQ(Cli({"keys", "show", "--dir", dir_ + "/none"}).rc, 1);
  EXPECT_EQ(Cli({"audit", "verify"}).rc, 2);
  EXPECT_EQ(Cli({"audit", "verify", dir_ + "/missing.log"}).rc, 1);
  EXPECT_EQ(Cli({"keys", "show", "--dir", "x", "--chain-id", "abc"}).rc, 2);
}

std::string Shared(const std::string& rel) {
  const char* src = std::getenv("CHAINKMS_SOURCE_DIR");
  return std::string(src != nullptr ? src : ".") + "/../shared/vectors/" + rel;
}

TEST(AttestationVerifyCli, ExplainsTheVerdictAndExitsZeroOnlyWhenAccepted) {
  const std::string quote = Shared("tdx/tdx_quote.bin");
  const std::string collateral = Shared("tdx/tdx_quote_collateral.json");
  Out ok = Cli({"attestation", "verify", "--quote", quote, "--collateral", collateral, "--at",
                "2025-07-04T10:00:00Z"});
  EXPECT_EQ(ok.rc, 0) << ok.out << ok.err;
  EXPECT_THAT(ok.out, HasSubstr("ACCEPTED: UpToDate"));
  EXPECT_THAT(ok.out, HasSubstr("ok    quote_signature"));
  EXPECT_THAT(ok.out, HasSubstr("FMSPC B0C06F000000"));

  Out json_ok = Cli({"attestation", "verify", "--quote=" + quote, "--collateral=" + collateral,
                     "--at=2025-07-04T10:00:00Z", "--json"});
  ASSERT_EQ(json_ok.rc, 0) << json_ok.err;
  const nlohmann::json j = nlohmann::json::parse(json_ok.out);
  EXPECT_EQ(j["accepted"], true);
  EXPECT_EQ(j["status"], "UpToDate");
  EXPECT_TRUE(j["advisory_ids"].empty());
  EXPECT_EQ(j["fmspc"], "B0C06F000000");
  EXPECT_EQ(j["ppid"].get<std::string>().size(), 32u);
  EXPECT_EQ(j["collateral"]["not_after"], "2025-07-19T10:00:35Z");
  EXPECT_EQ(j["measurements"]["mr_td"].get<std::string>().size(), 96u);
  EXPECT_GE(j["steps"].size(), 14u);

  // Today: refused, exit 1, the failing step named.
  Out today = Cli({"attestation", "verify", "--quote", quote, "--collateral", collateral, "--at",
                   "2026-12-02T00:00:00Z"});
  EXPECT_EQ(today.rc, 1);
  EXPECT_THAT(today.out, HasSubstr("FAIL  root_ca: root CA CRL: expired"));
  EXPECT_THAT(today.out, HasSubstr("REFUSED"));
  // A policy that refuses what verifies.
  Out policy = Cli({"attestation", "verify", "--quote", quote, "--collateral", collateral, "--at",
                    "2025-07-04T10:00:00Z", "--tcb-accept-status", "OutOfDate"});
  EXPECT_EQ(policy.rc, 1);
  EXPECT_THAT(policy.out, HasSubstr("FAIL  tcb_policy"));
  // With an event log that does not replay to the quote's RTMR3.
  testutil::TempDir dir;
  const std::string log = dir.path() + "/log.json";
  std::ofstream(log) << R"([{"imr":3,"event_type":134217729,"event":"app-id","event_payload":""}])";
  Out evlog = Cli({"attestation", "verify", "--quote", quote, "--collateral", collateral, "--at",
                   "2025-07-04T10:00:00Z", "--event-log", log});
  EXPECT_EQ(evlog.rc, 1);
  EXPECT_THAT(evlog.out, HasSubstr("FAIL  event_log"));
  EXPECT_THAT(evlog.out, HasSubstr("RTMR3 mismatch"));
  // The collateral from a directory (air-gapped), named by FMSPC; the quote as hex.
  std::filesystem::copy_file(collateral, dir.path() + "/B0C06F000000.json");
  std::ifstream in(quote, std::ios::binary);
  const std::string raw((std::istreambuf_iterator<char>(in)), {});
  std::ofstream(dir.path() + "/quote.hex") << HexEncode(AsBytes(raw)) << "\n";
  Out from_dir = Cli({"attestation", "verify", "--quote", dir.path() + "/quote.hex",
                      "--collateral-dir", dir.path(), "--at", "2025-07-04T10:00:00Z"});
  EXPECT_EQ(from_dir.rc, 0) << from_dir.out;
}

TEST(AttestationVerifyCli, UsageErrorsExitTwo) {
  EXPECT_EQ(Cli({"attestation", "verify"}).rc, 2);
  EXPECT_EQ(Cli({"attestation", "check"}).rc, 2);
  EXPECT_EQ(Cli({"attestation", "verify", "--quote", "/nonexistent"}).rc, 2);
  Out at =
      Cli({"attestation", "verify", "--quote", Shared("tdx/tdx_quote.bin"), "--at", "yesterday"});
  EXPECT_EQ(at.rc, 2);
  EXPECT_THAT(at.err, HasSubstr("RFC 3339"));
  EXPECT_EQ(Cli({"attestation", "verify", "--quote", "x", "--bogus"}).rc, 2);
}

}  // namespace
}  // namespace chainkms::kms
