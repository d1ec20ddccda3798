// chainkms-kms as operators run it: flags → Config → Run. Health stays NOT_SERVING until the
// on-chain kmsInfo matches the mounted root keys; then clients in another language (Node, from
// proto/ alone) and the real dstack SDK verify what it serves.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_join.h"
#include "lib/kms/app_keys.h"
#include "lib/kms/derive.h"
#include "lib/kms/env_crypt.h"
#include "lib/testing/command.h"
#include "lib/testing/grpc_health.h"
#include "lib/testing/scrape_metrics.h"
#include "nlohmann/json.hpp"
#include "services/kms/config.h"
#include "services/kms/keys_cli.h"
#include "services/kms/kms_fixture_test.h"
#include "services/kms/server.h"

namespace chainkms::kms {
namespace {

using json = nlohmann::json;
using testutil::CommandResult;
using testutil::RunCommand;
using testutil::ShellQuote;
using testutil::SourceDir;

absl::StatusOr<Config> ConfigFromFlags(const std::vector<std::string>& args) {
  ASSIGN_OR_RETURN(std::optional<Config> config, server::ParseServiceFlags(MainSpec(), args));
  if (!config.has_value()) return absl::InternalError("--help");
  return *std::move(config);
}

// Run() on a thread, stopped (and joined) when the object goes away.
struct RunningKms {
  chainkms::Mutex mu;
  std::vector<std::string> log_lines;  // every log line the server wrote
  server::Logger logger{[this](std::string_view line) {
    chainkms::MutexLock lock(&mu);
    log_lines.emplace_back(line);
  }};
  chainkms::Notification stop;
  chainkms::Notification serving;
  std::atomic<int> port{0};
  std::atomic<int> metrics_port{0};
  absl::Status result;
  std::thread thread;

  explicit RunningKms(const Config& config) {
    thread = std::thread([this, config] {
      Deps deps;
      deps.stop = &stop;
      deps.logger = &logger;
      deps.on_serving = [this](int p, int m) {
        port.store(p);
        metrics_port.store(m);
        serving.Notify();
      };
      result = ::chainkms::kms::Run(config, deps);
      if (!serving.HasBeenNotified()) serving.Notify();
    });
  }
  void Stop() {
    if (!stop.HasBeenNotified()) stop.Notify();
    if (thread.joinable()) thread.join();
  }
  ~RunningKms() { Stop(); }
};

class KmsServerTest : public KmsWorldTest {
 protected:
  std::vector<std::string> Flags(const std::string& key_dir, const std::string& audit) {
    return {"--listen=127.0.0.1:0",
            "--metrics-listen=127.0.0.1:0",
            absl::StrCat("--chain=31337=", world_->anvil->url(),
                         ";kms=", Hex0x(world_->net.kms.view())),
            "--key-dir=" + key_dir,
            "--insecure-dev-attestation",
            "--audit-log=" + audit,
            "--kms-info-check-interval=50ms",
            "--replica=kms-a"};
  }
};

TEST_F(KmsServerTest, NotServingUntilKmsInfoMatchesThenServesNodeAndTheDstackSdk) {
  // Start while the chain names other root keys.
  ASSERT_OK_AND_ASSIGN(RootKeys other, InitKeyDir(world_->dir + "/server-other", absl::Now()));
  absl::Cleanup restore = [&] {
    (void)world_->Send(world_->net.kms, dstack_kms::SetKmsInfo(world_->keys->OnChainInfo()));
  };
  ASSERT_OK(world_->Send(world_->net.kms, dstack_kms::SetKmsInfo(other.OnChainInfo())).status());
  const std::string audit = world_->dir + "/server-audit.log";
  ASSERT_OK_AND_ASSIGN(Config config, ConfigFromFlags(Flags(world_->key_dir, audit)));
  RunningKms kms(config);
  ASSERT_TRUE(kms.serving.WaitForNotificationWithTimeout(absl::Seconds(20)));
  const int port = kms.port.load();
  // Several checks have run (every 50 ms) and health still says NOT_SERVING.
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(testutil::HealthStatus(port), 2);
    absl::SleepFor(absl::Milliseconds(60));
  }
  // The operator registers the mounted keys: the next check serves.
  ASSERT_OK(
      world_->Send(world_->net.kms, dstack_kms::SetKmsInfo(world_->keys->OnChainInfo())).status());
  ASSERT_TRUE(testutil::WaitForHealth(port, 1, absl::Seconds(10)));

  // A Node client built from proto/ alone gets the env key, runs a dev GetAppKey, unseals.
  json claims = {{"app_id", HexEncode(app_->view())},
                 {"compose_hash", HexEncode(kHash.view())},
                 {"instance_id", HexEncode(Fill<20>(0x11).view())},
                 {"device_id", HexEncode(kDevice.view())},
                 {"mr_aggregated", HexEncode(Fill<32>(1).view())},
                 {"mr_system", HexEncode(Fill<32>(2).view())},
                 {"os_image_hash", HexEncode(world_->net.os_image_hash.view())},
                 {"tcb_status", "UpToDate"},
                 {"advisory_ids", json::array()},
                 {"key_provider_id", HexEncode(world_->keys->CaSpkiDer())}};
  CommandResult node = RunCommand(absl::StrCat("node ", SourceDir(),
                                               "/tests/kms/node_kms_client.mjs 127.0.0.1:", port,
                                               " 31337 ", ShellQuote(claims.dump())));
  ASSERT_EQ(node.rc, 0) << node.out;
  ASSERT_OK_AND_ASSIGN(EnvKey env, DeriveEnvKey(world_->keys->ca, *app_));
  const json node_out = json::parse(node.out);
  EXPECT_EQ(node_out["env_public_key"].get<std::string>(), HexEncode(env.public_key.view()));
  EXPECT_EQ(node_out["dev"], true);

  // The dstack SDK's own verifier accepts both signatures against the root k256 key.
  auto channel =
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
  auto stub = pb::Kms::NewStub(channel);
  grpc::ClientContext ctx;
  pb::GetAppEnvEncryptPubKeyRequest req;
  req.set_chain_id(kChainId);
  req.set_app_id(Raw(*app_));
  pb::GetAppEnvEncryptPubKeyResponse pub;
  ASSERT_TRUE(stub->GetAppEnvEncryptPubKey(&ctx, req, &pub).ok());
  json v = {{"app_id", HexEncode(app_->view())},
            {"public_key", HexEncode(AsBytes(pub.public_key()))},
            {"signature", HexEncode(AsBytes(pub.signature()))},
            {"signature_v1", HexEncode(AsBytes(pub.signature_v1()))},
            {"timestamp", pub.timestamp()},
            {"k256_public_key", HexEncode(world_->keys->K256PublicKey().view())}};
  CommandResult verify = RunCommand(absl::StrCat(
      "node ", SourceDir(), "/tests/kms/dstack_sdk_check.mjs verify ", ShellQuote(v.dump())));
  EXPECT_EQ(verify.rc, 0) << verify.out;
  // The SDK's encryptEnvVars output for that key opens with the derived env key.
  CommandResult enc =
      RunCommand(absl::StrCat("node ", SourceDir(), "/tests/kms/dstack_sdk_check.mjs encrypt ",
                              HexEncode(AsBytes(pub.public_key()))));
  ASSERT_EQ(enc.rc, 0) << enc.out;
  const json enc_out = json::parse(enc.out);
  ASSERT_OK_AND_ASSIGN(Bytes payload, HexDecode(enc_out["encrypted"].get<std::string>()));
  ASSERT_OK_AND_ASSIGN(SecretBytes plain, DecryptEnv(env.private_key.view(), payload));
  const json env_json = json::parse(std::string(plain.view().begin(), plain.view().end()));
  EXPECT_EQ(env_json["env"], enc_out["env"]);

  // A key request for a chain this kms does not serve: an error, counted under chain_id "0"
  // (a caller's chain id never becomes a label value of its own).
  {
    grpc::ClientContext unknown_ctx;
    pb::GetAppKeyRequest unknown;
    unknown.set_chain_id(987654321);
    pb::GetAppKeyResponse ignored;
    EXPECT_FALSE(stub->GetAppKey(&unknown_ctx, unknown, &ignored).ok());
  }

  // /metrics: decisions by outcome, the dev counter, the chain's serving gauge.
  absl::StatusOr<std::string> metrics = testutil::ScrapeMetrics(kms.metrics_port.load());
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_THAT(*metrics,
              HasSubstr("chainkms_kms_decisions_total{chain_id=\"31337\",outcome=\"issued\""));
  EXPECT_THAT(*metrics, HasSubstr("chainkms_kms_decisions_total{chain_id=\"0\",outcome=\"error\""));
  EXPECT_THAT(*metrics, ::testing::Not(HasSubstr("987654321")));
  EXPECT_THAT(*metrics, HasSubstr("chainkms_kms_dev_attestations_total 1"));
  EXPECT_THAT(*metrics, HasSubstr("chainkms_kms_chain_serving{chain_id=\"31337\"} 1"));
  EXPECT_THAT(*metrics, HasSubstr("chainkms_kms_derivation_seconds_count 1"));
  EXPECT_THAT(*metrics, HasSubstr("chainkms_kms_boot_policy_seconds_count{chain_id=\"31337\"} 1"));

  kms.Stop();
  EXPECT_TRUE(kms.result.ok()) << kms.result;
  // No secret in any log line or metric: the root keys, the app keys the Node client received.
  ASSERT_OK_AND_ASSIGN(AppKeySet issued, DeriveAppKeySet(*world_->keys, *app_, Fill<20>(0x11)));
  std::string logs;
  {
    chainkms::MutexLock lock(&kms.mu);
    ASSERT_GT(kms.log_lines.size(), 5u);
    for (const std::string& l : kms.log_lines) logs += l + "\n";
  }
  EXPECT_THAT(logs, HasSubstr("INSECURE: dev attestation accepted"));
  for (ByteView secret :
       {world_->keys->k256.secret().view(), world_->keys->ca.scalar().view(),
        issued.disk_crypt_key.view(), issued.env_crypt_key.view(), issued.k256_key.view()}) {
    EXPECT_THAT(logs, testing::Not(HasSubstr(HexEncode(secret))));
    EXPECT_THAT(*metrics, testing::Not(HasSubstr(HexEncode(secret))));
  }

  // `audit verify` accepts the log, then names a tampered line.
  std::ostringstream out, err;
  std::vector<std::string> args = {"chainkms-kms", "audit", "verify", audit};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  EXPECT_EQ(RunSubcommand(4, argv.data(), out, err, absl::Now()), 0) << out.str() << err.str();
  std::vector<json> lines = AuditLines(audit);
  ASSERT_EQ(lines.size(), 2u);  // the issued keys, then the unknown chain's error
  EXPECT_EQ(lines[0]["replica"], "kms-a");
  EXPECT_EQ(lines[1]["decision"], "error");
  std::ifstream in(audit);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  text.replace(text.find("\"issued\""), 8, "\"denied\"");
  std::ofstream(audit, std::ios::trunc) << text << "{\"seq\":2,\"prev\":\"00\"}\n";
  std::ostringstream out2;
  EXPECT_EQ(RunSubcommand(4, argv.data(), out2, err, absl::Now()), 1);
  EXPECT_THAT(out2.str(), HasSubstr(":1: chain broken"));
}

TEST_F(KmsServerTest, RefusesToStartOnAGroupReadableKeyNamingTheFile) {
  const std::string dir = world_->dir + "/open-keys";
  std::filesystem::copy(world_->key_dir, dir);
  std::filesystem::permissions(dir + "/root-k256.key", std::filesystem::perms::group_read,
                               std::filesystem::perm_options::add);
  ASSERT_OK_AND_ASSIGN(Config config,
                       ConfigFromFlags(Flags(dir, world_->dir + "/unused-audit.log")));
  absl::Status s = ::chainkms::kms::Run(config, {});
  EXPECT_THAT(s,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       testing::AllOf(HasSubstr(dir + "/root-k256.key"), HasSubstr("too open"))));
}

}  // namespace
}  // namespace chainkms::kms
