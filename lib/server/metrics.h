// Prometheus metrics every chainkms server exports, created once and served on /metrics.
//
// One Metrics object per process owns the registry and every metric family; the gRPC
// interceptor records RPCs, the chain layer records JSON-RPC calls and transaction states,
// stores record their latency. Label values are bounded sets (method names, status codes,
// endpoint hosts, states); RPC endpoints are reduced to scheme://host:port because their paths
// often carry API keys.
//
//   Metrics metrics;
//   RETURN_IF_ERROR(metrics.StartExposer("127.0.0.1:9464"));  // GET http://.../metrics
//   metrics.RecordChainRpc("eth_call", "https://rpc.example/KEY", absl::Milliseconds(12), "");
//   metrics.RecordTransactionState("confirmed");
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "lib/common/chain_metrics.h"
#include "lib/common/sync.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace prometheus {
class Exposer;
}

namespace chainkms::server {

// "host[:port]" of an endpoint URL or label: user:pass, path, query and fragment removed.
std::string EndpointHost(std::string_view endpoint);

class Metrics final : public ChainMetrics {
 public:
  Metrics();
  ~Metrics() override;
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Serves GET /metrics on `listen` (host:port; port 0 picks one). Call once.
  absl::Status StartExposer(const std::string& listen);
  // The bound port once started, else 0.
  int exposer_port() const { return exposer_port_; }
  // Stops /metrics in milliseconds: CivetWeb 1.15 only notices a stop between two polls of its
  // listener (2 s apart), so loopback connects wake it while the exposer is destroyed.
  void StopExposer();

  // chainkms_rpc_requests_total{method,code} and chainkms_rpc_latency_seconds{method,code}.
  // `code` is the canonical name ("OK", "RESOURCE_EXHAUSTED").
  void RecordRpc(std::string_view method, std::string_view code, absl::Duration latency);
  // chainkms_rpc_in_flight: RPCs started and not yet finished.
  void RpcStarted();
  void RpcFinished();

  // chainkms_chain_rpc_latency_seconds{method,endpoint} and, when `error_kind` is non-empty
  // ("timeout", "http", "rpc", ...), chainkms_chain_rpc_errors_total{method,endpoint,kind}.
  // The endpoint label is EndpointHost(endpoint_url): never a path or an API key.
  void RecordChainRpc(std::string_view method, std::string_view endpoint_url,
                      absl::Duration latency, std::string_view error_kind) override;

  // chainkms_transactions_total{state}: transitions into a state (pending, confirmed, failed,
  // replaced, dropped); chainkms_transactions{state}: how many are in that state now.
  void RecordTransactionState(std::string_view state) override;
  void SetTransactionsInState(std::string_view state, double count);

  // chainkms_store_latency_seconds{op,outcome} with outcome "ok" or "error".
  void RecordStore(std::string_view op, absl::Duration latency, bool ok);

  // chainkms_http_requests_total{route,method,code} and
  // chainkms_http_latency_seconds{route,method}: an HTTP request answered. `route` is the route
  // template ("/api/v1/cvms/{id}"), never a raw path; `code` the status number.
  void RecordHttp(std::string_view route, std::string_view method, int code,
                  absl::Duration latency);

  // The text a scrape of /metrics returns (tests, debugging).
  std::string Serialize() const;

  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* rpc_requests_;
  prometheus::Family<prometheus::Histogram>* rpc_latency_;
  // The two series of each (method, code) seen, so a finished RPC costs two lookups without
  // building label maps (prometheus-cpp's Add hashes a std::map under its own lock).
  struct RpcSeries {
    prometheus::Counter* requests;
    prometheus::Histogram* latency;
  };
  chainkms::Mutex rpc_series_mu_;
  absl::flat_hash_map<std::string, absl::flat_hash_map<std::string, RpcSeries>> rpc_series_
      ABSL_GUARDED_BY(rpc_series_mu_);
  prometheus::Gauge* rpc_in_flight_;
  prometheus::Family<prometheus::Histogram>* chain_rpc_latency_;
  prometheus::Family<prometheus::Counter>* chain_rpc_errors_;
  prometheus::Family<prometheus::Counter>* transactions_total_;
  prometheus::Family<prometheus::Gauge>* transactions_;
  prometheus::Family<prometheus::Histogram>* store_latency_;
  prometheus::Family<prometheus::Counter>* http_requests_;
  prometheus::Family<prometheus::Histogram>* http_latency_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  int exposer_port_ = 0;
  std::string exposer_host_;  // as bound; a wildcard is reached through loopback
};

}  // namespace chainkms::server
