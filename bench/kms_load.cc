// KMS gRPC load generator (loopback, bounded, stops by itself), on anvil + the devnet contracts +
// one app, with an in-process KmsService (dev attestation, audit log to a temp file):
//  1. GetAppKey server time beyond its one chain read: R calls through the generated stub; the
//     chain's BootPolicy is wrapped to time its decision (the one eth_call), and each round also
//     times one Health/Check on the same channel (the bare loopback gRPC round trip). Per call:
//     total − chain read (attestation checks, derivation, sealing, the audit line, protobuf and
//     the gRPC hop) and total − chain read − hop (the server's own work). p50/p99 of each.
//  2. GetAppEnvEncryptPubKey QPS of our server vs a bare grpc::Server answering the same RPC with
//     a canned response (and, for reference, the bare server's Health/Check): same raw-bytes
//     client, same threads, fixed duration, alternating passes, medians; ours at log level error.
// Prints one JSON object; bench/report.py turns it into rows.
// --app-key-cache 0 derives every key on every call (no AppKeyCache): the cold path.
//   chainkms_kms_load [--rounds R] [--threads T] [--seconds S] [--passes P] [--app-key-cache N]
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "bench/grpc_load.h"
#include "bench/load_util.h"
#include "chainkms/v1/kms.grpc.pb.h"
#include "grpcpp/server_builder.h"
#include "lib/chain/chain_set.h"
#include "lib/chain/contracts.h"
#include "lib/chain/signer.h"
#include "lib/chain/tx_manager.h"
#include "lib/common/hex.h"
#include "lib/common/sync.h"
#include "lib/crypto/random.h"
#include "lib/crypto/x25519.h"
#include "lib/jsonrpc/client.h"
#include "lib/jsonrpc/curl_transport.h"
#include "lib/kms/attestation.h"
#include "lib/kms/audit.h"
#include "lib/kms/boot_policy.h"
#include "lib/kms/root_keys.h"
#include "lib/kms/sealed.h"
#include "lib/server/proto_fields.h"
#include "lib/server/server.h"
#include "lib/testing/anvil.h"
#include "lib/testing/devnet.h"
#include "services/kms/kms_service.h"

namespace chainkms {
namespace {

namespace pb = ::chainkms::v1;
using Steady = std::chrono::steady_clock;
constexpr uint64_t kChainId = 31337;
constexpr char kProgram[] = "kms_load";

template <typename T>
T Must(absl::StatusOr<T> v, const char* what) {
  return bench::Must(kProgram, std::move(v), what);
}
double Ms(Steady::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }
using server::Raw;

// Times each decision of the wrapped policy; the last duration is read after each call (the
// bench's client is single-threaded in part 1).
class TimedPolicy final : public kms::BootPolicy {
 public:
  explicit TimedPolicy(std::unique_ptr<kms::BootPolicy> inner) : inner_(std::move(inner)) {}
  absl::StatusOr<kms::BootDecision> Decide(const AppBootInfo& info) override {
    const auto a = Steady::now();
    auto d = inner_->Decide(info);
    MutexLock lock(&mu_);
    last_ = Steady::now() - a;
    return d;
  }
  Steady::duration last() {
    MutexLock lock(&mu_);
    return last_;
  }

 private:
  std::unique_ptr<kms::BootPolicy> inner_;
  Mutex mu_;
  Steady::duration last_{};
};

// The baseline of GetAppEnvEncryptPubKey: a bare grpc::Server (no interceptor, metrics, logs,
// limiter or reflection) whose Kms service answers the same RPC with a response computed once.
class CannedKms final : public pb::Kms::Service {
 public:
  explicit CannedKms(pb::GetAppEnvEncryptPubKeyResponse canned) : canned_(std::move(canned)) {}
  grpc::Status GetAppEnvEncryptPubKey(grpc::ServerContext*,
                                      const pb::GetAppEnvEncryptPubKeyRequest*,
                                      pb::GetAppEnvEncryptPubKeyResponse* resp) override {
    *resp = canned_;
    return grpc::Status::OK;
  }

 private:
  const pb::GetAppEnvEncryptPubKeyResponse canned_;
};

double BareKmsQps(const pb::GetAppEnvEncryptPubKeyResponse& canned, const std::string& payload,
                  int threads, double seconds) {
  CannedKms service(canned);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> srv = builder.BuildAndStart();
  if (srv == nullptr || port == 0) {
    bench::Die(kProgram, absl::UnavailableError("bare kms"), "start bare server");
  }
  const double qps = bench::UnaryQps(kProgram, port, "/chainkms.v1.Kms/GetAppEnvEncryptPubKey",
                                     payload, threads, seconds);
  srv->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  return qps;
}

}  // namespace
}  // namespace chainkms

int main(int argc, char** argv) {
  using namespace chainkms;
  int rounds = 500, threads = 4, passes = 3, app_key_cache = 10000;
  double seconds = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--rounds") rounds = std::atoi(argv[i + 1]);
    if (flag == "--threads") threads = std::atoi(argv[i + 1]);
    if (flag == "--seconds") seconds = std::atof(argv[i + 1]);
    if (flag == "--passes") passes = std::atoi(argv[i + 1]);
    if (flag == "--app-key-cache") app_key_cache = std::atoi(argv[i + 1]);
  }
  if (rounds < 1 || rounds > 20000 || threads < 1 || threads > 64 || !(seconds > 0) ||
      seconds > 60 || passes < 1 || passes > 10 || app_key_cache < 0) {
    std::cerr << "kms_load: --rounds 1..20000, --threads 1..64, --seconds (0,60], --passes 1..10, "
                 "--app-key-cache >= 0\n";
    return 2;
  }
  char tmpl[] = "/tmp/chainkms-kms-load-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return 1;
  const std::string dir = tmpl;
  kms::RootKeys keys = Must(kms::InitKeyDir(dir + "/keys", absl::Now()), "keys");
  auto anvil = Must(testutil::AnvilProcess::Start({}), "start anvil");
  JsonRpcClient rpc(std::make_shared<CurlTransport>(CurlTransport::Options{.url = anvil->url()}));
  TxManager txm(rpc, kChainId, SystemClock::Get(), {.poll_interval = absl::Milliseconds(20)});
  auto owner = std::make_shared<LocalKeySigner>(*Secp256k1PrivateKey::FromBytes(
      *HexDecode("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")));
  testutil::DevnetOptions options;
  options.kms_info = keys.OnChainInfo();
  testutil::Devnet net = Must(testutil::DeployDevnet(rpc, txm, owner, options), "devnet");
  Hash32 hash, device;
  hash.bytes.fill(0xc1);
  device.bytes.fill(0xd1);
  Receipt r = Must(testutil::SendAndWait(
                       txm, owner, net.kms,
                       dstack_kms::DeployAndRegisterApp(
                           {.owner = owner->address(), .device_id = device, .compose_hash = hash})),
                   "deploy app");
  Address app;
  for (const auto& e : r.EventsFrom(net.kms)) {
    if (auto* d = std::get_if<AppDeployedViaFactory>(&e)) app = d->app_id;
  }

  server::ServerConfig config = server::TestServerConfig();
  config.log_level = "error";  // the dev warning per request would dominate otherwise
  server::Logger quiet([](std::string_view) {}, server::LogLevel::kError);
  server::GrpcServer srv({.config = config, .logger = &quiet});
  ChainSet chains;
  chains.Add(Must(ConnectChain({.chain_id = kChainId, .rpc_urls = {anvil->url()}, .kms = net.kms},
                               {.metrics = &srv.metrics()}, SystemClock::Get()),
                  "connect"));
  Chain* chain = *chains.Find(kChainId);
  kms::DevAttestationVerifier dev;
  kms::EvidenceRouter router(&dev, nullptr);
  auto audit = Must(kms::AuditLog::Open(dir + "/audit.log", "bench"), "audit");
  std::map<uint64_t, kms::RootKeys> key_map;
  key_map.emplace(kChainId, *kms::LoadKeyDir(dir + "/keys"));
  kms::KmsService service(
      std::move(chains), std::move(key_map), router, *audit, srv.serving(), SystemClock::Get(),
      {.dev_attestation = true, .app_key_cache_capacity = static_cast<size_t>(app_key_cache)});
  auto timed = std::make_unique<TimedPolicy>(
      std::make_unique<kms::OnChainBootPolicy>(*chain->reader, kms::OnChainBootPolicyOptions{}));
  TimedPolicy* policy = timed.get();
  service.SetBootPolicy(kChainId, std::move(timed));
  srv.AddService(&service);
  if (absl::Status s = srv.Start(); !s.ok()) bench::Die(kProgram, s, "start server");
  if (!service.CheckChains()) bench::Die(kProgram, absl::InternalError("check"), "startup check");
  std::shared_ptr<grpc::Channel> channel = bench::NewChannel(srv.port());
  auto stub = pb::Kms::NewStub(channel);

  // 1. GetAppKey: total vs the chain read inside it.
  std::vector<double> total_ms, chain_ms, beyond_ms, hop_ms, server_ms;
  for (int i = 0; i < rounds + 20; ++i) {
    SecretBytes priv = RandomSecret(32);
    const Hash32 pub = X25519PublicKey(std::span<const uint8_t, 32>(priv.data(), 32));
    pb::GetAppKeyRequest req;
    req.set_chain_id(kChainId);
    req.set_recipient_public_key(Raw(pub));
    pb::AppBootInfo* b = req.mutable_dev()->mutable_boot_info();
    b->set_app_id(Raw(app));
    b->set_compose_hash(Raw(hash));
    b->set_instance_id(std::string(20, '\x11'));
    b->set_device_id(Raw(device));
    b->set_mr_aggregated(std::string(32, 1));
    b->set_mr_system(std::string(32, 2));
    b->set_os_image_hash(Raw(net.os_image_hash));
    b->set_tcb_status("UpToDate");
    req.mutable_dev()->set_key_provider_id(Raw(keys.CaSpkiDer()));
    req.mutable_dev()->set_report_data(Raw(kms::KeyRequestReportData(pub)));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    pb::GetAppKeyResponse resp;
    const auto a = Steady::now();
    grpc::Status s = stub->GetAppKey(&ctx, req, &resp);
    const auto total = Steady::now() - a;
    if (!s.ok()) bench::Die(kProgram, absl::UnknownError(s.error_message()), "GetAppKey");
    if (!kms::OpenSealed(priv.view(), AsBytes(resp.sealed_keys()), app, kChainId).ok()) {
      bench::Die(kProgram, absl::InternalError("unseal"), "GetAppKey");
    }
    // The bare loopback gRPC round trip of this server and client, measured in the same round:
    // a Health/Check (no handler work).
    const Steady::time_point h0 = Steady::now();
    {
      grpc::ClientContext hctx;
      grpc::Slice empty("");
      grpc::ByteBuffer hreq(&empty, 1), hresp;
      const grpc::internal::RpcMethod health(bench::kHealthCheck,
                                             grpc::internal::RpcMethod::NORMAL_RPC);
      if (!grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer>(
               channel.get(), health, &hctx, hreq, &hresp)
               .ok()) {
        bench::Die(kProgram, absl::UnavailableError("health"), "hop");
      }
    }
    const Steady::duration hop = Steady::now() - h0;
    if (i < 20) continue;  // warm-up
    total_ms.push_back(Ms(total));
    chain_ms.push_back(Ms(policy->last()));
    hop_ms.push_back(Ms(hop));
    beyond_ms.push_back(Ms(total - policy->last()));
    server_ms.push_back(Ms(total - policy->last() - hop));
  }
  nlohmann::json out;
  out["get_app_key"] = {{"rounds", rounds},
                        {"app_key_cache", app_key_cache},
                        {"total_p50_ms", bench::Percentile(total_ms, 0.5)},
                        {"total_p99_ms", bench::Percentile(total_ms, 0.99)},
                        {"chain_read_p50_ms", bench::Percentile(chain_ms, 0.5)},
                        {"chain_read_p99_ms", bench::Percentile(chain_ms, 0.99)},
                        {"beyond_chain_p50_ms", bench::Percentile(beyond_ms, 0.5)},
                        {"beyond_chain_p99_ms", bench::Percentile(beyond_ms, 0.99)},
                        {"grpc_hop_p50_ms", bench::Percentile(hop_ms, 0.5)},
                        {"grpc_hop_p99_ms", bench::Percentile(hop_ms, 0.99)},
                        {"server_beyond_chain_p50_ms", bench::Percentile(server_ms, 0.5)},
                        {"server_beyond_chain_p99_ms", bench::Percentile(server_ms, 0.99)}};

  // 2. GetAppEnvEncryptPubKey QPS vs the bare server's Health/Check.
  pb::GetAppEnvEncryptPubKeyRequest pk;
  pk.set_chain_id(kChainId);
  pk.set_app_id(Raw(app));
  const std::string payload = pk.SerializeAsString();
  pb::GetAppEnvEncryptPubKeyResponse canned;
  {
    grpc::ClientContext ctx;
    if (!stub->GetAppEnvEncryptPubKey(&ctx, pk, &canned).ok()) {
      bench::Die(kProgram, absl::UnavailableError("env key"), "GetAppEnvEncryptPubKey");
    }
  }
  std::vector<double> bare, health, ours;
  for (int p = 0; p < passes; ++p) {
    bare.push_back(BareKmsQps(canned, payload, threads, seconds));
    health.push_back(bench::BareHealthQps(kProgram, threads, seconds));
    ours.push_back(bench::UnaryQps(kProgram, srv.port(), "/chainkms.v1.Kms/GetAppEnvEncryptPubKey",
                                   payload, threads, seconds));
  }
  const double b = bench::Percentile(bare, 0.5), o = bench::Percentile(ours, 0.5);
  const double hq = bench::Percentile(health, 0.5);
  out["env_pubkey"] = {{"threads", threads},    {"seconds", seconds},
                       {"passes", passes},      {"bare_qps", b},
                       {"ours_qps", o},         {"ratio", o / b},
                       {"bare_health_qps", hq}, {"ratio_vs_health", o / hq},
                       {"bare_qps_all", bare},  {"bare_health_qps_all", health},
                       {"ours_qps_all", ours}};
  srv.Stop();
  std::filesystem::remove_all(dir);
  std::cout << out.dump(2) << "\n";
  return 0;
}
