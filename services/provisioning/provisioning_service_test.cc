// chainkms.v1.Provisioning over gRPC: the deploy and update flows, commit tokens and workspaces,
// on a real Store (SQLite) with the registry answered from an in-memory chain.
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
#include "services/provisioning/provisioning_fixture_test.h"

namespace chainkms::provisioning {
namespace {

using ::chainkms::testutil::HasReason;
using ::chainkms::testutil::StatusIs;
using ::testing::HasSubstr;
using ::testing::SizeIs;
using json = nlohmann::json;

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
    chainkms::MutexLock l(&chain_.mu);
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
    chainkms::MutexLock l(&chain_.mu);
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
    chainkms::MutexLock l(&chain_.mu);
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

}  // namespace
}  // namespace chainkms::provisioning
