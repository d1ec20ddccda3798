#include "lib/webhook/target.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/testing/status_matchers.h"

namespace chainkms::webhook {
namespace {

using ::chainkms::testutil::StatusIs;
using ::testing::HasSubstr;

TEST(WebhookTarget, PublicHttpsUrlsParse) {
  absl::StatusOr<WebhookUrl> u = CheckWebhookUrl("https://hooks.example.com/ci?x=1", false);
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->host, "hooks.example.com");
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->path_and_query, "/ci?x=1");
  u = CheckWebhookUrl("http://93.184.216.34:8080", false);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->port, 8080);
  EXPECT_EQ(u->path_and_query, "/");
  EXPECT_TRUE(CheckWebhookUrl("https://[2606:4700::1111]/h", false).ok());
}

TEST(WebhookTarget, PrivateLoopbackLinkLocalAndMetadataAreRefusedUnlessAllowed) {
  for (const char* url :
       {"http://127.0.0.1/", "http://10.1.2.3/", "http://172.16.0.1/", "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data", "http://100.64.0.1/", "http://0.0.0.0/",
        "http://[::1]/", "http://[fe80::1]/", "http://[fc00::1]/", "http://[::ffff:127.0.0.1]/",
        "http://localhost:8080/", "http://api.localhost/", "http://metadata.google.internal/",
        "http://224.0.0.1/"}) {
    EXPECT_THAT(CheckWebhookUrl(url, false).status(),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--webhook-allow-private")))
        << url;
    EXPECT_TRUE(CheckWebhookUrl(url, true).ok()) << url;
  }
  EXPECT_THAT(CheckWebhookAddress("192.168.0.5", false),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_TRUE(CheckWebhookAddress("192.168.0.5", true).ok());
  EXPECT_TRUE(CheckWebhookAddress("8.8.8.8", false).ok());
  EXPECT_THAT(CheckWebhookAddress("not-an-ip", false),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(WebhookTarget, MalformedUrlsAreRefusedNamingTheProblem) {
  auto err = [](const char* u) { return std::string(CheckWebhookUrl(u, true).status().message()); };
  EXPECT_THAT(err("ftp://x/"), HasSubstr("http or https"));
  EXPECT_THAT(err("example.com/hook"), HasSubstr("http://"));
  EXPECT_THAT(err("https://user:pw@example.com/"), HasSubstr("credentials"));
  EXPECT_THAT(err("https:///path"), HasSubstr("no host"));
  EXPECT_THAT(err("https://example.com:99999/"), HasSubstr("port"));
  EXPECT_THAT(err("https://example.com/#frag"), HasSubstr("fragment"));
  EXPECT_THAT(err(("https://e.com/" + std::string(2100, 'a')).c_str()), HasSubstr("2048"));
}

}  // namespace
}  // namespace chainkms::webhook
