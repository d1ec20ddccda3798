// chainkms.v1.Provisioning's webhooks (endpoints by RPC, the outbox, signatures checked by
// @phala/cloud/webhook, retries, refused targets), two replicas on one PostgreSQL racing a token,
// and the admin service's API keys.
#include <atomic>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/compose/app_compose.h"
#include "lib/crypto/hash.h"
#include "lib/crypto/keccak.h"
#include "lib/testing/command.h"
#include "lib/testing/http_test_server.h"
#include "lib/testing/postgres.h"
#include "lib/testing/status_matchers.h"
#include "lib/testing/temp_dir.h"
#include "prometheus/text_serializer.h"
#include "services/provisioning/provisioning_fixture_test.h"

namespace chainkms::provisioning {
namespace {

using ::chainkms::testutil::HasReason;
using ::chainkms::testutil::StatusIs;
using ::testing::HasSubstr;
using ::testing::SizeIs;
using json = nlohmann::json;

// Its own suite name: the fixture class is per translation unit (anonymous namespace).
class ProvisioningWebhooksTest : public ProvisioningTest {};

// Webhooks: endpoints by RPC, deliveries from the outbox, verified by @phala/cloud/webhook.
TEST_F(ProvisioningWebhooksTest, WebhooksAreSignedRetriedAndVerifiedByPhalaCloud) {
  std::atomic<int> fail_first{1};
  testutil::HttpTestServer receiver([&](const std::string&) {
    if (fail_first.fetch_sub(1) > 0) return testutil::HttpTestServer::Response{.status = 503};
    return testutil::HttpTestServer::Response{.status = 204};
  });
  ASSERT_TRUE(receiver.Start().ok());
  pb::CreateWebhookRequest hook;
  hook.set_url(absl::StrCat("http://127.0.0.1:", receiver.port(), "/hooks"));
  hook.add_events("cvm.update.pending_approval");
  pb::CreateWebhookResponse created;
  ASSERT_TRUE(h_->stub().CreateWebhook(In("ws-a").get(), hook, &created).ok());
  ASSERT_THAT(created.secret(), ::testing::StartsWith("whsec_"));
  EXPECT_EQ(created.webhook().secret_prefix(), created.secret().substr(0, 10));
  pb::ListWebhooksResponse listed;
  ASSERT_TRUE(h_->stub().ListWebhooks(In("ws-a").get(), {}, &listed).ok());
  ASSERT_EQ(listed.webhooks_size(), 1);
  EXPECT_THAT(listed.DebugString(), ::testing::Not(HasSubstr(created.secret())));

  pb::Cvm cvm = Deployed();
  pb::PatchCvmResponse prep = Patch("ws-a", cvm.id(), "services: {v2: {}}\n", true);

  std::vector<webhook::DeliveryRequest> sent;
  auto registry = std::make_shared<prometheus::Registry>();
  WebhookOutbox outbox(h_->store(), clock_,
                       {.retry_delays = {absl::Minutes(1)},
                        .allow_private = true,
                        .owner = "t",
                        .metrics = registry},
                       nullptr,
                       [&](const webhook::DeliveryRequest& r, const webhook::DeliveryOptions& o) {
                         sent.push_back(r);
                         return webhook::DeliverWebhook(r, o);
                       });
  EXPECT_EQ(outbox.RunOnce(), 1);  // 503 → retry in 1 min
  EXPECT_EQ(outbox.RunOnce(), 0);
  clock_.Advance(absl::Minutes(1));
  EXPECT_EQ(outbox.RunOnce(), 1);  // 204 → delivered
  clock_.Advance(absl::Hours(2));
  EXPECT_EQ(outbox.RunOnce(), 0);
  ASSERT_THAT(sent, SizeIs(2));
  // One retry, one delivery, no failure; two timed POSTs.
  const std::string metrics = prometheus::TextSerializer().Serialize(registry->Collect());
  EXPECT_THAT(metrics, HasSubstr("chainkms_webhook_deliveries_total{outcome=\"retry\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("chainkms_webhook_deliveries_total{outcome=\"delivered\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("chainkms_webhook_deliveries_total{outcome=\"failed\"} 0"));
  EXPECT_THAT(metrics, HasSubstr("chainkms_webhook_delivery_seconds_count 2"));
  EXPECT_EQ(sent[0].body, sent[1].body);
  EXPECT_EQ(sent[0].headers[0], sent[1].headers[0]);  // X-Webhook-Id: the same event id

  const json body = json::parse(sent[1].body);
  EXPECT_EQ(body["event"], "cvm.update.pending_approval");
  EXPECT_EQ(body["version"], "1");
  const json& data = body["data"];
  const pb::OnChainHashRequired& need = prep.requires_on_chain_hash();
  EXPECT_EQ(data["cvm_id"], cvm.id());
  EXPECT_EQ(data["compose_hash"],
            Hex0x(ByteView(reinterpret_cast<const uint8_t*>(need.compose_hash().data()), 32)));
  EXPECT_EQ(data["commit_token"], need.commit_token());
  EXPECT_EQ(data["api_commit_url"], need.api_commit_url());
  EXPECT_EQ(data["onchain_action"]["method"], "addComposeHash(bytes32)");
  EXPECT_EQ(data["kms"]["chain_id"], kChainId);

  pb::ListWebhookDeliveriesRequest dreq;
  dreq.set_webhook_id(created.webhook().id());
  pb::ListWebhookDeliveriesResponse deliveries;
  ASSERT_TRUE(h_->stub().ListWebhookDeliveries(In("ws-a").get(), dreq, &deliveries).ok());
  ASSERT_EQ(deliveries.deliveries_size(), 1);  // cvm.created was not subscribed
  EXPECT_EQ(deliveries.deliveries(0).state(), pb::DELIVERY_STATE_DELIVERED);
  EXPECT_EQ(deliveries.deliveries(0).attempts(), 2u);
  EXPECT_EQ(deliveries.deliveries(0).last_http_status(), 204);

  // Phala Cloud's verifier accepts what we sent (at the time it was signed), and not once the
  // secret is rotated.
  json cases = json::array();
  for (const std::string& secret : {created.secret(), std::string("whsec_wrong")}) {
    json headers = json::object();
    for (const auto& [k, v] : sent[1].headers) headers[k] = v;
    cases.push_back({{"secret", secret},
                     {"headers", headers},
                     {"body", sent[1].body},
                     {"now", absl::ToUnixSeconds(clock_.Now()) - 7200}});
  }
  auto verdicts = testutil::RunNodeOnCases("tests/webhook/verify_webhook.mjs", cases);
  ASSERT_TRUE(verdicts.ok()) << verdicts.status();
  ASSERT_THAT(*verdicts, SizeIs(2));
  EXPECT_TRUE((*verdicts)[0]["ok"].get<bool>()) << (*verdicts)[0].dump();
  EXPECT_FALSE((*verdicts)[1]["ok"].get<bool>());
}

TEST_F(ProvisioningWebhooksTest, RedirectsAndRefusedTargetsAreFailures) {
  testutil::HttpTestServer redirect([](const std::string&) {
    return testutil::HttpTestServer::Response{.status = 302,
                                              .headers = {{"Location", "http://10.0.0.1/"}}};
  });
  ASSERT_TRUE(redirect.Start().ok());
  webhook::DeliveryResult r = webhook::DeliverWebhook(
      {.url = absl::StrCat("http://127.0.0.1:", redirect.port(), "/"), .body = "{}"},
      {.allow_private = true});
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.http_status, 302);
  EXPECT_THAT(r.error, HasSubstr("redirect"));
  EXPECT_EQ(redirect.request_count(), 1);
  // A receiver slower than the timeout is a failure.
  testutil::HttpTestServer slow([](const std::string&) {
    return testutil::HttpTestServer::Response{.status = 200, .delay = absl::Seconds(3)};
  });
  ASSERT_TRUE(slow.Start().ok());
  webhook::DeliveryResult late = webhook::DeliverWebhook(
      {.url = absl::StrCat("http://127.0.0.1:", slow.port(), "/"), .body = "{}"},
      {.timeout = absl::Milliseconds(300), .allow_private = true});
  EXPECT_FALSE(late.ok());
  EXPECT_THAT(late.error, HasSubstr("timed out"));
  // Without --webhook-allow-private loopback is refused before anything is sent.
  webhook::DeliveryResult refused = webhook::DeliverWebhook(
      {.url = absl::StrCat("http://127.0.0.1:", redirect.port(), "/"), .body = "{}"}, {});
  EXPECT_THAT(refused.error, HasSubstr("refused"));
  EXPECT_EQ(redirect.request_count(), 1);
  // A name that resolves to loopback is refused at connect time.
  webhook::DeliveryResult by_name = webhook::DeliverWebhook(
      {.url = absl::StrCat("http://localtest.invalid.localhost.:", redirect.port(), "/"),
       .body = "{}"},
      {});
  EXPECT_FALSE(by_name.ok());
  EXPECT_EQ(redirect.request_count(), 1);

  // And the RPC refuses such a target when the server does not allow private ones.
  ProvisioningOptions strict = Harness::DefaultOptions();
  strict.webhook_allow_private = false;
  testutil::TempDir dir;
  Harness h("sqlite:" + dir.path() + "/s.db", chain_, clock_, strict);
  pb::CreateWebhookRequest hook;
  hook.set_url("http://169.254.169.254/latest");
  pb::CreateWebhookResponse created;
  grpc::Status s = h.stub().CreateWebhook(In("ws-a").get(), hook, &created);
  EXPECT_EQ(Meta(s, "field"), "url");
}

// Two replicas on one PostgreSQL commit the same token at the same instant: exactly one wins.
TEST(ProvisioningReplicasTest, TwoInstancesOnOnePostgresRaceOneTokenExactlyOneWins) {
  auto pg = testutil::PostgresProcess::Start();
  ASSERT_TRUE(pg.ok()) << pg.status();
  testutil::FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  FakeChain chain;
  Harness a((*pg)->url(), chain, clock);
  Harness b((*pg)->url(), chain, clock);

  pb::ProvisionCvmRequest prov;
  prov.set_name("web");
  prov.mutable_compose()->set_docker_compose_file(kCompose);
  prov.set_kms("anvil");
  pb::ProvisionCvmResponse p;
  ASSERT_TRUE(a.stub().ProvisionCvm(In("ws-a").get(), prov, &p).ok());
  chain.Register(kApp, p.compose_hash(), kDevice1);
  pb::CommitCvmProvisionRequest commit;
  commit.set_app_id(kApp);
  commit.set_compose_hash(p.compose_hash());
  pb::CommitCvmProvisionResponse committed;
  ASSERT_TRUE(b.stub().CommitCvmProvision(In("ws-a").get(), commit, &committed).ok());

  for (int round = 0; round < 5; ++round) {
    pb::PatchCvmRequest patch;
    patch.set_cvm_id(committed.cvm().id());
    patch.mutable_compose()->set_docker_compose_file(
        absl::StrCat("services: {r", round, ": {}}\n"));
    patch.set_prepare_only(true);
    pb::PatchCvmResponse prepared;
    ASSERT_TRUE(a.stub().PatchCvm(In("ws-a").get(), patch, &prepared).ok());
    chain.AllowHash(kApp, prepared.requires_on_chain_hash().compose_hash());
    pb::CommitCvmUpdateRequest req;
    req.set_cvm_id(committed.cvm().id());
    req.set_token(prepared.requires_on_chain_hash().commit_token());
    req.set_already_registered(true);
    std::atomic<int> ok{0};
    std::atomic<int> used{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 6; ++i) {
      Harness* h = i % 2 == 0 ? &a : &b;
      threads.emplace_back([&, h] {
        pb::CommitCvmUpdateResponse resp;
        grpc::Status s = h->stub().CommitCvmUpdate(In("").get(), req, &resp);
        if (s.ok()) {
          ++ok;
        } else if (Meta(s, "detail") == "used") {
          ++used;
        }
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(ok.load(), 1) << "round " << round;
    EXPECT_EQ(used.load(), 5) << "round " << round;
  }
  EXPECT_EQ(a.store().GetCvm("ws-a", committed.cvm().id())->revision, 6);
}

// API keys: minted once, stored as SHA-256 only, listed without secrets, revoked per workspace.
TEST_F(ProvisioningWebhooksTest, ApiKeysAreMintedHashedListedAndRevoked) {
  pb::CreateApiKeyRequest create;
  create.set_workspace("ws-a");
  create.set_name("ci");
  pb::CreateApiKeyResponse created;
  grpc::ClientContext c1;
  ASSERT_TRUE(h_->admin().CreateApiKey(&c1, create, &created).ok());
  const std::string& key = created.api_key();
  EXPECT_EQ(ApiKeyIdOf(key), created.key().id());
  ASSERT_EQ(key.size(), 3u + 16 + 1 + 64) << key;

  pb::LookupApiKeyRequest lookup;
  lookup.set_key_id(created.key().id());
  pb::LookupApiKeyResponse found;
  grpc::ClientContext c2;
  ASSERT_TRUE(h_->admin().LookupApiKey(&c2, lookup, &found).ok());
  EXPECT_EQ(found.key().workspace(), "ws-a");
  const Hash32 want = Sha256(ByteView(reinterpret_cast<const uint8_t*>(key.data()), key.size()));
  EXPECT_EQ(found.secret_sha256(), std::string(want.bytes.begin(), want.bytes.end()));
  // Nothing in the Store holds the key itself.
  absl::StatusOr<ApiKeyRecord> stored = h_->store().GetApiKey(created.key().id());
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->secret_sha256, Bytes(want.bytes.begin(), want.bytes.end()));

  pb::ListApiKeysRequest list;
  list.set_workspace("ws-b");
  pb::ListApiKeysResponse listed;
  grpc::ClientContext c3;
  ASSERT_TRUE(h_->admin().ListApiKeys(&c3, list, &listed).ok());
  EXPECT_EQ(listed.keys_size(), 0);

  pb::RevokeApiKeyRequest revoke;
  revoke.set_workspace("ws-b");
  revoke.set_key_id(created.key().id());
  pb::RevokeApiKeyResponse revoked;
  grpc::ClientContext c4;
  EXPECT_THAT(h_->admin().RevokeApiKey(&c4, revoke, &revoked), HasReason(Reason::kApiKeyNotFound));
  revoke.set_workspace("ws-a");
  grpc::ClientContext c5;
  ASSERT_TRUE(h_->admin().RevokeApiKey(&c5, revoke, &revoked).ok());
  EXPECT_GT(revoked.key().revoked_at(), 0);

  // Malformed input names the field.
  lookup.set_key_id("ck_short");
  grpc::ClientContext c6;
  EXPECT_THAT(h_->admin().LookupApiKey(&c6, lookup, &found), HasReason(Reason::kInvalidField));
  create.set_workspace("bad workspace");
  grpc::ClientContext c7;
  EXPECT_THAT(h_->admin().CreateApiKey(&c7, create, &created), HasReason(Reason::kInvalidField));
  EXPECT_EQ(ApiKeyIdOf(std::string(key).replace(5, 1, "G")), "");
  EXPECT_EQ(ApiKeyIdOf(key.substr(0, key.size() - 1)), "");
}

}  // namespace
}  // namespace chainkms::provisioning
