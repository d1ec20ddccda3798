// FakeTransport: a JsonRpcTransport without a network, for tests of code that speaks JSON-RPC.
// Replies come from a FIFO script first (each entry sees the parsed request, so it can echo the
// id), then from per-method handlers (a tiny fake node that also answers batches). Every request
// body is recorded.
//
//   auto fake = std::make_shared<FakeTransport>();
//   fake->OnMethod("eth_chainId", [](const nlohmann::json&) { return nlohmann::json("0x7a69"); });
//   fake->PushError(-32000, "nonce too low");      // the next request, whatever it is
//   JsonRpcClient rpc(fake);
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "lib/common/sync.h"
#include "lib/jsonrpc/transport.h"
#include "nlohmann/json.hpp"

namespace chainkms::testutil {

class FakeTransport final : public JsonRpcTransport {
 public:
  // Builds the reply body from the parsed request (object or batch array).
  using Scripted = std::function<absl::StatusOr<std::string>(const nlohmann::json& request)>;
  // Answers one call: a result, or a status turned into a JSON-RPC error (an RpcError payload
  // from lib/jsonrpc/errors.h keeps its code, message and data; otherwise code -32000).
  using MethodHandler = std::function<absl::StatusOr<nlohmann::json>(const nlohmann::json& params)>;

  explicit FakeTransport(std::string description = "fake://node")
      : description_(std::move(description)) {}

  void Push(Scripted reply);
  void PushRaw(absl::StatusOr<std::string> body);  // exactly this body or transport error
  void PushResult(nlohmann::json result);          // {"jsonrpc":"2.0","id":<request id>,...}
  void PushError(int64_t code, std::string message, std::optional<std::string> data = {});
  void OnMethod(std::string method, MethodHandler handler);

  absl::StatusOr<std::string> Post(std::string_view body) override;
  std::string Describe() const override { return description_; }

  std::vector<std::string> requests() const;  // bodies, in order
  std::vector<std::string> methods() const;   // method names, batches flattened
  size_t post_count() const;
  size_t pending_scripted() const;

 private:
  const std::string description_;
  mutable chainkms::Mutex mu_;
  std::vector<Scripted> script_ ABSL_GUARDED_BY(mu_);
  size_t next_script_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, MethodHandler, std::less<>> handlers_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> requests_ ABSL_GUARDED_BY(mu_);
};

// {"jsonrpc":"2.0","id":id,"result":result} / {"jsonrpc":"2.0","id":id,"error":{...}} as text.
std::string JsonRpcResult(const nlohmann::json& id, const nlohmann::json& result);
std::string JsonRpcError(const nlohmann::json& id, int64_t code, std::string_view message,
                         std::optional<std::string> data = {});

}  // namespace chainkms::testutil
