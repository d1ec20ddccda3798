// One webhook delivery attempt over HTTP(S) with libcurl: POST the body with the signed headers,
// 2xx is success; redirects are failures (never followed); a timeout (10 s by default) is a
// failure. The target is checked before sending (CheckWebhookUrl) and every address curl is
// about to connect to is checked again at connect time (CheckWebhookAddress), so a name that
// resolves to a private address — or is re-pointed there between check and connect — is refused.
// Proxies from the environment are ignored (a proxy would hide the real target).
//
//   DeliveryResult r = DeliverWebhook({.url = url, .headers = SignedWebhookHeaders(...), .body =
//   b},
//                                     {.timeout = absl::Seconds(10)});
//   if (!r.ok()) retry later with r.error in the delivery log.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"

namespace chainkms::webhook {

struct DeliveryRequest {
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct DeliveryOptions {
  absl::Duration timeout = absl::Seconds(10);
  bool allow_private = false;
};

struct DeliveryResult {
  int http_status = 0;  // 0: no answer
  std::string error;    // empty on a 2xx
  bool ok() const { return error.empty(); }
};

DeliveryResult DeliverWebhook(const DeliveryRequest& request, const DeliveryOptions& options);

}  // namespace chainkms::webhook
