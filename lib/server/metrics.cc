#include "lib/server/metrics.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <exception>
#include <map>
#include <thread>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "lib/common/sync.h"
#include "lib/server/config.h"
#include "lib/server/logging.h"
#include "prometheus/exposer.h"
#include "prometheus/text_serializer.h"

namespace chainkms::server {
namespace {

// 0.5 ms .. 30 s: loopback RPCs at the low end, chain round trips and receipts at the top.
const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
  return *buckets;
}

double Seconds(absl::Duration d) { return absl::ToDoubleSeconds(d); }

// Opens and closes one TCP connection to host:port without blocking for more than `timeout`.
// The listener sees it as readable, which ends CivetWeb's poll; closing at once means its
// worker reads EOF rather than waiting on an idle client.
void KnockOnce(const std::string& host, int port, absl::Duration timeout) {
  addrinfo hints = {};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) return;
  absl::Cleanup free_found = [found] { freeaddrinfo(found); };
  int fd = socket(found->ai_family, found->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                  found->ai_protocol);
  if (fd < 0) return;
  absl::Cleanup close_fd = [fd] { close(fd); };
  if (connect(fd, found->ai_addr, found->ai_addrlen) != 0 && errno == EINPROGRESS) {
    pollfd p = {.fd = fd, .events = POLLOUT};
    (void)poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(timeout)));
  }
}

// The address a local client reaches a listener bound to `host` on.
std::string LocalAddressOf(const std::string& host) {
  if (host == "0.0.0.0") return "127.0.0.1";
  if (host == "::") return "::1";
  if (host == "localhost") return "127.0.0.1";
  return host;
}

}  // namespace

Metrics::Metrics() : registry_(std::make_shared<prometheus::Registry>()) {
  rpc_requests_ = &prometheus::BuildCounter()
                       .Name("chainkms_rpc_requests_total")
                       .Help("gRPC requests finished, by method and status code")
                       .Register(*registry_);
  rpc_latency_ = &prometheus::BuildHistogram()
                      .Name("chainkms_rpc_latency_seconds")
                      .Help("gRPC request latency, by method and status code")
                      .Register(*registry_);
  rpc_in_flight_ = &prometheus::BuildGauge()
                        .Name("chainkms_rpc_in_flight")
                        .Help("gRPC requests started and not yet finished")
                        .Register(*registry_)
                        .Add({});
  chain_rpc_latency_ = &prometheus::BuildHistogram()
                            .Name("chainkms_chain_rpc_latency_seconds")
                            .Help("Ethereum JSON-RPC call latency, by method and endpoint")
                            .Register(*registry_);
  chain_rpc_errors_ = &prometheus::BuildCounter()
                           .Name("chainkms_chain_rpc_errors_total")
                           .Help("Ethereum JSON-RPC call failures, by method, endpoint and kind")
                           .Register(*registry_);
  transactions_total_ = &prometheus::BuildCounter()
                             .Name("chainkms_transactions_total")
                             .Help("Transactions entering each state")
                             .Register(*registry_);
  transactions_ = &prometheus::BuildGauge()
                       .Name("chainkms_transactions")
                       .Help("Transactions currently in each state")
                       .Register(*registry_);
  store_latency_ = &prometheus::BuildHistogram()
                        .Name("chainkms_store_latency_seconds")
                        .Help("Store operation latency, by operation and outcome")
                        .Register(*registry_);
  http_requests_ = &prometheus::BuildCounter()
                        .Name("chainkms_http_requests_total")
                        .Help("HTTP requests answered, by route template, method and status")
                        .Register(*registry_);
  http_latency_ = &prometheus::BuildHistogram()
                       .Name("chainkms_http_latency_seconds")
                       .Help("HTTP request latency, by route template and method")
                       .Register(*registry_);
}

void Metrics::RecordHttp(std::string_view route, std::string_view method, int code,
                         absl::Duration latency) {
  http_requests_
      ->Add({{"route", std::string(route)},
             {"method", std::string(method)},
             {"code", std::to_string(code)}})
      .Increment();
  http_latency_
      ->Add({{"route", std::string(route)}, {"method", std::string(method)}}, LatencyBuckets())
      .Observe(absl::ToDoubleSeconds(latency));
}

Metrics::~Metrics() { StopExposer(); }

std::string EndpointHost(std::string_view endpoint) {
  std::string_view rest = endpoint;
  if (size_t scheme = rest.find("://"); scheme != std::string_view::npos)
    rest.remove_prefix(scheme + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) rest.remove_prefix(at + 1);
  return rest.empty() ? std::string("unknown") : std::string(rest);
}

absl::Status Metrics::StartExposer(const std::string& listen) {
  if (exposer_ != nullptr) return absl::FailedPreconditionError("metrics exposer already started");
  auto host_port = SplitHostPort(listen);
  if (!host_port.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics listen address \"", listen, "\" ", host_port.status().message()));
  }
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(listen, /*num_threads=*/1);
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve /metrics on ", listen, ": ", e.what()));
  }
  exposer_->RegisterCollectable(registry_);
  std::vector<int> ports = exposer_->GetListeningPorts();
  exposer_port_ = ports.empty() ? 0 : ports.front();
  exposer_host_ = LocalAddressOf(host_port->first);
  return absl::OkStatus();
}

void Metrics::StopExposer() {
  if (exposer_ == nullptr) return;
  chainkms::Notification destroyed;
  std::thread stopper([this, &destroyed] {
    exposer_.reset();
    destroyed.Notify();
  });
  // A knock before CivetWeb has set its stop flag is just served, so knock until it is gone;
  // bounded, because past CivetWeb's own 2 s poll the destruction ends without us.
  const absl::Time give_up = absl::Now() + absl::Seconds(3);
  while (!destroyed.WaitForNotificationWithTimeout(absl::Milliseconds(5)) &&
         absl::Now() < give_up) {
    KnockOnce(exposer_host_, exposer_port_, absl::Milliseconds(50));
  }
  stopper.join();
  exposer_port_ = 0;
}

void Metrics::RecordRpc(std::string_view method, std::string_view code, absl::Duration latency) {
  RpcSeries series;
  {
    chainkms::MutexLock lock(&rpc_series_mu_);
    // Abseil's own string_view (Debian's build) for the heterogeneous lookups.
    const absl::string_view m(method.data(), method.size());
    const absl::string_view c(code.data(), code.size());
    auto outer = rpc_series_.find(m);
    if (outer == rpc_series_.end()) outer = rpc_series_.emplace(std::string(method), 0).first;
    auto& by_code = outer->second;
    auto it = by_code.find(c);
    if (it == by_code.end()) {
      std::map<std::string, std::string> labels{{"method", std::string(method)},
                                                {"code", std::string(code)}};
      it = by_code
               .emplace(std::string(code), RpcSeries{&rpc_requests_->Add(labels),
                                                     &rpc_latency_->Add(labels, LatencyBuckets())})
               .first;
    }
    series = it->second;
  }
  series.requests->Increment();
  series.latency->Observe(Seconds(latency));
}

void Metrics::RpcStarted() { rpc_in_flight_->Increment(); }
void Metrics::RpcFinished() { rpc_in_flight_->Decrement(); }

void Metrics::RecordChainRpc(std::string_view method, std::string_view endpoint_url,
                             absl::Duration latency, std::string_view error_kind) {
  const std::string endpoint = EndpointHost(endpoint_url);
  chain_rpc_latency_
      ->Add({{"method", std::string(method)}, {"endpoint", endpoint}}, LatencyBuckets())
      .Observe(Seconds(latency));
  if (!error_kind.empty()) {
    chain_rpc_errors_
        ->Add({{"method", std::string(method)},
               {"endpoint", endpoint},
               {"kind", std::string(error_kind)}})
        .Increment();
  }
}

void Metrics::RecordTransactionState(std::string_view state) {
  transactions_total_->Add({{"state", std::string(state)}}).Increment();
}

void Metrics::SetTransactionsInState(std::string_view state, double count) {
  transactions_->Add({{"state", std::string(state)}}).Set(count);
}

void Metrics::RecordStore(std::string_view op, absl::Duration latency, bool ok) {
  store_latency_->Add({{"op", std::string(op)}, {"outcome", ok ? "ok" : "error"}}, LatencyBuckets())
      .Observe(Seconds(latency));
}

std::string Metrics::Serialize() const {
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

}  // namespace chainkms::server
