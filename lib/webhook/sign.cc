#include "lib/webhook/sign.h"

#include "absl/strings/str_cat.h"
#include "lib/common/hex.h"
#include "lib/crypto/hash.h"
#include "lib/crypto/random.h"

namespace chainkms::webhook {

std::string NewWebhookSecret() {
  const SecretBytes key = RandomSecret(32);
  return absl::StrCat("whsec_", HexEncode(ByteView(key.data(), key.size())));
}

std::string NewEventId() {
  const SecretBytes id = RandomSecret(8);
  return absl::StrCat("evt_", HexEncode(ByteView(id.data(), id.size())));
}

std::string WebhookSignature(std::string_view secret, int64_t timestamp, std::string_view body) {
  const std::string message = absl::StrCat(timestamp, ".", std::string(body));
  return absl::StrCat("sha256=", HexEncode(HmacSha256(AsBytes(secret), AsBytes(message)).view()));
}

std::vector<std::pair<std::string, std::string>> SignedWebhookHeaders(std::string_view secret,
                                                                      std::string_view event_id,
                                                                      std::string_view event,
                                                                      int64_t timestamp,
                                                                      std::string_view body) {
  return {{"X-Webhook-Id", std::string(event_id)},
          {"X-Webhook-Event", std::string(event)},
          {"X-Webhook-Timestamp", absl::StrCat(timestamp)},
          {"X-Webhook-Signature", WebhookSignature(secret, timestamp, body)}};
}

}  // namespace chainkms::webhook
