// Registry gRPC load generator (loopback, bounded, stops by itself):
//  1. CheckPrerequisites overhead: anvil + devnet + one app + an in-process Registry server
//     (GrpcServer on 127.0.0.1:0, as services/registry tests start it). R rounds of the lib call
//     (ChainReader::CheckPrerequisites over its own ConnectChain backend, the same stack the
//     service uses) and of the same request through the generated stub, for 1 and 50 items;
//     p50/p99 of each and the ratio grpc/direct.
//  2. No-chain method QPS: grpc.health.v1.Health/Check served by our GrpcServer (interceptor,
//     request ids, metrics, per-RPC log line) vs a bare grpc::Server built here with only the
//     default health service (no interceptor, no metrics, no reflection). Same client code (raw
//     ByteBuffer unary call), same client threads, fixed duration; ours run twice, at log level
//     warn (no per-RPC line) and at info (one JSON line per RPC, written to /dev/null). The
//     configurations alternate over several passes; the median QPS of each is reported.
// Prints one JSON object; bench/report.py turns it into ratios.
//   chainkms_registry_load [--rounds R] [--threads T] [--seconds S] [--passes P]
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "bench/grpc_load.h"
#include "bench/load_util.h"
#include "chainkms/v1/registry.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/impl/codegen/client_unary_call.h"
#include "grpcpp/impl/codegen/rpc_method.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/channel_arguments.h"
#include "grpcpp/support/slice.h"
#include "lib/chain/chain_set.h"
#include "lib/chain/contracts.h"
#include "lib/chain/reader.h"
#include "lib/chain/signer.h"
#include "lib/chain/tx_manager.h"
#include "lib/common/clock.h"
#include "lib/common/hex.h"
#include "lib/crypto/hash.h"
#include "lib/crypto/secp256k1.h"
#include "lib/jsonrpc/client.h"
#include "lib/jsonrpc/curl_transport.h"
#include "lib/server/config.h"
#include "lib/server/logging.h"
#include "lib/server/server.h"
#include "lib/testing/anvil.h"
#include "lib/testing/devnet.h"
#include "services/registry/registry_service.h"

namespace chainkms {
namespace {

namespace pb = ::chainkms::v1;
using Clock = std::chrono::steady_clock;

constexpr uint64_t kChainId = 31337;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

Hash32 NumberedHash(const char* tag, int i) { return Sha256(AsBytes(absl::StrCat(tag, i))); }

template <size_t N>
std::string Raw(const FixedBytes<N>& b) {
  return std::string(reinterpret_cast<const char*>(b.bytes.data()), N);
}

constexpr char kProgram[] = "registry_load";

[[noreturn]] void Die(const absl::Status& s, const char* what) { bench::Die(kProgram, s, what); }

template <typename T>
T Must(absl::StatusOr<T> v, const char* what) {
  return bench::Must(kProgram, std::move(v), what);
}

using bench::Percentile;

double Median(std::vector<double> v) { return Percentile(std::move(v), 0.5); }

struct Env {
  std::unique_ptr<testutil::AnvilProcess> anvil;
  testutil::Devnet net;
  Address app;
};

Env Setup() {
  Env env;
  env.anvil = Must(testutil::AnvilProcess::Start({}), "start anvil");
  JsonRpcClient rpc(
      std::make_shared<CurlTransport>(CurlTransport::Options{.url = env.anvil->url()}));
  TxManager txm(rpc, kChainId, SystemClock::Get(),
                TxManagerOptions{.poll_interval = absl::Milliseconds(20)});
  auto key = Must(Secp256k1PrivateKey::FromBytes(*HexDecode(
                      "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")),
                  "key");
  auto owner = std::make_shared<LocalKeySigner>(std::move(key));
  env.net = Must(testutil::DeployDevnet(rpc, txm, owner, {}), "deploy devnet");
  AppPolicyInit init{.owner = owner->address(),
                     .device_id = NumberedHash("device", 0),
                     .compose_hash = NumberedHash("hash", 0)};
  Receipt r =
      Must(testutil::SendAndWait(txm, owner, env.net.kms, dstack_kms::DeployAndRegisterApp(init)),
           "deploy app");
  for (const auto& e : r.EventsFrom(env.net.kms)) {
    if (auto* d = std::get_if<AppDeployedViaFactory>(&e)) env.app = d->app_id;
  }
  return env;
}

using bench::NewChannel;

nlohmann::json MeasurePrerequisites(Env& env, pb::Registry::Stub& stub, int items, int rounds) {
  // The direct path: the same FailoverClient + ChainReader stack the service builds.
  auto direct =
      Must(ConnectChain({.chain_id = kChainId, .rpc_urls = {env.anvil->url()}, .kms = env.net.kms},
                        {}, SystemClock::Get()),
           "connect (direct)");
  std::vector<Hash32> devices, hashes;
  pb::CheckPrerequisitesRequest req;
  req.set_chain_id(kChainId);
  req.set_app_id(Raw(env.app));
  for (int i = 0; i < items; ++i) {
    // Half the items are devices, half compose hashes (1 item: one hash), as chain_load.
    if (items > 1 && i % 2 == 0) {
      devices.push_back(NumberedHash("device", i));
      req.add_device_ids(Raw(devices.back()));
    } else {
      hashes.push_back(NumberedHash("hash", i));
      req.add_compose_hashes(Raw(hashes.back()));
    }
  }
  std::vector<double> lib_ms, grpc_ms;
  for (int r = 0; r < rounds; ++r) {
    const auto a = Clock::now();
    Prerequisites p =
        Must(direct->reader->CheckPrerequisites(env.app, devices, hashes), "prerequisites");
    const auto b = Clock::now();
    pb::CheckPrerequisitesResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::Status s = stub.CheckPrerequisites(&ctx, req, &resp);
    const auto c = Clock::now();
    if (!s.ok()) Die(absl::UnknownError(s.error_message()), "CheckPrerequisites over gRPC");
    if (static_cast<size_t>(resp.compose_hash_allowed_size()) != p.compose_hash_allowed.size() ||
        static_cast<size_t>(resp.device_id_allowed_size()) != p.device_allowed.size()) {
      Die(absl::InternalError("answers differ in length"), "CheckPrerequisites");
    }
    lib_ms.push_back(Seconds(a, b) * 1e3);
    grpc_ms.push_back(Seconds(b, c) * 1e3);
  }
  return {{"items", items},
          {"rounds", rounds},
          {"direct_p50_ms", Percentile(lib_ms, 0.5)},
          {"direct_p99_ms", Percentile(lib_ms, 0.99)},
          {"grpc_p50_ms", Percentile(grpc_ms, 0.5)},
          {"grpc_p99_ms", Percentile(grpc_ms, 0.99)},
          {"overhead_p50", Percentile(grpc_ms, 0.5) / Percentile(lib_ms, 0.5)},
          {"overhead_p99", Percentile(grpc_ms, 0.99) / Percentile(lib_ms, 0.99)}};
}

// Our GrpcServer with the Registry service (its chain backend on anvil), at `log_level`; RPC log
// lines go to /dev/null through the logger's sink (the same formatting and one write per line).
double OursQps(Env& env, const std::string& log_level, int threads, double seconds) {
  static const int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
  server::Logger logger([](std::string_view line) {
    std::string l(line);
    l += '\n';
    [[maybe_unused]] ssize_t n = write(devnull, l.data(), l.size());
  });
  server::ServerConfig config = server::TestServerConfig();
  config.log_level = log_level;
  server::GrpcServer srv({.config = config, .logger = &logger});
  ChainSet chains;
  chains.Add(
      Must(ConnectChain({.chain_id = kChainId, .rpc_urls = {env.anvil->url()}, .kms = env.net.kms},
                        {.metrics = &srv.metrics()}, SystemClock::Get()),
           "connect"));
  registry::RegistryService service(std::move(chains), nullptr, srv.serving(), SystemClock::Get());
  srv.AddService(&service);
  if (absl::Status s = srv.Start(); !s.ok()) Die(s, "start our server");
  const double qps =
      bench::UnaryQps(kProgram, srv.port(), bench::kHealthCheck, "", threads, seconds);
  srv.Stop();
  return qps;
}

}  // namespace
}  // namespace chainkms

int main(int argc, char** argv) {
  int rounds = 300, threads = 4, passes = 3;
  double seconds = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--rounds") rounds = std::atoi(argv[i + 1]);
    if (flag == "--threads") threads = std::atoi(argv[i + 1]);
    if (flag == "--seconds") seconds = std::atof(argv[i + 1]);
    if (flag == "--passes") passes = std::atoi(argv[i + 1]);
  }
  if (rounds < 1 || rounds > 10000 || threads < 1 || threads > 64 || !(seconds > 0) ||
      seconds > 60 || passes < 1 || passes > 10) {
    std::cerr << "registry_load: --rounds 1..10000, --threads 1..64, --seconds (0,60], "
                 "--passes 1..10\n";
    return 2;
  }
  using namespace chainkms;
  auto env = Setup();
  nlohmann::json out;
  {
    // The server for the overhead figures, at log level warn (no per-RPC line).
    server::ServerConfig config = server::TestServerConfig();
    config.log_level = "warn";
    server::GrpcServer srv({.config = config});
    ChainSet chains;
    chains.Add(Must(
        ConnectChain({.chain_id = kChainId, .rpc_urls = {env.anvil->url()}, .kms = env.net.kms},
                     {.metrics = &srv.metrics()}, SystemClock::Get()),
        "connect"));
    registry::RegistryService service(std::move(chains), nullptr, srv.serving(),
                                      SystemClock::Get());
    srv.AddService(&service);
    if (absl::Status s = srv.Start(); !s.ok()) Die(s, "start server");
    auto stub = pb::Registry::NewStub(NewChannel(srv.port()));
    out["prerequisites"] = {MeasurePrerequisites(env, *stub, 1, rounds),
                            MeasurePrerequisites(env, *stub, 50, rounds)};
    srv.Stop();
  }
  std::vector<double> bare, warn, info;
  for (int p = 0; p < passes; ++p) {
    bare.push_back(bench::BareHealthQps(kProgram, threads, seconds));
    warn.push_back(OursQps(env, "warn", threads, seconds));
    info.push_back(OursQps(env, "info", threads, seconds));
  }
  const double b = Median(bare), w = Median(warn), i = Median(info);
  out["health"] = {{"threads", threads},       {"seconds", seconds},
                   {"passes", passes},         {"bare_qps", b},
                   {"ours_warn_qps", w},       {"ours_info_qps", i},
                   {"ratio_warn", w / b},      {"ratio_info", i / b},
                   {"bare_qps_all", bare},     {"ours_warn_qps_all", warn},
                   {"ours_info_qps_all", info}};
  std::cout << out.dump(2) << "\n";
  return 0;
}
