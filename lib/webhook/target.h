// Where a webhook may be delivered: http(s) URLs only, and never to private, loopback,
// link-local, CGNAT, multicast, unspecified or cloud-metadata addresses unless the operator allows
// private targets explicitly (--webhook-allow-private, for tests and closed networks). A name is
// checked again after resolution, and the delivery pins the address it checked (no DNS
// rebinding between check and connect).
//
//   RETURN_IF_ERROR(CheckWebhookUrl(url, /*allow_private=*/false));        // at registration
//   RETURN_IF_ERROR(CheckWebhookAddress("10.0.0.7", false));               // each resolved address
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace chainkms::webhook {

struct WebhookUrl {
  std::string scheme;          // "http" | "https"
  std::string host;            // a name or an IP literal (IPv6 without brackets)
  int port = 0;                // 80 / 443 when absent
  std::string path_and_query;  // "/…"
};

// INVALID_ARGUMENT naming the problem: not http(s), credentials in the URL, no host, a bad port,
// a fragment, over 2048 characters, or (unless allow_private) a host that is an IP literal in a
// blocked range or a name such as localhost / *.localhost / metadata.google.internal.
absl::StatusOr<WebhookUrl> CheckWebhookUrl(std::string_view url, bool allow_private);

// PERMISSION_DENIED for an address in a blocked range (unless allow_private); INVALID_ARGUMENT
// when `ip` is not an IPv4 or IPv6 literal.
absl::Status CheckWebhookAddress(std::string_view ip, bool allow_private);

}  // namespace chainkms::webhook
