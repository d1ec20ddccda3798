// CountingTransport: a JsonRpcTransport decorator that counts posts and the JSON-RPC methods in
// them (batch entries counted one by one), so tests can prove "exactly one eth_call".
//
//   auto counting = std::make_shared<CountingTransport>(real_transport);
//   JsonRpcClient rpc(counting);
//   ... EXPECT_EQ(counting->method_count("eth_call"), 1);
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "lib/common/sync.h"
#include "lib/jsonrpc/transport.h"

namespace chainkms::testutil {

class CountingTransport final : public JsonRpcTransport {
 public:
  explicit CountingTransport(std::shared_ptr<JsonRpcTransport> inner) : inner_(std::move(inner)) {}

  absl::StatusOr<std::string> Post(std::string_view body) override;
  std::string Describe() const override { return inner_->Describe(); }

  int post_count() const;
  int batch_count() const;  // posts whose body was a JSON array
  int method_count(std::string_view method) const;
  int total_method_count() const;
  std::map<std::string, int> method_counts() const;
  void Reset();

 private:
  std::shared_ptr<JsonRpcTransport> inner_;
  mutable chainkms::Mutex mu_;
  int posts_ ABSL_GUARDED_BY(mu_) = 0;
  int batches_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, int, std::less<>> methods_ ABSL_GUARDED_BY(mu_);
};

}  // namespace chainkms::testutil
