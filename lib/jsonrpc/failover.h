// FailoverClient: an RpcCaller over an ordered list of endpoints with health and backoff.
//
// Reads go to the first healthy endpoint. When an endpoint fails at the transport level
// (UNAVAILABLE, RESOURCE_EXHAUSTED: connection refused, timeout, 5xx, 429, rate-limit bodies) it
// is marked unhealthy for a backoff that doubles with each consecutive failure (capped), and the
// next endpoint is asked. A node that answers with a JSON-RPC error it might not share with others
// (UNAVAILABLE/UNIMPLEMENTED class, e.g. "header not found") makes us ask the next endpoint
// without marking it. Answers that are facts (reverts, nonce errors, invalid params) are returned
// at once. After a round over the endpoints a read sleeps (Clock) and tries again, up to
// `read_attempts` rounds. When no endpoint is healthy, the one whose backoff ends first is asked.
//
// Transactions (eth_sendRawTransaction, eth_sendTransaction, and batches holding one) go to one
// endpoint at a time and move to the next only when the request certainly never arrived
// (WasNotDelivered: connection refused, HTTP 429). An "already known" answer to
// eth_sendRawTransaction counts as success: the transaction is in that node's pool, and the
// result is its hash, keccak256 of the raw bytes — the same hash the node would have returned.
//
//   FailoverClient rpc({primary, backup}, {.read_attempts = 3});
//   RETURN_IF_ERROR(rpc.ConnectAndCheckChainId(31337));
//   ASSIGN_OR_RETURN(nlohmann::json n, rpc.Call("eth_blockNumber", nlohmann::json::array()));
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "lib/common/chain_metrics.h"
#include "lib/common/clock.h"
#include "lib/common/sync.h"
#include "lib/jsonrpc/client.h"
#include "lib/jsonrpc/rpc_caller.h"
#include "lib/jsonrpc/transport.h"

namespace chainkms {

struct FailoverOptions {
  int read_attempts = 3;  // rounds over the endpoint list for reads
  absl::Duration retry_backoff = absl::Milliseconds(100);  // sleep before round 2, doubled after
  absl::Duration unhealthy_initial = absl::Seconds(1);     // first backoff of a failing endpoint
  absl::Duration unhealthy_max = absl::Seconds(60);        // cap of the doubling backoff
  std::vector<std::string> custom_error_signatures{};      // for revert messages (client.h)
  // Latency and errors of every attempt, labelled by endpoint host (EndpointLabel). May be null.
  ChainMetrics* metrics = nullptr;
};

// "host[:port]" of a Describe() string such as "https://rpc.example:8545/***": the metrics
// label, which never carries a path, query or credentials.
std::string EndpointLabel(std::string_view description);

// True when a JSON `null` result is a valid answer of `method` (a receipt or transaction not
// known yet, a block past the head). For every other method null is a bad answer, and the
// next endpoint is asked.
bool NullIsAnAnswer(std::string_view method);

struct EndpointHealth {
  std::string endpoint;  // Describe(): credentials stripped
  bool healthy = true;
  absl::Time unhealthy_until = absl::InfinitePast();
  int consecutive_failures = 0;
  uint64_t requests = 0;
  uint64_t failures = 0;
  std::string last_error;  // status message of the last transport failure
};

class FailoverClient final : public RpcCaller {
 public:
  // `endpoints` in order of preference; must not be empty. `clock` must outlive this.
  explicit FailoverClient(std::vector<std::shared_ptr<JsonRpcTransport>> endpoints,
                          FailoverOptions options = {}, Clock& clock = SystemClock::Get());

  absl::StatusOr<nlohmann::json> Call(std::string_view method, nlohmann::json params) override;
  absl::StatusOr<std::vector<absl::StatusOr<nlohmann::json>>> Batch(
      std::vector<Request> requests) override;

  // Asks every endpoint for eth_chainId. FAILED_PRECONDITION naming the endpoint (credentials
  // stripped) when one reports another chain; UNAVAILABLE when none answers. Endpoints that do not
  // answer are marked unhealthy and the check passes if the others agree.
  absl::Status ConnectAndCheckChainId(uint64_t expected_chain_id);

  // One entry per endpoint, in list order: for /metrics and health checks.
  std::vector<EndpointHealth> Health() const;

  // True for methods that must not be resent blindly.
  static bool IsNonIdempotent(std::string_view method);

 private:
  template <typename T, typename Fn>
  absl::StatusOr<T> Run(std::string_view label, bool idempotent, Fn&& attempt);
  std::vector<size_t> Order();
  // Records the outcome; true when the next endpoint should be asked.
  bool ShouldTryNext(size_t index, const absl::Status& status, bool idempotent);
  void MarkHealthy(size_t index);
  void MarkUnhealthy(size_t index, const absl::Status& status);
  void Record(size_t index, std::string_view method, absl::Duration latency,
              const absl::Status& status);

  const FailoverOptions options_;
  Clock& clock_;
  std::vector<std::unique_ptr<JsonRpcClient>> clients_;  // fixed at construction, thread-safe
  std::vector<std::string> labels_;                      // EndpointLabel per endpoint
  mutable chainkms::Mutex mu_;
  std::vector<EndpointHealth> health_ ABSL_GUARDED_BY(mu_);
};

}  // namespace chainkms
