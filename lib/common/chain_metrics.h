// ChainMetrics: what the chain layer reports about itself — JSON-RPC latency and errors per
// endpoint, transactions by state. lib/server's Metrics implements it for /metrics; lib/jsonrpc
// and lib/chain only see this interface (no Prometheus below lib/server).
//
//   metrics->RecordChainRpc("eth_call", "rpc.example:443", absl::Milliseconds(12), "");
#pragma once

#include <string_view>

#include "absl/time/time.h"

namespace chainkms {

class ChainMetrics {
 public:
  virtual ~ChainMetrics() = default;
  // `endpoint` is a host[:port] label, never a URL path or query (they carry API keys).
  // `error_kind` is "" on success, else "timeout", "http", "rpc", "bad_answer", ...
  virtual void RecordChainRpc(std::string_view method, std::string_view endpoint,
                              absl::Duration latency, std::string_view error_kind) = 0;
  // A transaction entered `state` ("pending", "confirmed", "failed", "replaced", "dropped").
  virtual void RecordTransactionState(std::string_view state) = 0;
};

}  // namespace chainkms
