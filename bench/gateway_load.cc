// Gateway overhead: the same read (GetCvm) made directly to chainkms.v1.Provisioning (workspace
// metadata, as the gateway sends it), through the gateway's gRPC proxy (an API key: admission,
// rate limiter, a second hop) and through its REST API (GET /api/v1/cvms/{id} over HTTP/1.1
// keep-alive, JSON rendering), side by side in one process on loopback: QPS, p50 and p99 of each
// and the ratio to direct (goal: ≥ 0.7× direct QPS). Provisioning runs on SQLite with its
// registry answered in memory, so the Store and the chain are not what is measured.
//
//   chainkms_gateway_load [--requests N] [--threads T]
#include <curl/curl.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>

#include "bench/load_util.h"
#include "lib/testing/temp_dir.h"
#include "nlohmann/json.hpp"
#include "services/gateway/access.h"
#include "services/gateway/backends.h"
#include "services/gateway/gateway.h"
#include "services/gateway/grpc_proxies.h"
#include "services/gateway/http_server.h"
#include "services/gateway/rest_api.h"
#include "services/provisioning/provisioning_fixture_test.h"

namespace chainkms::provisioning {
namespace {

constexpr char kProgram[] = "chainkms_gateway_load";
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

struct Result {
  double qps = 0;
  double p50_ms = 0;
  double p99_ms = 0;
};

// `threads` workers, `requests` calls each of `call(thread)`; latencies of every call.
template <typename F>
Result Measure(int threads, int requests, F call) {
  std::vector<std::vector<double>> lat(static_cast<size_t>(threads));
  std::atomic<bool> failed{false};
  const auto start = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; i < requests; ++i) {
        const auto s = Clock::now();
        if (!call(t)) failed = true;
        lat[t].push_back(std::chrono::duration<double, std::milli>(Clock::now() - s).count());
      }
    });
  }
  for (std::thread& th : pool) th.join();
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  if (failed) bench::Die(kProgram, absl::InternalError("a request failed"), "measure");
  std::vector<double> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  return {.qps = static_cast<double>(all.size()) / secs,
          .p50_ms = bench::Percentile(all, 0.5),
          .p99_ms = bench::Percentile(all, 0.99)};
}

json ToJson(const Result& r, double direct_qps) {
  return {{"qps", r.qps},
          {"p50_ms", r.p50_ms},
          {"p99_ms", r.p99_ms},
          {"vs_direct", direct_qps > 0 ? r.qps / direct_qps : 0}};
}

size_t Discard(char*, size_t size, size_t n, void*) { return size * n; }

int Main(int argc, char** argv) {
  int requests = 2000;
  int threads = 4;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--requests") requests = std::atoi(argv[i + 1]);
    if (flag == "--threads") threads = std::atoi(argv[i + 1]);
  }
  testutil::TempDir dir;
  testutil::FakeClock clock(absl::Now());
  FakeChain chain;
  Harness h("sqlite:" + dir.path() + "/p.db", chain, clock);
  // One committed CVM to read.
  pb::ProvisionCvmRequest prov;
  prov.set_name("bench");
  prov.mutable_compose()->set_docker_compose_file("services: {web: {}}\n");
  prov.set_kms("anvil");
  pb::ProvisionCvmResponse p;
  if (!h.stub().ProvisionCvm(In("ws").get(), prov, &p).ok()) {
    bench::Die(kProgram, absl::InternalError("provision"), "setup");
  }
  const std::string app(20, '\x42');
  chain.Register(app, p.compose_hash(), RawOf(HashOf(0xd1)));
  pb::CommitCvmProvisionRequest commit;
  commit.set_app_id(app);
  commit.set_compose_hash(p.compose_hash());
  pb::CommitCvmProvisionResponse c;
  if (!h.stub().CommitCvmProvision(In("ws").get(), commit, &c).ok()) {
    bench::Die(kProgram, absl::InternalError("commit"), "setup");
  }
  const std::string cvm_id = c.cvm().id();
  pb::CreateApiKeyRequest mint;
  mint.set_workspace("ws");
  pb::CreateApiKeyResponse key;
  grpc::ClientContext mint_ctx;
  if (!h.admin().CreateApiKey(&mint_ctx, mint, &key).ok()) {
    bench::Die(kProgram, absl::InternalError("api key"), "setup");
  }

  // The gateway in front of it (real channels; rate limit off: the bench is one key).
  const std::string target = absl::StrCat("127.0.0.1:", h.server().port());
  std::unique_ptr<gateway::Backends> backends =
      gateway::Backends::Connect(target, target, target, absl::Seconds(30));
  gateway::ApiKeyAuthenticator auth(backends->admin(), SystemClock::Get(), absl::Seconds(10));
  gateway::RateLimiter limiter(SystemClock::Get(), 0, 1);
  server::GrpcServer gw_server({.config = server::TestServerConfig()});
  gateway::Gateway gw(*backends, auth, limiter, gw_server.serving());
  gateway::ProvisioningProxy proxy(gw);
  gw_server.AddService(&proxy);
  if (!gw_server.Start().ok()) bench::Die(kProgram, absl::InternalError("gateway"), "setup");
  gateway::RestApi rest(gw, {});
  auto http = bench::Must(
      kProgram,
      gateway::HttpServer::Start({.listen = "127.0.0.1:0", .threads = 16},
                                 [&](const gateway::HttpRequest& r) { return rest.Handle(r); }),
      "http");

  auto direct_ch = grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
  auto gw_ch = grpc::CreateChannel(absl::StrCat("127.0.0.1:", gw_server.port()),
                                   grpc::InsecureChannelCredentials());
  auto direct = pb::Provisioning::NewStub(direct_ch);
  auto via = pb::Provisioning::NewStub(gw_ch);
  pb::GetCvmRequest get;
  get.set_cvm_id(cvm_id);
  auto direct_call = [&](int) {
    pb::GetCvmResponse r;
    return direct->GetCvm(In("ws").get(), get, &r).ok();
  };
  auto gateway_call = [&](int) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-api-key", key.api_key());
    pb::GetCvmResponse r;
    return via->GetCvm(&ctx, get, &r).ok();
  };
  std::vector<CURL*> handles;
  curl_slist* headers = curl_slist_append(nullptr, ("X-API-Key: " + key.api_key()).c_str());
  const std::string url = absl::StrCat("http://127.0.0.1:", http->port(), "/api/v1/cvms/", cvm_id);
  for (int t = 0; t < threads; ++t) {
    CURL* e = curl_easy_init();
    curl_easy_setopt(e, CURLOPT_URL, url.c_str());
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Discard);
    curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
    handles.push_back(e);
  }
  auto rest_call = [&](int t) {
    long code = 0;  // NOLINT(google-runtime-int): curl's type
    if (curl_easy_perform(handles[t]) != CURLE_OK) return false;
    curl_easy_getinfo(handles[t], CURLINFO_RESPONSE_CODE, &code);
    return code == 200;
  };
  // Warm up every path (connections, caches), then measure them in turn.
  Measure(threads, 50, direct_call);
  Measure(threads, 50, gateway_call);
  Measure(threads, 50, rest_call);
  const Result d = Measure(threads, requests, direct_call);
  const Result g = Measure(threads, requests, gateway_call);
  const Result r = Measure(threads, requests, rest_call);
  json out = {{"bench", "gateway_overhead"},      {"threads", threads},
              {"requests_per_thread", requests},  {"direct_grpc", ToJson(d, d.qps)},
              {"gateway_grpc", ToJson(g, d.qps)}, {"gateway_rest", ToJson(r, d.qps)},
              {"api_key_lookups", auth.lookups()}};
  std::cout << out.dump() << "\n";
  for (CURL* e : handles) curl_easy_cleanup(e);
  curl_slist_free_all(headers);
  http->Stop();
  gw_server.Stop();
  return 0;
}

}  // namespace
}  // namespace chainkms::provisioning

int main(int argc, char** argv) {
  try {
    return chainkms::provisioning::Main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "chainkms_gateway_load: " << e.what() << "\n";
    return 1;
  }
}
