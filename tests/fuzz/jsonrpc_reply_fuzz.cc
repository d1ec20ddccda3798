// JSON-RPC replies from a node are outside bytes: the client (single call and a 3-request
// batch, ids 1.. on a fresh client) and the receipt parser must never crash on them.
#include <memory>
#include <string>

#include "lib/chain/eth_rpc.h"
#include "lib/jsonrpc/client.h"

namespace {

class FixedReply final : public chainkms::JsonRpcTransport {
 public:
  explicit FixedReply(std::string body) : body_(std::move(body)) {}
  absl::StatusOr<std::string> Post(std::string_view) override { return body_; }
  std::string Describe() const override { return "fuzz"; }

 private:
  std::string body_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  auto transport = std::make_shared<FixedReply>(body);
  (void)chainkms::JsonRpcClient(transport).Call("eth_getTransactionReceipt", {});
  (void)chainkms::JsonRpcClient(transport).Batch({{"eth_call", {}}, {"eth_chainId", {}}, {"x", {}}});
  const auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_discarded()) (void)chainkms::ParseReceipt(j);
  return 0;
}
