#include "lib/testing/counting_transport.h"

#include "nlohmann/json.hpp"

namespace chainkms::testutil {

absl::StatusOr<std::string> CountingTransport::Post(std::string_view body) {
  const nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  {
    chainkms::MutexLock l(&mu_);
    ++posts_;
    auto count = [&](const nlohmann::json& call) {
      if (call.is_object() && call.contains("method") && call["method"].is_string()) {
        ++methods_[call["method"].get<std::string>()];
      }
    };
    if (j.is_array()) {
      ++batches_;
      for (const auto& call : j) count(call);
    } else {
      count(j);
    }
  }
  return inner_->Post(body);
}

int CountingTransport::post_count() const {
  chainkms::MutexLock l(&mu_);
  return posts_;
}

int CountingTransport::batch_count() const {
  chainkms::MutexLock l(&mu_);
  return batches_;
}

int CountingTransport::method_count(std::string_view method) const {
  chainkms::MutexLock l(&mu_);
  auto it = methods_.find(method);
  return it == methods_.end() ? 0 : it->second;
}

int CountingTransport::total_method_count() const {
  chainkms::MutexLock l(&mu_);
  int n = 0;
  for (const auto& [m, c] : methods_) n += c;
  return n;
}

std::map<std::string, int> CountingTransport::method_counts() const {
  chainkms::MutexLock l(&mu_);
  return {methods_.begin(), methods_.end()};
}

void CountingTransport::Reset() {
  chainkms::MutexLock l(&mu_);
  posts_ = 0;
  batches_ = 0;
  methods_.clear();
}

}  // namespace chainkms::testutil
