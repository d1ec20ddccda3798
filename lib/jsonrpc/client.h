// JsonRpcClient: JSON-RPC 2.0 calls and batches over one JsonRpcTransport.
//
// Every reply is validated before anything is returned: it must be a JSON-RPC 2.0 object with our
// id and exactly one of result/error. An empty body, a non-JSON body, an HTML/text rate-limit page
// or a JSON-RPC rate-limit error is a failure (UNAVAILABLE or RESOURCE_EXHAUSTED), never an answer.
// Error replies become statuses classified by errors.h. Ids increase monotonically. Thread-safe.
//
//   ASSIGN_OR_RETURN(auto transport, CurlTransport::Create({.url = "http://127.0.0.1:8545"}));
//   JsonRpcClient rpc(transport);
//   ASSIGN_OR_RETURN(nlohmann::json id, rpc.Call("eth_chainId", nlohmann::json::array()));
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/jsonrpc/rpc_caller.h"
#include "lib/jsonrpc/transport.h"
#include "nlohmann/json.hpp"

namespace chainkms {

struct JsonRpcClientOptions {
  // Custom error signatures for decoding revert data into status messages, e.g.
  // "OwnableUnauthorizedAccount(address)". Error(string) and Panic(uint256) are always known.
  std::vector<std::string> custom_error_signatures{};
};

class JsonRpcClient final : public RpcCaller {
 public:
  explicit JsonRpcClient(std::shared_ptr<JsonRpcTransport> transport,
                         JsonRpcClientOptions options = {});

  // `params` null is sent as []. See RpcCaller for the error contract.
  absl::StatusOr<nlohmann::json> Call(std::string_view method, nlohmann::json params) override;

  // Replies are matched by id in any order. A duplicate or unexpected id fails the whole batch
  // (UNAVAILABLE); a missing id is UNAVAILABLE for that entry. A rate-limited entry, or a single
  // error object instead of an array, fails the whole batch with that error.
  absl::StatusOr<std::vector<absl::StatusOr<nlohmann::json>>> Batch(
      std::vector<Request> requests) override;

  JsonRpcTransport& transport() const { return *transport_; }

 private:
  std::shared_ptr<JsonRpcTransport> transport_;
  JsonRpcClientOptions options_;
  std::atomic<int64_t> next_id_{1};
};

// Parses a JSON-RPC quantity ("0x7a69") as sent by eth_chainId, eth_blockNumber, ...
// INVALID_ARGUMENT naming `field` for anything else (no leading zeros, at most 64 bits).
absl::StatusOr<uint64_t> ParseQuantity(const nlohmann::json& value, std::string_view field);

}  // namespace chainkms
