// ScriptedRpc: an RpcCaller for tests without a node — one handler per method, calls counted
// and recorded, round trips (a Call or a whole Batch) counted by Requests(). Unscripted methods
// answer UNAVAILABLE.
//
//   ScriptedRpc rpc;
//   rpc.On("eth_blockNumber", [](const nlohmann::json&) { return nlohmann::json("0x10"); });
//   EXPECT_EQ(rpc.Count("eth_call"), 1);
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/common/bytes.h"
#include "lib/common/sync.h"
#include "lib/jsonrpc/errors.h"
#include "lib/jsonrpc/rpc_caller.h"
#include "nlohmann/json.hpp"

namespace chainkms::testutil {

class ScriptedRpc : public RpcCaller {
 public:
  using Handler = std::function<absl::StatusOr<nlohmann::json>(const nlohmann::json& params)>;

  void On(const std::string& method, Handler h) {
    chainkms::MutexLock l(&mu_);
    handlers_[method] = std::move(h);
  }

  absl::StatusOr<nlohmann::json> Call(std::string_view method, nlohmann::json params) override {
    {
      chainkms::MutexLock l(&mu_);
      ++requests_;
    }
    return Dispatch(method, std::move(params));
  }

  absl::StatusOr<std::vector<absl::StatusOr<nlohmann::json>>> Batch(
      std::vector<Request> requests) override {
    {
      chainkms::MutexLock l(&mu_);
      ++requests_;
    }
    std::vector<absl::StatusOr<nlohmann::json>> out;
    for (Request& r : requests) out.push_back(Dispatch(r.method, std::move(r.params)));
    return out;
  }

  // Round trips: each Call and each Batch counts once.
  int Requests() const {
    chainkms::MutexLock l(&mu_);
    return requests_;
  }

  int Count(const std::string& method) const {
    chainkms::MutexLock l(&mu_);
    int n = 0;
    for (const auto& c : calls_) n += c.first == method ? 1 : 0;
    return n;
  }
  std::vector<nlohmann::json> Params(const std::string& method) const {
    chainkms::MutexLock l(&mu_);
    std::vector<nlohmann::json> out;
    for (const auto& c : calls_) {
      if (c.first == method) out.push_back(c.second);
    }
    return out;
  }

 private:
  absl::StatusOr<nlohmann::json> Dispatch(std::string_view method, nlohmann::json params) {
    Handler h;
    {
      chainkms::MutexLock l(&mu_);
      calls_.emplace_back(std::string(method), params);
      auto it = handlers_.find(std::string(method));
      if (it == handlers_.end()) return absl::UnavailableError("unscripted " + std::string(method));
      h = it->second;
    }
    return h(params);
  }

  mutable chainkms::Mutex mu_;
  int requests_ = 0;
  std::map<std::string, Handler> handlers_;
  std::vector<std::pair<std::string, nlohmann::json>> calls_;
};

// The status a JsonRpcClient returns for a JSON-RPC error reply.
inline absl::Status RpcErrorStatus(int64_t code, const std::string& message,
                                   const std::string& data_hex, const std::string& method) {
  nlohmann::json e = {{"code", code}, {"message", message}};
  if (!data_hex.empty()) e["data"] = data_hex;
  std::optional<RpcError> err = ParseRpcError(e);
  return RpcErrorToStatus(*err, method);
}

// A node with Multicall3 for ScriptedRpc: answers eth_call of aggregate3 (getBlockNumber() with
// the call's block, `head` for "latest"; every other sub-call through `answer(target,
// calldata)` → (success, return data); a direct eth_call is answered the same way),
// eth_getBlockByNumber, eth_blockNumber, eth_chainId and
// eth_getStorageAt (zero). A pinned block beyond `head` answers like geth: "header not found".
using SubCallAnswer =
    std::function<std::pair<bool, Bytes>(const Address& target, const Bytes& calldata)>;
void ScriptMulticallNode(ScriptedRpc& rpc, uint64_t head, SubCallAnswer answer,
                         uint64_t chain_id = 31337);

}  // namespace chainkms::testutil
