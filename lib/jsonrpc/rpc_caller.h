// RpcCaller: what chain code needs from JSON-RPC — one call, or a batch answered entry by entry.
// JsonRpcClient (client.h) implements it over one transport; FailoverClient (failover.h) over an
// ordered list of endpoints. lib/chain takes `RpcCaller&`; tests pass a client over a fake.
//
//   ASSIGN_OR_RETURN(nlohmann::json block, rpc.Call("eth_blockNumber", nlohmann::json::array()));
//   ASSIGN_OR_RETURN(auto replies, rpc.Batch({{"eth_chainId", nlohmann::json::array()},
//                                             {"eth_gasPrice", nlohmann::json::array()}}));
//   if (!replies[0].ok()) return replies[0].status();  // replies are in request order
//
// Errors: a JSON-RPC error reply becomes a status classified by errors.h (GetRpcError recovers
// the kind, code, message and data); transport trouble is UNAVAILABLE; rate limits are
// RESOURCE_EXHAUSTED. A reply is never invented: an empty, non-JSON or rate-limit body is an error.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace chainkms {

class RpcCaller {
 public:
  virtual ~RpcCaller() = default;

  // Sends {"jsonrpc":"2.0","id":N,"method":method,"params":params} and returns `result`.
  // Thread-safe.
  virtual absl::StatusOr<nlohmann::json> Call(std::string_view method, nlohmann::json params) = 0;

  struct Request {
    std::string method;
    nlohmann::json params = nlohmann::json::array();
  };

  // Sends all requests as one JSON-RPC batch. The outer status fails when the batch as a whole
  // failed (transport, unparsable reply, duplicate or unexpected ids); otherwise the vector has
  // one entry per request, in request order, each its result or its own error (a missing reply
  // for one id is UNAVAILABLE for that entry). An empty batch returns an empty vector.
  virtual absl::StatusOr<std::vector<absl::StatusOr<nlohmann::json>>> Batch(
      std::vector<Request> requests) = 0;
};

}  // namespace chainkms
