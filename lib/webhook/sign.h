// Webhook signatures (DESIGN §5.5), as @phala/cloud/webhook verifies them:
//   X-Webhook-Signature: sha256=<lower hex HMAC-SHA256(secret, "{timestamp}.{raw_body}")>
// keyed with the whole secret string ("whsec_…", UTF-8; the prefix is part of the key), next to
// X-Webhook-Id (the event id), X-Webhook-Event and X-Webhook-Timestamp (unix seconds). Receivers
// reject timestamps more than 300 s away from their clock.
//
//   const std::string secret = NewWebhookSecret();        // shown once, stored by the service
//   auto headers = SignedWebhookHeaders(secret, NewEventId(), "cvm.created", now_s, body);
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chainkms::webhook {

// "whsec_" + 32 random bytes in lower-case hex.
std::string NewWebhookSecret();
// "evt_" + 8 random bytes in lower-case hex (16 digits).
std::string NewEventId();

// "sha256=" + lower-case hex of HMAC-SHA256(secret, "{timestamp}.{body}").
std::string WebhookSignature(std::string_view secret, int64_t timestamp, std::string_view body);

// The four headers, in this order: X-Webhook-Id, X-Webhook-Event, X-Webhook-Timestamp,
// X-Webhook-Signature.
std::vector<std::pair<std::string, std::string>> SignedWebhookHeaders(std::string_view secret,
                                                                      std::string_view event_id,
                                                                      std::string_view event,
                                                                      int64_t timestamp,
                                                                      std::string_view body);

}  // namespace chainkms::webhook
