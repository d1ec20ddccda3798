#include "lib/jsonrpc/failover.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/common/hex.h"
#include "lib/crypto/keccak.h"
#include "lib/jsonrpc/errors.h"

namespace chainkms {
namespace {

using json = nlohmann::json;

// For an "already known" answer to eth_sendRawTransaction: the hash the node would have returned.
std::optional<json> HashOfKnownRawTx(std::string_view method, const json& params,
                                     const absl::Status& status) {
  if (method != "eth_sendRawTransaction") return std::nullopt;
  std::optional<RpcError> e = GetRpcError(status);
  if (!e || e->kind != RpcErrorKind::kAlreadyKnown) return std::nullopt;
  if (!params.is_array() || params.empty() || !params[0].is_string()) return std::nullopt;
  absl::StatusOr<Bytes> raw = HexDecode(params[0].get<std::string>(), HexPrefix::kRequired);
  if (!raw.ok() || raw->empty()) return std::nullopt;
  return json(Hex0x(Keccak256(*raw).view()));
}

// The metrics label of a failed attempt.
std::string_view ErrorKind(const absl::Status& status) {
  if (status.ok()) return "";
  if (std::optional<RpcError> e = GetRpcError(status)) {
    return e->kind == RpcErrorKind::kRateLimited ? "rate_limited" : "rpc";
  }
  switch (status.code()) {
    case absl::StatusCode::kDeadlineExceeded:
      return "timeout";
    case absl::StatusCode::kUnavailable:
      return "unavailable";
    case absl::StatusCode::kResourceExhausted:
      return "rate_limited";
    default:
      return "bad_answer";
  }
}

}  // namespace

std::string EndpointLabel(std::string_view description) {
  std::string_view rest = description;
  if (size_t scheme = rest.find("://"); scheme != std::string_view::npos)
    rest.remove_prefix(scheme + 3);
  if (size_t at = rest.find('@'); at != std::string_view::npos && at < rest.find('/')) {
    rest.remove_prefix(at + 1);
  }
  rest = rest.substr(0, rest.find_first_of("/?#"));
  return rest.empty() ? std::string("unknown") : std::string(rest);
}

bool NullIsAnAnswer(std::string_view method) {
  return method == "eth_getTransactionReceipt" || method == "eth_getTransactionByHash" ||
         method == "eth_getBlockByNumber" || method == "eth_getBlockByHash" ||
         method == "eth_getTransactionByBlockHashAndIndex" ||
         method == "eth_getTransactionByBlockNumberAndIndex" || method == "anvil_setCode" ||
         method.starts_with("evm_") || method.starts_with("anvil_") ||
         method.starts_with("hardhat_");
}

bool FailoverClient::IsNonIdempotent(std::string_view method) {
  return method == "eth_sendRawTransaction" || method == "eth_sendTransaction";
}

FailoverClient::FailoverClient(std::vector<std::shared_ptr<JsonRpcTransport>> endpoints,
                               FailoverOptions options, Clock& clock)
    : options_(std::move(options)), clock_(clock) {
  JsonRpcClientOptions client_options{.custom_error_signatures = options_.custom_error_signatures};
  chainkms::MutexLock l(&mu_);
  for (auto& t : endpoints) {
    EndpointHealth h;
    h.endpoint = t->Describe();
    labels_.push_back(EndpointLabel(h.endpoint));
    health_.push_back(std::move(h));
    clients_.push_back(std::make_unique<JsonRpcClient>(std::move(t), client_options));
  }
}

std::vector<size_t> FailoverClient::Order() {
  const absl::Time now = clock_.Now();
  chainkms::MutexLock l(&mu_);
  std::vector<size_t> order;
  for (size_t i = 0; i < health_.size(); ++i) {
    if (health_[i].unhealthy_until <= now) order.push_back(i);
  }
  if (order.empty() && !health_.empty()) {
    // Nobody is healthy: ask the endpoint whose backoff ends first rather than fail outright.
    size_t best = 0;
    for (size_t i = 1; i < health_.size(); ++i) {
      if (health_[i].unhealthy_until < health_[best].unhealthy_until) best = i;
    }
    order.push_back(best);
  }
  return order;
}

void FailoverClient::MarkHealthy(size_t index) {
  chainkms::MutexLock l(&mu_);
  EndpointHealth& h = health_[index];
  h.consecutive_failures = 0;
  h.unhealthy_until = absl::InfinitePast();
  h.healthy = true;
}

void FailoverClient::Record(size_t index, std::string_view method, absl::Duration latency,
                            const absl::Status& status) {
  if (options_.metrics == nullptr) return;
  options_.metrics->RecordChainRpc(method.starts_with("batch") ? "batch" : method, labels_[index],
                                   latency, ErrorKind(status));
}

void FailoverClient::MarkUnhealthy(size_t index, const absl::Status& status) {
  const absl::Time now = clock_.Now();
  chainkms::MutexLock l(&mu_);
  EndpointHealth& h = health_[index];
  ++h.failures;
  ++h.consecutive_failures;
  absl::Duration backoff = options_.unhealthy_initial;
  for (int i = 1; i < h.consecutive_failures && backoff < options_.unhealthy_max; ++i) backoff *= 2;
  h.unhealthy_until = now + std::min(backoff, options_.unhealthy_max);
  h.healthy = false;
  h.last_error = std::string(status.message());
}

bool FailoverClient::ShouldTryNext(size_t index, const absl::Status& status, bool idempotent) {
  const absl::StatusCode code = status.code();
  if (std::optional<RpcError> e = GetRpcError(status)) {
    // The node answered. A rate limit means it did not do the work; other answers are either
    // facts (revert, nonce, params) or this node's own trouble, worth asking another about.
    if (e->kind == RpcErrorKind::kRateLimited) {
      MarkUnhealthy(index, status);
      return true;
    }
    return idempotent &&
           (code == absl::StatusCode::kUnavailable || code == absl::StatusCode::kUnimplemented);
  }
  if (code != absl::StatusCode::kUnavailable && code != absl::StatusCode::kResourceExhausted) {
    return false;
  }
  MarkUnhealthy(index, status);
  return idempotent || WasNotDelivered(status) || code == absl::StatusCode::kResourceExhausted;
}

template <typename T, typename Fn>
absl::StatusOr<T> FailoverClient::Run(std::string_view label, bool idempotent, Fn&& attempt) {
  absl::Status last = absl::UnavailableError(absl::StrCat(std::string(label), ": no rpc endpoint"));
  const int rounds = idempotent ? std::max(1, options_.read_attempts) : 1;
  absl::Duration sleep = options_.retry_backoff;
  for (int round = 0; round < rounds; ++round) {
    if (round > 0) {
      clock_.SleepFor(sleep);
      sleep *= 2;
    }
    for (size_t i : Order()) {
      {
        chainkms::MutexLock l(&mu_);
        ++health_[i].requests;
      }
      const absl::Time start = clock_.Now();
      absl::StatusOr<T> r = attempt(*clients_[i]);
      Record(i, label, clock_.Now() - start, r.status());
      if (r.ok()) {
        MarkHealthy(i);
        return r;
      }
      last = r.status();
      if (!ShouldTryNext(i, last, idempotent)) return last;
    }
  }
  return last;
}

absl::StatusOr<json> FailoverClient::Call(std::string_view method, json params) {
  const bool idempotent = !IsNonIdempotent(method);
  return Run<json>(method, idempotent, [&](JsonRpcClient& c) -> absl::StatusOr<json> {
    absl::StatusOr<json> r = c.Call(method, params);
    if (!r.ok()) {
      if (std::optional<json> hash = HashOfKnownRawTx(method, params, r.status())) return *hash;
    } else if (r->is_null() && !NullIsAnAnswer(method)) {
      // A node in trouble (pruned, syncing, broken proxy) answering null where a value is due.
      return absl::UnavailableError(absl::StrCat(std::string(method), ": ",
                                                 c.transport().Describe(),
                                                 " answered null where a value is required"));
    }
    return r;
  });
}

absl::StatusOr<std::vector<absl::StatusOr<json>>> FailoverClient::Batch(
    std::vector<Request> requests) {
  const bool idempotent = std::none_of(requests.begin(), requests.end(),
                                       [](const Request& r) { return IsNonIdempotent(r.method); });
  const std::string label =
      requests.empty() ? "empty batch" : absl::StrCat("batch (", requests[0].method, ", ...)");
  using Out = std::vector<absl::StatusOr<json>>;
  return Run<Out>(label, idempotent, [&](JsonRpcClient& c) -> absl::StatusOr<Out> {
    absl::StatusOr<Out> r = c.Batch(requests);  // a copy: a failed attempt must not eat them
    if (!r.ok()) return r;
    for (size_t i = 0; i < r->size(); ++i) {
      if ((*r)[i].ok()) {
        if ((*r)[i]->is_null() && !NullIsAnAnswer(requests[i].method)) {
          return absl::UnavailableError(absl::StrCat(requests[i].method, ": ",
                                                     c.transport().Describe(),
                                                     " answered null where a value is required"));
        }
        continue;
      }
      if (auto hash = HashOfKnownRawTx(requests[i].method, requests[i].params, (*r)[i].status())) {
        (*r)[i] = *hash;
      }
    }
    return r;
  });
}

absl::Status FailoverClient::ConnectAndCheckChainId(uint64_t expected_chain_id) {
  std::vector<std::string> failures;
  int answered = 0;
  for (size_t i = 0; i < clients_.size(); ++i) {
    const std::string name = clients_[i]->transport().Describe();
    absl::StatusOr<json> r = clients_[i]->Call("eth_chainId", json::array());
    absl::StatusOr<uint64_t> id =
        r.ok() ? ParseQuantity(*r, "eth_chainId") : absl::StatusOr<uint64_t>(r.status());
    if (!id.ok()) {
      MarkUnhealthy(i, id.status());
      failures.push_back(absl::StrCat(name, ": ", std::string(id.status().message())));
      continue;
    }
    if (*id != expected_chain_id) {
      return absl::FailedPreconditionError(absl::StrCat("rpc endpoint ", name, " reports chain id ",
                                                        *id, ", expected ", expected_chain_id));
    }
    MarkHealthy(i);
    ++answered;
  }
  if (answered == 0) {
    return absl::UnavailableError(
        absl::StrCat("no rpc endpoint answered eth_chainId: ", absl::StrJoin(failures, "; ")));
  }
  return absl::OkStatus();
}

std::vector<EndpointHealth> FailoverClient::Health() const {
  const absl::Time now = clock_.Now();
  chainkms::MutexLock l(&mu_);
  std::vector<EndpointHealth> out = health_;
  for (EndpointHealth& h : out) h.healthy = h.unhealthy_until <= now;
  return out;
}

}  // namespace chainkms
