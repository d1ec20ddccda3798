// chainkms.v1.Provisioning over gRPC: the deploy and update flows, commit tokens, workspaces and
// webhooks, on a real Store (SQLite here; the replica race runs on PostgreSQL) with the registry
// answered from an in-memory chain.
#include <atomic>
#include <thread>

#include "absl/cleanup/cleanup.h"
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
#include "services/provisioning/provisioning_fixture_test.h"

namespace chainkms::provisioning {
namespace {

using ::chainkms::testutil::HasReason;
using ::chainkms::testutil::StatusIs;
using ::testing::HasSubstr;
using ::testing::SizeIs;
using json = nlohmann::json;

constexpr char kCompose[] = "services:\n  web:\n    image: nginx\n";
const std::string kApp = std::string(20, '\xaa');
const std::string kDevice1 = RawOf(HashOf(0xd1));

std::string Meta(const grpc::Status& s, const std::string& key) {
  auto d = server::DecodeStatusDetails(s.error_details());
  if (!d.ok() || d->metadata.count(key) == 0) return "<none>";
  return d->metadata.at(key);
}

class ProvisioningTest : public ::testing::Test {
 protected:
  void SetUp() override { h_ = std::make_unique<Harness>(Url(), chain_, clock_); }
  std::string Url() const { return "sqlite:" + dir_.path() + "/p.db"; }

  pb::ProvisionCvmResponse Provision(const std::string& ws, const std::string& compose = kCompose,
                                     const std::string& name = "web") {
    pb::ProvisionCvmRequest req;
    req.set_name(name);
    req.mutable_compose()->set_docker_compose_file(compose);
    req.mutable_compose()->add_allowed_envs("API_KEY");
    req.set_kms("anvil");
    pb::ProvisionCvmResponse resp;
    grpc::Status s = h_->stub().ProvisionCvm(In(ws).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }
  grpc::Status Commit(const std::string& ws, const std::string& app, const std::string& hash,
                      pb::Cvm* out = nullptr) {
    pb::CommitCvmProvisionRequest req;
    req.set_app_id(app);
    req.set_compose_hash(hash);
    req.set_encrypted_env("\x01\x02\x03");
    req.add_env_keys("API_KEY");
    pb::CommitCvmProvisionResponse resp;
    grpc::Status s = h_->stub().CommitCvmProvision(In(ws).get(), req, &resp);
    if (out != nullptr) *out = resp.cvm();
    return s;
  }
  // A running CVM of app kApp in `ws`.
  pb::Cvm Deployed(const std::string& ws = "ws-a") {
    pb::ProvisionCvmResponse p = Provision(ws);
    chain_.Register(kApp, p.compose_hash(), kDevice1);
    pb::Cvm cvm;
    grpc::Status s = Commit(ws, kApp, p.compose_hash(), &cvm);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return cvm;
  }
  pb::PatchCvmResponse Patch(const std::string& ws, const std::string& id,
                             const std::string& compose, bool prepare_only,
                             grpc::Status* status = nullptr) {
    pb::PatchCvmRequest req;
    req.set_cvm_id(id);
    req.mutable_compose()->set_docker_compose_file(compose);
    req.mutable_compose()->add_allowed_envs("API_KEY");
    req.set_encrypted_env("\x09\x09");
    req.add_env_keys("NEW_KEY");
    req.set_prepare_only(prepare_only);
    pb::PatchCvmResponse resp;
    grpc::Status s = h_->stub().PatchCvm(In(ws).get(), req, &resp);
    if (status != nullptr) *status = s;
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }
  grpc::Status CommitUpdate(const std::string& ws, const std::string& id, const std::string& token,
                            const std::string& tx, const std::string& hash = "",
                            pb::Cvm* out = nullptr) {
    pb::CommitCvmUpdateRequest req;
    req.set_cvm_id(id);
    req.set_token(token);
    req.set_compose_hash(hash);
    if (tx.empty()) {
      req.set_already_registered(true);
    } else {
      req.set_tx_hash(tx);
    }
    pb::CommitCvmUpdateResponse resp;
    grpc::Status s = h_->stub().CommitCvmUpdate(In(ws).get(), req, &resp);
    if (out != nullptr) *out = resp.cvm();
    return s;
  }

  testutil::TempDir dir_;
  testutil::FakeClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  FakeChain chain_;
  std::unique_ptr<Harness> h_;
};

TEST_F(ProvisioningTest, ProvisionBuildsTheAppComposeAndHashesExactlyThoseBytes) {
  pb::ProvisionCvmResponse p = Provision("ws-a");
  EXPECT_EQ(p.compose_hash(), RawOf(compose::ComposeHash(p.app_compose())));
  compose::AppComposeSpec spec{
      .name = "web", .docker_compose_file = kCompose, .allowed_envs = {"API_KEY"}};
  EXPECT_EQ(p.app_compose(), *compose::BuildAppCompose(spec));  // the documented defaults
  EXPECT_EQ(p.node(), "node-1");
  EXPECT_EQ(p.device_id(), kDevice1);
  EXPECT_EQ(p.os_image_hash(), RawOf(HashOf(0x05)));
  EXPECT_EQ(p.kms().slug(), "anvil");
  EXPECT_EQ(p.kms().chain_id(), kChainId);
  EXPECT_EQ(p.kms().kms_contract(), chain_.kms_contract);
  EXPECT_EQ(p.kms().k256_public_key(), chain_.k256);
  EXPECT_EQ(p.expires_at(), 1'800'000'000 + 7 * 24 * 3600);

  // The CVM later receives exactly these bytes.
  chain_.Register(kApp, p.compose_hash(), kDevice1);
  pb::Cvm cvm;
  ASSERT_TRUE(Commit("ws-a", kApp, p.compose_hash(), &cvm).ok());
  pb::GetComposeFileRequest req;
  req.set_cvm_id(cvm.id());
  pb::GetComposeFileResponse file;
  ASSERT_TRUE(h_->stub().GetComposeFile(In("ws-a").get(), req, &file).ok());
  EXPECT_EQ(file.app_compose(), p.app_compose());
  EXPECT_EQ(file.compose_hash(), p.compose_hash());
  ASSERT_THAT(h_->driver().launches(), SizeIs(1));
  EXPECT_EQ(h_->driver().launches()[0].app_compose, p.app_compose());
  EXPECT_EQ(h_->driver().launches()[0].encrypted_env, (Bytes{1, 2, 3}));
}

TEST_F(ProvisioningTest, CommitIsVerifiedOnChainBeforeTheCvmIsRecorded) {
  pb::ProvisionCvmResponse p = Provision("ws-a");
  EXPECT_THAT(Commit("ws-a", kApp, p.compose_hash()), HasReason(Reason::kAppNotFound));
  {
    absl::MutexLock l(&chain_.mu);
    chain_.registered.insert(kApp);
  }
  EXPECT_THAT(Commit("ws-a", kApp, p.compose_hash()), HasReason(Reason::kHashNotAllowed));
  chain_.AllowHash(kApp, p.compose_hash());
  grpc::Status no_device = Commit("ws-a", kApp, p.compose_hash());
  EXPECT_THAT(no_device, HasReason(Reason::kDeviceNotAllowed));
  EXPECT_EQ(Meta(no_device, "device_id"), Hex0x(HashOf(0xd1).bytes));
  EXPECT_EQ(*h_->store().CountCvms("ws-a"), 0);  // nothing recorded on any refusal

  chain_.Register(kApp, p.compose_hash(), kDevice1);
  const int64_t before = h_->registry().round_trips();
  pb::Cvm cvm;
  ASSERT_TRUE(Commit("ws-a", kApp, p.compose_hash(), &cvm).ok());
  EXPECT_EQ(h_->registry().round_trips() - before, 2);  // GetApp + CheckPrerequisites
  EXPECT_EQ(cvm.status(), pb::CVM_STATUS_RUNNING);
  EXPECT_EQ(cvm.app_id(), kApp);
  EXPECT_EQ(cvm.revision(), 1u);
  EXPECT_THAT(cvm.env_keys(), ::testing::ElementsAre("API_KEY"));

  // Idempotent for the same app and hash; another hash for the app is a conflict.
  pb::Cvm again;
  ASSERT_TRUE(Commit("ws-a", kApp, p.compose_hash(), &again).ok());
  EXPECT_EQ(again.id(), cvm.id());
  EXPECT_THAT(h_->driver().launches(), SizeIs(1));
  pb::ProvisionCvmResponse other = Provision("ws-a", "services: {}\n");
  chain_.AllowHash(kApp, other.compose_hash());
  grpc::Status conflict = Commit("ws-a", kApp, other.compose_hash());
  EXPECT_THAT(conflict, StatusIs(grpc::StatusCode::ALREADY_EXISTS));
  EXPECT_THAT(conflict, HasReason(Reason::kCvmAppIdConflict));
}

TEST_F(ProvisioningTest, ChainUnreadableFailsClosedAndRecordsNothing) {
  pb::ProvisionCvmResponse p = Provision("ws-a");
  chain_.Register(kApp, p.compose_hash(), kDevice1);
  chain_.SetDown(true);
  grpc::Status s = Commit("ws-a", kApp, p.compose_hash());
  EXPECT_THAT(s, StatusIs(grpc::StatusCode::UNAVAILABLE));
  EXPECT_THAT(s, HasReason(Reason::kChainUnavailable));
  EXPECT_EQ(*h_->store().CountCvms("ws-a"), 0);
  EXPECT_THAT(h_->driver().launches(), SizeIs(0));
}

TEST_F(ProvisioningTest, BadInputIsRefusedNamingTheField) {
  pb::ProvisionCvmRequest req;
  req.set_name("-bad-");
  req.mutable_compose()->set_docker_compose_file(kCompose);
  req.set_kms("anvil");
  pb::ProvisionCvmResponse resp;
  grpc::Status s = h_->stub().ProvisionCvm(In("ws-a").get(), req, &resp);
  EXPECT_THAT(s, HasReason(Reason::kInvalidField));
  EXPECT_EQ(Meta(s, "field"), "name");
  req.set_name("web");
  req.set_kms("mainnet-typo");
  s = h_->stub().ProvisionCvm(In("ws-a").get(), req, &resp);
  EXPECT_EQ(Meta(s, "field"), "kms");
  EXPECT_THAT(s.error_message(), HasSubstr("anvil"));
  req.set_kms("anvil");
  req.set_node("nowhere");
  EXPECT_EQ(Meta(h_->stub().ProvisionCvm(In("ws-a").get(), req, &resp), "field"), "node");
  req.set_node("");
  req.mutable_compose()->set_docker_compose_file(std::string(200 * 1024 + 1, 'x'));
  EXPECT_EQ(Meta(h_->stub().ProvisionCvm(In("ws-a").get(), req, &resp), "field"),
            "compose.docker_compose_file");
  EXPECT_THAT(h_->stub().ProvisionCvm(In("").get(), req, &resp),
              StatusIs(grpc::StatusCode::UNAUTHENTICATED));
  EXPECT_THAT(h_->stub().ProvisionCvm(In("bad workspace!").get(), req, &resp),
              HasReason(Reason::kWorkspaceRequired));

  grpc::Status short_app = Commit("ws-a", std::string(19, '\xaa'), std::string(32, '\x01'));
  EXPECT_EQ(Meta(short_app, "field"), "app_id");
  grpc::Status short_hash = Commit("ws-a", kApp, std::string(31, '\x01'));
  EXPECT_EQ(Meta(short_hash, "field"), "compose_hash");
  grpc::Status unknown = Commit("ws-a", kApp, std::string(32, '\x01'));
  EXPECT_THAT(unknown, HasReason(Reason::kHashInvalidOrExpired));
}

TEST_F(ProvisioningTest, AnUnchangedHashIsAppliedAtOnce) {
  pb::Cvm cvm = Deployed();
  pb::PatchCvmResponse r = Patch("ws-a", cvm.id(), kCompose, /*prepare_only=*/false);
  ASSERT_TRUE(r.has_applied());
  EXPECT_EQ(r.applied().revision(), 2u);
  EXPECT_THAT(r.applied().env_keys(), ::testing::ElementsAre("NEW_KEY"));
  ASSERT_THAT(h_->driver().launches(), SizeIs(2));  // restarted with the new env
  EXPECT_EQ(h_->driver().launches()[1].encrypted_env, (Bytes{9, 9}));
}

TEST_F(ProvisioningTest, EoaUpdateIsConfirmedByItsTransaction) {
  pb::Cvm cvm = Deployed();
  const int64_t before = h_->registry().round_trips();
  pb::PatchCvmResponse r = Patch("ws-a", cvm.id(), "services: {v2: {}}\n", false);
  ASSERT_TRUE(r.has_requires_on_chain_hash());
  EXPECT_EQ(h_->registry().round_trips() - before, 1);
  const pb::OnChainHashRequired& need = r.requires_on_chain_hash();
  EXPECT_EQ(need.compose_hash(), RawOf(compose::ComposeHash(need.app_compose())));
  EXPECT_EQ(need.app_id(), kApp);
  EXPECT_EQ(need.device_id(), kDevice1);
  EXPECT_EQ(need.kms().kms_contract(), chain_.kms_contract);
  EXPECT_FALSE(need.onchain_status().compose_hash_allowed());
  EXPECT_TRUE(need.onchain_status().device_id_allowed());
  EXPECT_FALSE(need.onchain_status().is_allowed());
  EXPECT_EQ(need.onchain_action().method(), "addComposeHash(bytes32)");
  EXPECT_EQ(need.onchain_action().to(), kApp);
  // selector keccak256("addComposeHash(bytes32)")[0..4] ‖ the hash
  const Hash32 sel = Keccak256(AsBytes("addComposeHash(bytes32)"));
  EXPECT_EQ(need.onchain_action().calldata(),
            RawOf(ByteView(sel.bytes).first(4)) + need.compose_hash());
  EXPECT_TRUE(need.commit_token().empty());  // not prepare-only

  pb::ConfirmCvmPatchRequest confirm;
  confirm.set_cvm_id(cvm.id());
  confirm.set_compose_hash(need.compose_hash());
  confirm.set_tx_hash(std::string(32, '\x7a'));
  pb::ConfirmCvmPatchResponse resp;
  grpc::Status s = h_->stub().ConfirmCvmPatch(In("ws-a").get(), confirm, &resp);
  EXPECT_THAT(s, HasReason(Reason::kTransactionVerificationFailed));
  {
    absl::MutexLock l(&chain_.mu);
    chain_.txs[std::string(32, '\x7b')] = std::string(20, '\xbb') + need.compose_hash();
  }
  confirm.set_tx_hash(std::string(32, '\x7b'));
  EXPECT_THAT(h_->stub().ConfirmCvmPatch(In("ws-a").get(), confirm, &resp),
              HasReason(Reason::kTransactionVerificationFailed));  // another app's event
  chain_.Mine(std::string(32, '\x7a'), kApp, need.compose_hash());
  confirm.set_tx_hash(std::string(32, '\x7a'));
  ASSERT_TRUE(h_->stub().ConfirmCvmPatch(In("ws-a").get(), confirm, &resp).ok());
  EXPECT_EQ(resp.cvm().compose_hash(), need.compose_hash());
  EXPECT_EQ(resp.cvm().revision(), 2u);
  EXPECT_EQ(h_->driver().launches().back().app_compose, need.app_compose());
  grpc::Status twice = h_->stub().ConfirmCvmPatch(In("ws-a").get(), confirm, &resp);
  EXPECT_EQ(Meta(twice, "detail"), "used");
}

TEST_F(ProvisioningTest, PrepareOnlyCommitChecksInOrderAndAppliesThePreparedEnv) {
  pb::Cvm cvm = Deployed();
  pb::PatchCvmResponse r = Patch("ws-a", cvm.id(), "services: {v2: {}}\n", true);
  const pb::OnChainHashRequired& need = r.requires_on_chain_hash();
  const std::string& token = need.commit_token();
  ASSERT_THAT(token, ::testing::StartsWith("ckt_"));
  EXPECT_EQ(token.size(), 4u + 64u);  // 256 random bits
  EXPECT_EQ(need.commit_url(),
            "https://chainkms.example/cvms/" + cvm.id() + "/confirm-update?token=" + token);
  EXPECT_EQ(need.api_commit_url(),
            "https://chainkms.example/api/v1/cvms/" + cvm.id() + "/commit-update?token=" + token);
  // Only the token's hash is stored.
  auto stored = h_->store().GetPendingByToken([&] {
    Hash32 d = Sha256(AsBytes(token));
    return Bytes(d.bytes.begin(), d.bytes.end());
  }());
  ASSERT_TRUE(stored.ok()) << stored.status();
  auto rows = h_->store().database().Query(
      "SELECT COUNT(*) FROM pending_updates WHERE "
      "CAST(token_hash AS TEXT) LIKE '%ckt_%'");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ((*rows)[0].integer(0), 0);

  const std::string tx(32, '\x7c');
  grpc::Status s = CommitUpdate("", cvm.id(), "ckt_" + std::string(64, '0'), tx);
  EXPECT_EQ(Meta(s, "detail"), "unknown");
  EXPECT_THAT(s, HasReason(Reason::kHashInvalidOrExpired));
  s = CommitUpdate("", "cvm_000000000000000000000000", token, tx);
  EXPECT_EQ(Meta(s, "detail"), "unknown");  // the token is bound to its CVM
  s = CommitUpdate("", cvm.id(), token, tx, std::string(32, '\x01'));
  EXPECT_EQ(Meta(s, "detail"), "hash_mismatch");
  s = CommitUpdate("", cvm.id(), token, "");
  EXPECT_THAT(s, HasReason(Reason::kHashRegistrationRequired));
  s = CommitUpdate("", cvm.id(), token, tx);
  EXPECT_THAT(s, HasReason(Reason::kHashNotAllowed));
  chain_.AllowHash(kApp, need.compose_hash());  // the Safe executed addComposeHash
  {
    absl::MutexLock l(&chain_.mu);
    chain_.reverted.insert(tx);
  }
  s = CommitUpdate("", cvm.id(), token, tx);
  EXPECT_THAT(s, HasReason(Reason::kTransactionVerificationFailed));
  EXPECT_EQ(h_->store().GetCvm("ws-a", cvm.id())->revision, 1);  // nothing applied yet

  pb::Cvm updated;
  ASSERT_TRUE(CommitUpdate("", cvm.id(), token, "", need.compose_hash(), &updated).ok());
  EXPECT_EQ(updated.compose_hash(), need.compose_hash());
  EXPECT_THAT(updated.env_keys(), ::testing::ElementsAre("NEW_KEY"));
  EXPECT_EQ(h_->driver().launches().back().encrypted_env, (Bytes{9, 9}));
  EXPECT_EQ(Meta(CommitUpdate("", cvm.id(), token, ""), "detail"), "used");
}

TEST_F(ProvisioningTest, ANewerPrepareSupersedesAndTokensExpire) {
  pb::Cvm cvm = Deployed();
  const std::string t1 =
      Patch("ws-a", cvm.id(), "services: {v2: {}}\n", true).requires_on_chain_hash().commit_token();
  pb::PatchCvmResponse second = Patch("ws-a", cvm.id(), "services: {v3: {}}\n", true);
  const std::string t2 = second.requires_on_chain_hash().commit_token();
  chain_.AllowHash(kApp, second.requires_on_chain_hash().compose_hash());
  EXPECT_EQ(Meta(CommitUpdate("", cvm.id(), t1, ""), "detail"), "superseded");
  clock_.Advance(absl::Hours(7 * 24) + absl::Seconds(1));
  EXPECT_EQ(Meta(CommitUpdate("", cvm.id(), t2, ""), "detail"), "expired");
}

TEST_F(ProvisioningTest, WorkspaceBCanNeitherSeeNorChangeWorkspaceA) {
  pb::Cvm cvm = Deployed("ws-a");
  pb::PatchCvmResponse prep = Patch("ws-a", cvm.id(), "services: {v2: {}}\n", true);
  chain_.AllowHash(kApp, prep.requires_on_chain_hash().compose_hash());

  pb::GetCvmRequest get;
  get.set_cvm_id(cvm.id());
  pb::GetCvmResponse got;
  EXPECT_THAT(h_->stub().GetCvm(In("ws-b").get(), get, &got), HasReason(Reason::kCvmNotFound));
  pb::ListCvmsResponse list;
  ASSERT_TRUE(h_->stub().ListCvms(In("ws-b").get(), {}, &list).ok());
  EXPECT_EQ(list.cvms_size(), 0);
  EXPECT_EQ(list.total(), 0u);
  pb::GetComposeFileRequest file_req;
  file_req.set_cvm_id(cvm.id());
  pb::GetComposeFileResponse file;
  EXPECT_THAT(h_->stub().GetComposeFile(In("ws-b").get(), file_req, &file),
              HasReason(Reason::kCvmNotFound));
  pb::PatchCvmRequest patch;
  patch.set_cvm_id(cvm.id());
  pb::PatchCvmResponse patched;
  EXPECT_THAT(h_->stub().PatchCvm(In("ws-b").get(), patch, &patched),
              HasReason(Reason::kCvmNotFound));
  pb::ConfirmCvmPatchRequest confirm;
  confirm.set_cvm_id(cvm.id());
  confirm.set_compose_hash(prep.requires_on_chain_hash().compose_hash());
  confirm.set_tx_hash(std::string(32, '\x01'));
  pb::ConfirmCvmPatchResponse confirmed;
  EXPECT_THAT(h_->stub().ConfirmCvmPatch(In("ws-b").get(), confirm, &confirmed),
              HasReason(Reason::kCvmNotFound));
  // Workspace A's token presented in workspace B does not exist there.
  EXPECT_EQ(Meta(CommitUpdate("ws-b", cvm.id(), prep.requires_on_chain_hash().commit_token(), ""),
                 "detail"),
            "unknown");
  pb::CreateWebhookRequest hook;
  hook.set_url("https://hooks.example/a");
  pb::CreateWebhookResponse created;
  ASSERT_TRUE(h_->stub().CreateWebhook(In("ws-a").get(), hook, &created).ok());
  pb::ListWebhooksResponse hooks;
  ASSERT_TRUE(h_->stub().ListWebhooks(In("ws-b").get(), {}, &hooks).ok());
  EXPECT_EQ(hooks.webhooks_size(), 0);
  pb::RotateWebhookSecretRequest rotate;
  rotate.set_webhook_id(created.webhook().id());
  pb::RotateWebhookSecretResponse rotated;
  EXPECT_THAT(h_->stub().RotateWebhookSecret(In("ws-b").get(), rotate, &rotated),
              HasReason(Reason::kWebhookNotFound));
  // …and workspace A still can.
  ASSERT_TRUE(
      CommitUpdate("ws-a", cvm.id(), prep.requires_on_chain_hash().commit_token(), "").ok());
}

TEST_F(ProvisioningTest, ABootFailureIsRecordedWithTheKmsReason) {
  h_->driver().FailBootsWith("Boot denied: Compose hash not allowed");
  pb::Cvm cvm = Deployed();
  EXPECT_EQ(cvm.status(), pb::CVM_STATUS_BOOT_FAILED);
  EXPECT_EQ(cvm.status_reason(), "Boot denied: Compose hash not allowed");
}

TEST_F(ProvisioningTest, ListCvmsPages) {
  for (int i = 0; i < 3; ++i) {
    const std::string app(20, static_cast<char>(0x30 + i));
    pb::ProvisionCvmResponse p = Provision("ws-a", absl::StrCat("services: {s", i, ": {}}\n"));
    chain_.Register(app, p.compose_hash(), kDevice1);
    ASSERT_TRUE(Commit("ws-a", app, p.compose_hash()).ok());
    clock_.Advance(absl::Seconds(1));
  }
  pb::ListCvmsRequest req;
  req.set_page_size(2);
  pb::ListCvmsResponse page;
  ASSERT_TRUE(h_->stub().ListCvms(In("ws-a").get(), req, &page).ok());
  EXPECT_EQ(page.cvms_size(), 2);
  EXPECT_EQ(page.total(), 3u);
  ASSERT_FALSE(page.next_page_token().empty());
  req.set_page_token(page.next_page_token());
  pb::ListCvmsResponse rest;
  ASSERT_TRUE(h_->stub().ListCvms(In("ws-a").get(), req, &rest).ok());
  EXPECT_EQ(rest.cvms_size(), 1);
  EXPECT_TRUE(rest.next_page_token().empty());
  req.set_page_size(101);
  EXPECT_THAT(h_->stub().ListCvms(In("ws-a").get(), req, &rest), HasReason(Reason::kInvalidField));
}

TEST_F(ProvisioningTest, AllowlistStatusCoversThePoolsDevices) {
  pb::Cvm cvm = Deployed();
  pb::GetCvmAllowlistStatusRequest req;
  req.set_cvm_id(cvm.id());
  pb::GetCvmAllowlistStatusResponse resp;
  ASSERT_TRUE(h_->stub().GetCvmAllowlistStatus(In("ws-a").get(), req, &resp).ok());
  EXPECT_EQ(resp.chain_id(), kChainId);
  EXPECT_TRUE(resp.compose_hash_allowed());
  ASSERT_EQ(resp.devices_size(), 2);
  EXPECT_EQ(resp.devices(0).node(), "node-1");
  EXPECT_TRUE(resp.devices(0).allowed());
  EXPECT_EQ(resp.devices(1).node(), "node-2");
  EXPECT_FALSE(resp.devices(1).allowed());
}

// Webhooks: endpoints by RPC, deliveries from the outbox, verified by @phala/cloud/webhook.
TEST_F(ProvisioningTest, WebhooksAreSignedRetriedAndVerifiedByPhalaCloud) {
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
  WebhookOutbox outbox(h_->store(), clock_,
                       {.retry_delays = {absl::Minutes(1)}, .allow_private = true, .owner = "t"},
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

TEST_F(ProvisioningTest, RedirectsAndRefusedTargetsAreFailures) {
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

}  // namespace
}  // namespace chainkms::provisioning
