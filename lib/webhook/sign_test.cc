// Our webhook signatures through Phala Cloud's own verifier (@phala/cloud/webhook, pinned; Node,
// tests/webhook/verify_webhook.mjs): signed deliveries verify, and a changed byte of the body, the
// timestamp or the signature, another secret or a stale timestamp do not.
#include "lib/webhook/sign.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/common/hex.h"
#include "lib/crypto/hash.h"
#include "lib/testing/command.h"
#include "nlohmann/json.hpp"

namespace chainkms::webhook {
namespace {

using json = nlohmann::json;

TEST(WebhookSign, SecretsAndIdsHaveTheirShape) {
  const std::string s = NewWebhookSecret();
  EXPECT_EQ(s.rfind("whsec_", 0), 0u);
  EXPECT_EQ(s.size(), 6u + 64u);
  EXPECT_NE(NewWebhookSecret(), s);
  const std::string id = NewEventId();
  EXPECT_EQ(id.rfind("evt_", 0), 0u);
  EXPECT_EQ(id.size(), 4u + 16u);
}

TEST(WebhookSign, TheSignatureIsHmacOfTimestampDotBodyKeyedWithTheWholeSecret) {
  const std::string expected = absl::StrCat(
      "sha256=", HexEncode(HmacSha256(AsBytes("whsec_k"), AsBytes("1700000000.{\"a\":1}")).view()));
  EXPECT_EQ(WebhookSignature("whsec_k", 1700000000, R"({"a":1})"), expected);
  const auto headers = SignedWebhookHeaders("whsec_k", "evt_0011223344556677", "cvm.created",
                                            1700000000, R"({"a":1})");
  ASSERT_EQ(headers.size(), 4u);
  EXPECT_EQ(headers[0],
            (std::pair<std::string, std::string>{"X-Webhook-Id", "evt_0011223344556677"}));
  EXPECT_EQ(headers[1].second, "cvm.created");
  EXPECT_EQ(headers[2].second, "1700000000");
  EXPECT_EQ(headers[3].second, expected);
}

TEST(WebhookSign, PhalaCloudsVerifierAcceptsOursAndRefusesEveryTamper) {
  const int64_t now = 1796169600;
  const std::string secret = NewWebhookSecret();
  const std::string body =
      json{{"id", NewEventId()},
           {"event", "cvm.update.pending_approval"},
           {"version", "1"},
           {"created_at", "2026-12-02T00:00:00Z"},
           {"data", {{"cvm_id", "c1"}, {"compose_hash", "0xab"}, {"note", "é 😀 \"q\"\n"}}}}
          .dump();
  struct Case {
    std::string name;
    std::string secret;
    int64_t signed_at;
    std::string body;
    std::string sent_body;
    std::string signature_override;
    bool ok;
  };
  const std::string sig = WebhookSignature(secret, now, body);
  std::string flipped_sig = sig;
  flipped_sig.back() = flipped_sig.back() == '0' ? '1' : '0';
  std::string flipped_body = body;
  flipped_body[10] ^= 0x01;
  const std::vector<Case> cases = {
      {"signed now", secret, now, body, body, "", true},
      {"signed 299 s ago", secret, now - 299, body, body, "", true},
      {"body changed", secret, now, body, flipped_body, "", false},
      {"signature changed", secret, now, body, body, flipped_sig, false},
      {"another secret", NewWebhookSecret(), now, body, body, "", false},
      {"stale (301 s)", secret, now - 301, body, body, "", false},
      {"from the future (301 s)", secret, now + 301, body, body, "", false},
  };
  json all = json::array();
  for (const Case& c : cases) {
    json headers = json::object();
    for (const auto& [k, v] :
         SignedWebhookHeaders(c.secret, "evt_0011223344556677", "cvm.update.pending_approval",
                              c.signed_at, c.body)) {
      headers[k] = v;
    }
    if (!c.signature_override.empty()) headers["X-Webhook-Signature"] = c.signature_override;
    all.push_back({{"secret", secret}, {"headers", headers}, {"body", c.sent_body}, {"now", now}});
  }
  absl::StatusOr<std::vector<json>> ran =
      testutil::RunNodeOnCases("tests/webhook/verify_webhook.mjs", all);
  ASSERT_TRUE(ran.ok()) << ran.status();
  size_t i = 0;
  for (; i < ran->size(); ++i) {
    ASSERT_LT(i, cases.size());
    const json& v = (*ran)[i];
    EXPECT_EQ(v["ok"].get<bool>(), cases[i].ok) << cases[i].name << ": " << v.dump();
    if (cases[i].ok) {
      EXPECT_EQ(v["event"], "cvm.update.pending_approval");
    }
  }
  EXPECT_EQ(i, cases.size());
}

}  // namespace
}  // namespace chainkms::webhook
