// The provisioning Store, one suite on both engines: SQLite in a temp file and a real PostgreSQL
// (initdb + the server on a free loopback port, stopped afterwards).
#include "services/provisioning/store.h"

#include <atomic>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/common/reason.h"
#include "lib/testing/postgres.h"
#include "lib/testing/status_matchers.h"
#include "lib/testing/temp_dir.h"

namespace chainkms::provisioning {
namespace {

using ::chainkms::testutil::HasReason;
using ::chainkms::testutil::StatusIs;
using ::testing::ElementsAre;
using ::testing::SizeIs;

Hash32 H(uint8_t b) {
  Hash32 h;
  h.bytes.fill(b);
  return h;
}
Address A(uint8_t b) {
  Address a;
  a.bytes.fill(b);
  return a;
}

CvmRecord Cvm(std::string id, std::string ws, uint8_t app, uint8_t hash, int64_t t = 100) {
  return {.id = std::move(id),
          .workspace = std::move(ws),
          .name = "web",
          .app_id = A(app),
          .compose_hash = H(hash),
          .app_compose = "{}",
          .kms_slug = "anvil",
          .node = "node-1",
          .device_id = H(0xd0),
          .os_image_hash = H(0x05),
          .encrypted_env = {1, 2, 3},
          .env_keys = {"A", "B"},
          .status = "provisioning",
          .created_at = t,
          .updated_at = t};
}

PendingUpdate Pending(std::string id, std::string cvm, std::string ws, uint8_t hash, uint8_t token,
                      int64_t expires = 1000) {
  return {.id = std::move(id),
          .cvm_id = std::move(cvm),
          .workspace = std::move(ws),
          .compose_hash = H(hash),
          .app_compose = "{\"new\":true}",
          .has_env = true,
          .encrypted_env = {9, 9},
          .env_keys = {"NEW"},
          .token_hash = Bytes(32, token),
          .state = "pending",
          .created_at = 100,
          .expires_at = expires};
}

OutboxEvent Event(std::string event, std::string id = "evt_0011223344556677") {
  return {.event_id = std::move(id), .event = std::move(event), .payload = "{\"x\":1}"};
}

enum class Engine { kSqlite, kPostgres };

class StoreTest : public ::testing::TestWithParam<Engine> {
 protected:
  static void SetUpTestSuite() {
    auto pg = testutil::PostgresProcess::Start();
    if (pg.ok()) {
      pg_ = pg->release();
    } else {
      pg_error_ = new std::string(pg.status().ToString());
    }
  }
  static void TearDownTestSuite() {
    delete pg_;
    pg_ = nullptr;
  }
  void SetUp() override {
    if (GetParam() == Engine::kPostgres) {
      ASSERT_NE(pg_, nullptr) << *pg_error_;
      ASSERT_TRUE(pg_->Restart().ok());
      url_ = pg_->url();
      auto db = store::OpenDatabase(url_);
      ASSERT_TRUE(db.ok()) << db.status();
      ASSERT_TRUE((*db)->Exec("DROP SCHEMA public CASCADE").ok());
      ASSERT_TRUE((*db)->Exec("CREATE SCHEMA public").ok());
    } else {
      url_ = "sqlite:" + dir_.path() + "/p.db";
    }
    auto s = ProvisioningStore::Open(url_, {}, &metrics_);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = *std::move(s);
  }
  std::unique_ptr<ProvisioningStore> Second() {
    auto s = ProvisioningStore::Open(url_, {}, nullptr);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *std::move(s) : nullptr;
  }
  void AddWebhook(std::string id, std::string ws, std::vector<std::string> events = {}) {
    ASSERT_TRUE(store_
                    ->CreateWebhook({.id = std::move(id),
                                     .workspace = std::move(ws),
                                     .url = "https://hooks.example/x",
                                     .secret = "whsec_00",
                                     .events = std::move(events),
                                     .created_at = 50})
                    .ok());
  }

  testutil::TempDir dir_;
  std::string url_;
  server::Metrics metrics_;
  std::unique_ptr<ProvisioningStore> store_;
  static inline testutil::PostgresProcess* pg_ = nullptr;
  static inline std::string* pg_error_ = nullptr;
};

TEST_P(StoreTest, ProvisionsAreScopedToTheirWorkspaceAndExpire) {
  ProvisionRecord p{.workspace = "ws-a",
                    .compose_hash = H(1),
                    .name = "web",
                    .app_compose = "{\"a\":1}",
                    .kms_slug = "anvil",
                    .node = "node-1",
                    .device_id = H(0xd0),
                    .os_image_hash = H(5),
                    .created_at = 100,
                    .expires_at = 200};
  ASSERT_TRUE(store_->PutProvision(p).ok());
  auto got = store_->GetProvision("ws-a", H(1), 150);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->app_compose, "{\"a\":1}");
  EXPECT_EQ(got->device_id, H(0xd0));
  EXPECT_THAT(store_->GetProvision("ws-b", H(1), 150), HasReason(Reason::kHashInvalidOrExpired));
  auto expired = store_->GetProvision("ws-a", H(1), 200);
  EXPECT_THAT(expired, HasReason(Reason::kHashInvalidOrExpired));
  EXPECT_EQ(MetadataOf(expired.status()).at("detail"), "expired");
  // A second provision of the same hash replaces the first.
  p.expires_at = 300;
  ASSERT_TRUE(store_->PutProvision(p).ok());
  EXPECT_TRUE(store_->GetProvision("ws-a", H(1), 250).ok());
}

TEST_P(StoreTest, CreateCvmIsIdempotentPerAppAndHashAndRefusesAnotherHash) {
  AddWebhook("wh_a", "ws-a");
  auto first = store_->CreateCvm(Cvm("cvm_1", "ws-a", 1, 1), {Event("cvm.created")});
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->created);
  auto again = store_->CreateCvm(Cvm("cvm_2", "ws-a", 1, 1), {Event("cvm.created")});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->cvm.id, "cvm_1");
  EXPECT_THAT(store_->CreateCvm(Cvm("cvm_3", "ws-a", 1, 2), {}),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(store_->CreateCvm(Cvm("cvm_3", "ws-a", 1, 2), {}),
              HasReason(Reason::kCvmAppIdConflict));
  // Another workspace cannot take over the app id either, and learns nothing of the CVM.
  auto other = store_->CreateCvm(Cvm("cvm_4", "ws-b", 1, 1), {});
  EXPECT_THAT(other, HasReason(Reason::kCvmAppIdConflict));
  EXPECT_EQ(MetadataOf(other.status()).at("compose_hash"), "");
  // One cvm.created delivery: the idempotent retry queued nothing.
  auto deliveries = store_->ListDeliveries("ws-a", "wh_a", 10, "");
  ASSERT_TRUE(deliveries.ok()) << deliveries.status();
  EXPECT_THAT(*deliveries, SizeIs(1));
}

TEST_P(StoreTest, ReadsAreScopedToTheWorkspace) {
  ASSERT_TRUE(store_->CreateCvm(Cvm("cvm_1", "ws-a", 1, 1), {}).ok());
  EXPECT_TRUE(store_->GetCvm("ws-a", "cvm_1").ok());
  EXPECT_THAT(store_->GetCvm("ws-b", "cvm_1"), HasReason(Reason::kCvmNotFound));
  EXPECT_THAT(*store_->ListCvms("ws-b", 10, ""), SizeIs(0));
  EXPECT_EQ(*store_->CountCvms("ws-b"), 0);
  EXPECT_THAT(store_->ApplyUpdate("ws-b", "cvm_1", Pending("u", "cvm_1", "ws-b", 1, 1), 200, {}),
              HasReason(Reason::kCvmNotFound));
  EXPECT_THAT(store_->CreatePendingUpdate(Pending("u", "cvm_1", "ws-b", 2, 1), {}),
              HasReason(Reason::kCvmNotFound));
  AddWebhook("wh_a", "ws-a");
  EXPECT_THAT(store_->GetWebhook("ws-b", "wh_a"), HasReason(Reason::kWebhookNotFound));
  EXPECT_THAT(store_->RotateWebhookSecret("ws-b", "wh_a", "whsec_x"),
              HasReason(Reason::kWebhookNotFound));
  EXPECT_THAT(store_->DeleteWebhook("ws-b", "wh_a"), HasReason(Reason::kWebhookNotFound));
  EXPECT_THAT(store_->ListDeliveries("ws-b", "wh_a", 10, ""), HasReason(Reason::kWebhookNotFound));
}

TEST_P(StoreTest, GetCvmTakesTheIdTheAppIdOrTheName) {
  ASSERT_TRUE(store_->CreateCvm(Cvm("cvm_1", "ws-a", 0xab, 1), {}).ok());
  const std::string hex(40, 'b');
  const std::string app = "abababababababababababababababababababab";
  for (const std::string& ref :
       {std::string("cvm_1"), "app_" + app, "0x" + app, app, std::string("web")}) {
    absl::StatusOr<CvmRecord> got = store_->GetCvm("ws-a", ref);
    ASSERT_TRUE(got.ok()) << ref << ": " << got.status();
    EXPECT_EQ(got->id, "cvm_1") << ref;
    EXPECT_THAT(store_->GetCvm("ws-b", ref), HasReason(Reason::kCvmNotFound)) << ref;
  }
  EXPECT_THAT(store_->GetCvm("ws-a", "app_" + hex), HasReason(Reason::kCvmNotFound));
  EXPECT_THAT(store_->GetCvm("ws-a", "app_" + app.substr(2)), HasReason(Reason::kCvmNotFound));
}

TEST_P(StoreTest, ApiKeysAreScopedAndRevokedOnce) {
  ApiKeyRecord k{.id = "ck_0123456789abcdef",
                 .workspace = "ws-a",
                 .name = "ci",
                 .secret_sha256 = Bytes(32, 0x11),
                 .created_at = 100};
  ASSERT_TRUE(store_->CreateApiKey(k).ok());
  EXPECT_FALSE(store_->CreateApiKey(k).ok());  // ids are unique
  absl::StatusOr<ApiKeyRecord> got = store_->GetApiKey(k.id);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->workspace, "ws-a");
  EXPECT_EQ(got->secret_sha256, Bytes(32, 0x11));
  EXPECT_EQ(got->revoked_at, 0);
  EXPECT_THAT(*store_->ListApiKeys("ws-a"), SizeIs(1));
  EXPECT_THAT(*store_->ListApiKeys("ws-b"), SizeIs(0));
  EXPECT_THAT(store_->RevokeApiKey("ws-b", k.id, 200), HasReason(Reason::kApiKeyNotFound));
  EXPECT_EQ(store_->RevokeApiKey("ws-a", k.id, 200)->revoked_at, 200);
  EXPECT_EQ(store_->RevokeApiKey("ws-a", k.id, 300)->revoked_at, 200);  // the first one stays
  EXPECT_EQ(store_->GetApiKey(k.id)->revoked_at, 200);
  EXPECT_THAT(store_->GetApiKey("ck_ffffffffffffffff"), HasReason(Reason::kApiKeyNotFound));
}

TEST_P(StoreTest, ListCvmsPagesNewestFirst) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(store_
                    ->CreateCvm(Cvm(absl::StrCat("cvm_", i), "ws-a", static_cast<uint8_t>(i + 1), 1,
                                    100 + i / 2),
                                {})
                    .ok());
  }
  auto p1 = store_->ListCvms("ws-a", 2, "");
  ASSERT_TRUE(p1.ok()) << p1.status();
  ASSERT_THAT(*p1, SizeIs(2));
  EXPECT_EQ((*p1)[0].id, "cvm_4");
  EXPECT_EQ((*p1)[1].id, "cvm_3");
  auto p2 = *store_->ListCvms("ws-a", 2, (*p1)[1].id);
  ASSERT_THAT(p2, SizeIs(2));
  EXPECT_EQ(p2[0].id, "cvm_2");
  EXPECT_EQ(p2[1].id, "cvm_1");
  auto p3 = *store_->ListCvms("ws-a", 2, p2[1].id);
  ASSERT_THAT(p3, SizeIs(1));
  EXPECT_EQ(p3[0].id, "cvm_0");
  EXPECT_EQ(*store_->CountCvms("ws-a"), 5);
}

TEST_P(StoreTest, APendingUpdateIsUsedOnceAndSupersededByANewerOne) {
  ASSERT_TRUE(store_->CreateCvm(Cvm("cvm_1", "ws-a", 1, 1), {}).ok());
  ASSERT_TRUE(store_->CreatePendingUpdate(Pending("u1", "cvm_1", "ws-a", 2, 0x11), {}).ok());
  ASSERT_TRUE(store_->CreatePendingUpdate(Pending("u2", "cvm_1", "ws-a", 3, 0x22), {}).ok());
  auto old = store_->GetPendingByToken(Bytes(32, 0x11));
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_EQ(old->state, "superseded");
  auto lost = store_->ApplyPendingUpdate(*old, 200, {});
  EXPECT_THAT(lost, HasReason(Reason::kHashInvalidOrExpired));
  EXPECT_EQ(MetadataOf(lost.status()).at("detail"), "superseded");

  auto fresh = *store_->GetPendingByToken(Bytes(32, 0x22));
  EXPECT_EQ(fresh.state, "pending");
  auto applied = store_->ApplyPendingUpdate(fresh, 200, {});
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_EQ(applied->compose_hash, H(3));
  EXPECT_EQ(applied->app_compose, "{\"new\":true}");
  EXPECT_EQ(applied->encrypted_env, (Bytes{9, 9}));
  EXPECT_THAT(applied->env_keys, ElementsAre("NEW"));
  EXPECT_EQ(applied->revision, 2);
  auto twice = store_->ApplyPendingUpdate(fresh, 201, {});
  EXPECT_EQ(MetadataOf(twice.status()).at("detail"), "used");
  EXPECT_THAT(store_->GetPendingByToken(Bytes(32, 0x33)), HasReason(Reason::kHashInvalidOrExpired));
}

TEST_P(StoreTest, AnExpiredPendingUpdateIsRefused) {
  ASSERT_TRUE(store_->CreateCvm(Cvm("cvm_1", "ws-a", 1, 1), {}).ok());
  ASSERT_TRUE(store_->CreatePendingUpdate(Pending("u1", "cvm_1", "ws-a", 2, 0x11, 150), {}).ok());
  auto r = store_->ApplyPendingUpdate(*store_->GetPendingByToken(Bytes(32, 0x11)), 150, {});
  EXPECT_EQ(MetadataOf(r.status()).at("detail"), "expired");
  EXPECT_EQ(store_->GetCvm("ws-a", "cvm_1")->compose_hash, H(1));
}

TEST_P(StoreTest, RacingCommitsOfOneTokenHaveExactlyOneWinner) {
  ASSERT_TRUE(store_->CreateCvm(Cvm("cvm_1", "ws-a", 1, 1), {}).ok());
  ASSERT_TRUE(store_->CreatePendingUpdate(Pending("u1", "cvm_1", "ws-a", 2, 0x11), {}).ok());
  const PendingUpdate p = *store_->GetPendingByToken(Bytes(32, 0x11));
  // Two Store instances (two replicas' connection pools) on one database, 4 threads each.
  std::unique_ptr<ProvisioningStore> other = Second();
  ASSERT_NE(other, nullptr);
  std::atomic<int> wins{0};
  std::atomic<int> used{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    ProvisioningStore* s = i % 2 == 0 ? store_.get() : other.get();
    threads.emplace_back([&, s] {
      auto r = s->ApplyPendingUpdate(p, 200, {});
      if (r.ok()) {
        ++wins;
      } else if (ReasonOf(r.status()) == Reason::kHashInvalidOrExpired) {
        ++used;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(used.load(), 7);
  EXPECT_EQ(store_->GetCvm("ws-a", "cvm_1")->revision, 2);
}

TEST_P(StoreTest, EventsReachOnlySubscribedWebhooksOfTheWorkspace) {
  AddWebhook("wh_all", "ws-a");
  AddWebhook("wh_pending", "ws-a", {"cvm.update.pending_approval"});
  AddWebhook("wh_other", "ws-b");
  ASSERT_TRUE(store_->CreateCvm(Cvm("cvm_1", "ws-a", 1, 1), {Event("cvm.created")}).ok());
  ASSERT_TRUE(
      store_
          ->CreatePendingUpdate(Pending("u1", "cvm_1", "ws-a", 2, 0x11),
                                {Event("cvm.update.pending_approval", "evt_8899aabbccddeeff")})
          .ok());
  EXPECT_THAT(*store_->ListDeliveries("ws-a", "wh_all", 10, ""), SizeIs(2));
  auto pending = *store_->ListDeliveries("ws-a", "wh_pending", 10, "");
  ASSERT_THAT(pending, SizeIs(1));
  EXPECT_EQ(pending[0].event, "cvm.update.pending_approval");
  EXPECT_EQ(pending[0].payload, "{\"x\":1}");
  EXPECT_THAT(*store_->ListDeliveries("ws-b", "wh_other", 10, ""), SizeIs(0));
}

TEST_P(StoreTest, ADeliveryIsClaimedByOneOwnerAtATime) {
  AddWebhook("wh_a", "ws-a");
  ASSERT_TRUE(store_->CreateCvm(Cvm("cvm_1", "ws-a", 1, 1, 100), {Event("cvm.created")}).ok());
  std::unique_ptr<ProvisioningStore> other = Second();
  auto a = store_->ClaimDueDeliveries("replica-a", 100, 160, 10);
  auto b = other->ClaimDueDeliveries("replica-b", 100, 160, 10);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_THAT(*a, SizeIs(1));
  EXPECT_THAT(*b, SizeIs(0));
  EXPECT_EQ((*a)[0].url, "https://hooks.example/x");
  EXPECT_EQ((*a)[0].secret, "whsec_00");
  // Only the lease owner records the attempt.
  EXPECT_FALSE(other->RecordAttempt((*a)[0].delivery.id, "replica-b", true, 200, "", 101, 0).ok());
  // A retry later: due again at 160, when the lease has run out as well.
  ASSERT_TRUE(
      store_->RecordAttempt((*a)[0].delivery.id, "replica-a", false, 500, "HTTP 500", 101, 160)
          .ok());
  EXPECT_THAT(*other->ClaimDueDeliveries("replica-b", 159, 220, 10), SizeIs(0));
  EXPECT_EQ(**store_->NextDueAt(), 160);
  auto retry = *other->ClaimDueDeliveries("replica-b", 160, 220, 10);
  ASSERT_THAT(retry, SizeIs(1));
  EXPECT_EQ(retry[0].delivery.attempts, 1);
  EXPECT_EQ(retry[0].delivery.event_id, "evt_0011223344556677");
  ASSERT_TRUE(other->RecordAttempt(retry[0].delivery.id, "replica-b", true, 204, "", 161, 0).ok());
  auto listed = *store_->ListDeliveries("ws-a", "wh_a", 10, "");
  ASSERT_THAT(listed, SizeIs(1));
  EXPECT_EQ(listed[0].state, "delivered");
  EXPECT_EQ(listed[0].attempts, 2);
  EXPECT_EQ(listed[0].delivered_at, 161);
  EXPECT_FALSE(store_->NextDueAt()->has_value());
}

TEST_P(StoreTest, ADeliveryWhoseWorkerDiedIsSentAgainOnceItsLeaseRunsOut) {
  AddWebhook("wh_a", "ws-a");
  ASSERT_TRUE(store_->CreateCvm(Cvm("cvm_1", "ws-a", 1, 1, 100), {Event("cvm.created")}).ok());
  ASSERT_THAT(*store_->ClaimDueDeliveries("replica-a", 100, 160, 10), SizeIs(1));
  // replica-a crashes before recording anything; a restarted or other replica takes it over.
  std::unique_ptr<ProvisioningStore> restarted = Second();
  EXPECT_THAT(*restarted->ClaimDueDeliveries("replica-b", 159, 219, 10), SizeIs(0));
  auto again = *restarted->ClaimDueDeliveries("replica-b", 160, 220, 10);
  ASSERT_THAT(again, SizeIs(1));
  EXPECT_EQ(again[0].delivery.event_id, "evt_0011223344556677");
  // The dead worker's late record is refused: the lease is replica-b's now.
  EXPECT_FALSE(
      store_->RecordAttempt(again[0].delivery.id, "replica-a", true, 200, "", 161, 0).ok());
}

TEST_P(StoreTest, LatencyOfEveryOperationIsInTheMetrics) {
  ASSERT_TRUE(store_->CreateCvm(Cvm("cvm_1", "ws-a", 1, 1), {}).ok());
  ASSERT_TRUE(store_->GetCvm("ws-a", "cvm_1").ok());
  const std::string text = metrics_.Serialize();
  EXPECT_THAT(text, ::testing::HasSubstr("chainkms_store_latency_seconds_count{op=\"create_cvm\""));
  EXPECT_THAT(text, ::testing::HasSubstr("op=\"get_cvm\""));
}

// An outage needs a server to stop: PostgreSQL only.
class StoreOutageTest : public StoreTest {};

TEST_P(StoreOutageTest, DatabaseDownIsUnavailableAndNothingIsHalfWritten) {
  ASSERT_TRUE(store_->CreateCvm(Cvm("cvm_1", "ws-a", 1, 1), {}).ok());
  AddWebhook("wh_a", "ws-a");
  pg_->Stop();
  absl::Cleanup restart = [] { ASSERT_TRUE(pg_->Restart().ok()); };
  auto r = store_->ApplyUpdate("ws-a", "cvm_1", Pending("u", "cvm_1", "ws-a", 1, 1), 200,
                               {Event("cvm.updated")});
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(r, HasReason(Reason::kStoreUnavailable));
  EXPECT_FALSE(store_->Ping().ok());
  std::move(restart).Invoke();
  // Back: the pool reconnects, and the failed update left neither the change nor its event.
  auto cvm = store_->GetCvm("ws-a", "cvm_1");
  ASSERT_TRUE(cvm.ok()) << cvm.status();
  EXPECT_EQ(cvm->revision, 1);
  EXPECT_THAT(*store_->ListDeliveries("ws-a", "wh_a", 10, ""), SizeIs(0));
}

INSTANTIATE_TEST_SUITE_P(Engines, StoreTest, ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         [](const auto& p) {
                           return p.param == Engine::kSqlite ? "Sqlite" : "Postgres";
                         });
INSTANTIATE_TEST_SUITE_P(Engines, StoreOutageTest, ::testing::Values(Engine::kPostgres),
                         [](const auto&) { return "Postgres"; });

}  // namespace
}  // namespace chainkms::provisioning
