// JsonRpcTransport: the seam between JSON-RPC logic and the network. CurlTransport (curl_transport.h)
// speaks HTTP; tests pass fakes (lib/testing/fake_transport.h) or a real anvil.
//
//   CurlTransport t(CurlTransport::Options{.url = "http://127.0.0.1:8545"});
//   ASSIGN_OR_RETURN(std::string reply, t.Post(R"({"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]})"));
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"

namespace chainkms {

class JsonRpcTransport {
 public:
  virtual ~JsonRpcTransport() = default;
  // Sends one HTTP POST with a JSON body and returns the response body of a 2xx answer.
  // UNAVAILABLE for connection failures, timeouts and 5xx; RESOURCE_EXHAUSTED for HTTP 429;
  // both carry the endpoint in the message (never credentials in the URL). Thread-safe.
  virtual absl::StatusOr<std::string> Post(std::string_view body) = 0;
  // Where requests go, for logs and metrics (credentials stripped).
  virtual std::string Describe() const = 0;
};

// Marks a transport error after which the server certainly did not process the request (no
// connection was made, or HTTP 429). FailoverClient resends non-idempotent calls only then.
inline constexpr char kNotDeliveredTypeUrl[] = "type.chainkms.dev/NotDelivered";
inline absl::Status MarkNotDelivered(absl::Status status) {
  status.SetPayload(kNotDeliveredTypeUrl, absl::Cord("1"));
  return status;
}
inline bool WasNotDelivered(const absl::Status& status) {
  return !status.ok() && status.GetPayload(kNotDeliveredTypeUrl).has_value();
}

}  // namespace chainkms
