// RegistryService end to end: an in-process gRPC server over a real anvil with the devnet
// contracts, called through the generated stub.
#include "services/registry/registry_service.h"

#include <curl/curl.h>

#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "chainkms/v1/registry.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "lib/chain/tx_manager.h"
#include "lib/common/clock.h"
#include "lib/common/hex.h"
#include "lib/crypto/keccak.h"
#include "lib/crypto/secp256k1.h"
#include "lib/eth/address.h"
#include "lib/eth/transaction.h"
#include "lib/common/u256.h"
#include "lib/jsonrpc/client.h"
#include "lib/jsonrpc/curl_transport.h"
#include "lib/server/server.h"
#include "lib/server/status.h"
#include "lib/testing/anvil.h"
#include "lib/testing/devnet.h"
#include "lib/testing/status_matchers.h"
#include "lib/chain/chain_set.h"
#include "lib/chain/signer_set.h"
#include "services/registry/prepare.h"

namespace chainkms::registry {
namespace {

namespace pb = ::chainkms::v1;
using ::chainkms::testutil::HasMetadata;
using ::chainkms::testutil::HasReason;
using ::chainkms::testutil::StatusIs;
using ::testing::HasSubstr;
using json = nlohmann::json;

constexpr uint64_t kChainId = 31337;
// anvil's well-known accounts 0 (deployer, owner) and 1 (another key the server holds).
constexpr char kKey0[] = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
constexpr char kKey1[] = "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
// anvil account 3: a key the server does not hold (a caller signing for itself).
constexpr char kKey3[] = "7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6";
// anvil account 2: unlocked in anvil, not loaded in the server.
constexpr char kAccount2[] = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";

std::shared_ptr<Signer> SignerFor(const char* hex) {
  Bytes k = *HexDecode(hex);
  return std::make_shared<LocalKeySigner>(*Secp256k1PrivateKey::FromBytes(k));
}
std::string Raw(ByteView b) { return std::string(reinterpret_cast<const char*>(b.data()), b.size()); }
template <size_t N>
std::string Raw(const FixedBytes<N>& b) { return Raw(ByteView(b.bytes)); }
std::string H(std::string_view label) { return Raw(Keccak256(AsBytes(label))); }

size_t AppendToString(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}
std::string Scrape(int port) {
  CURL* curl = curl_easy_init();
  std::string body;
  std::string url = absl::StrCat("http://127.0.0.1:", port, "/metrics");
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, AppendToString);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
  CURLcode rc = curl_easy_perform(curl);
  curl_easy_cleanup(curl);
  EXPECT_EQ(rc, CURLE_OK);
  return body;
}

std::string ReasonOf(const grpc::Status& s) { return server::ReasonOf(s).value_or("<none>"); }

class RegistryServiceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    error_ = new std::string();
    auto anvil = testutil::AnvilProcess::Start({});
    if (!anvil.ok()) {
      *error_ = absl::StrCat("anvil did not start: ", anvil.status().ToString());
      return;
    }
    anvil_ = anvil->release();
    auto transport = CurlTransport::Create({.url = anvil_->url()});
    JsonRpcClient rpc(*transport);
    TxManager txm(rpc, kChainId, SystemClock::Get(), {.poll_interval = absl::Milliseconds(50)});
    auto net = testutil::DeployDevnet(rpc, txm, SignerFor(kKey0), testutil::DevnetOptions{});
    if (!net.ok()) {
      *error_ = absl::StrCat("devnet: ", net.status().ToString());
      return;
    }
    net_ = new testutil::Devnet(*net);

    server_ = new server::GrpcServer({.config = server::TestServerConfig()});
    auto chain = ConnectChain({.chain_id = kChainId, .rpc_urls = {anvil_->url()}, .kms = net_->kms},
                              {.tx_poll_interval = absl::Milliseconds(50),
                               .metrics = &server_->metrics()},
                              SystemClock::Get());
    if (!chain.ok()) {
      *error_ = absl::StrCat("connect: ", chain.status().ToString());
      return;
    }
    auto signers = std::make_shared<SignerSet>();
    if (absl::Status s = signers->Add(*Secp256k1PrivateKey::FromBytes(*HexDecode(kKey0))); !s.ok()) {
      *error_ = s.ToString();
      return;
    }
    if (absl::Status s = signers->Add(*Secp256k1PrivateKey::FromBytes(*HexDecode(kKey1))); !s.ok()) {
      *error_ = s.ToString();
      return;
    }
    owner_ = new Address(SignerFor(kKey0)->address());
    other_ = new Address(SignerFor(kKey1)->address());
    ChainSet chains;
    chains.Add(std::move(*chain));
    service_ = new RegistryService(std::move(chains), signers, server_->serving(),
                                   SystemClock::Get(),
                                   {.watch_poll_interval = absl::Milliseconds(100)});
    server_->AddService(service_);
    if (absl::Status s = server_->Start(); !s.ok()) {
      *error_ = s.ToString();
      return;
    }
    auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                       grpc::InsecureChannelCredentials());
    stub_ = pb::Registry::NewStub(channel).release();
  }

  static void TearDownTestSuite() {
    delete stub_;
    if (server_ != nullptr) server_->Stop();
    delete server_;
    delete service_;
    delete net_;
    delete anvil_;
    delete owner_;
    delete other_;
    delete error_;
  }

  void SetUp() override { ASSERT_NE(stub_, nullptr) << *error_; }

  static pb::WriteOptions Wait() {
    pb::WriteOptions o;
    o.set_wait(true);
    o.set_wait_timeout_seconds(30);
    return o;
  }

  // Deploys an app owned by the server's first key with one hash and one device.
  std::string DeployApp(const std::string& hash, const std::string& device,
                        pb::TransactionStatus* tx = nullptr) {
    pb::DeployAppRequest req;
    req.set_chain_id(kChainId);
    req.set_from(Raw(*owner_));
    *req.mutable_options() = Wait();
    req.set_initial_compose_hash(hash);
    req.set_initial_device_id(device);
    pb::DeployAppResponse resp;
    grpc::ClientContext ctx;
    grpc::Status s = stub_->DeployApp(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(resp.app_id().size(), 20u);
    if (tx != nullptr) *tx = resp.transaction();
    return resp.app_id();
  }

  template <typename Req>
  static Req AppWrite(const std::string& app, const Address& from) {
    Req req;
    req.set_chain_id(kChainId);
    req.set_from(Raw(from));
    *req.mutable_options() = Wait();
    req.set_app_id(app);
    return req;
  }

  pb::CheckPrerequisitesResponse Check(const std::string& app, std::vector<std::string> hashes,
                                       std::vector<std::string> devices) {
    pb::CheckPrerequisitesRequest req;
    req.set_chain_id(kChainId);
    req.set_app_id(app);
    for (auto& h : hashes) req.add_compose_hashes(h);
    for (auto& d : devices) req.add_device_ids(d);
    pb::CheckPrerequisitesResponse resp;
    grpc::ClientContext ctx;
    grpc::Status s = stub_->CheckPrerequisites(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  pb::GetAppResponse GetApp(const std::string& app) {
    pb::GetAppRequest req;
    req.set_chain_id(kChainId);
    req.set_app_id(app);
    pb::GetAppResponse resp;
    grpc::ClientContext ctx;
    grpc::Status s = stub_->GetApp(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  pb::IsAppAllowedResponse Allowed(const std::string& app, const std::string& hash,
                                   const std::string& device) {
    pb::IsAppAllowedRequest req;
    req.set_chain_id(kChainId);
    pb::AppBootInfo* b = req.mutable_boot_info();
    b->set_app_id(app);
    b->set_compose_hash(hash);
    b->set_instance_id(std::string(20, '\0'));
    b->set_device_id(device);
    b->set_mr_aggregated(std::string(32, '\0'));
    b->set_mr_system(std::string(32, '\0'));
    b->set_os_image_hash(Raw(net_->os_image_hash));
    b->set_tcb_status("UpToDate");
    pb::IsAppAllowedResponse resp;
    grpc::ClientContext ctx;
    grpc::Status s = stub_->IsAppAllowed(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  uint64_t NonceOf(const Address& a) {
    auto r = anvil_->Rpc("eth_getTransactionCount", json::array({ToChecksumAddress(a), "pending"}));
    EXPECT_TRUE(r.ok());
    return std::stoull(r->get<std::string>(), nullptr, 16);
  }

  static inline std::string* error_ = nullptr;
  static inline testutil::AnvilProcess* anvil_ = nullptr;
  static inline testutil::Devnet* net_ = nullptr;
  static inline server::GrpcServer* server_ = nullptr;
  static inline RegistryService* service_ = nullptr;
  static inline pb::Registry::Stub* stub_ = nullptr;
  static inline Address* owner_ = nullptr;
  static inline Address* other_ = nullptr;
};

#define EXPECT_RPC_OK(call)                                  \
  do {                                                       \
    grpc::ClientContext ctx_;                                \
    grpc::Status s_ = (call);                                \
    EXPECT_TRUE(s_.ok()) << #call << ": " << s_.error_message(); \
  } while (0)

TEST_F(RegistryServiceTest, TheFullPolicyLifecycleRunsThroughGrpc) {
  const std::string c1 = H("compose-1"), c2 = H("compose-2"), d1 = H("device-1"), d2 = H("device-2");
  pb::TransactionStatus deploy_tx;
  const std::string app = DeployApp(c1, d1, &deploy_tx);
  ASSERT_EQ(app.size(), 20u);
  EXPECT_EQ(deploy_tx.state(), pb::TRANSACTION_STATE_CONFIRMED);
  EXPECT_TRUE(deploy_tx.final());
  EXPECT_EQ(deploy_tx.from(), Raw(*owner_));
  EXPECT_EQ(deploy_tx.to(), Raw(net_->kms));

  pb::CheckPrerequisitesResponse p = Check(app, {c1, c2}, {d1, d2});
  EXPECT_THAT(p.compose_hash_allowed(), ::testing::ElementsAre(true, false));
  EXPECT_THAT(p.device_id_allowed(), ::testing::ElementsAre(true, false));
  EXPECT_FALSE(p.all_allowed());
  EXPECT_FALSE(p.allow_any_device());

  pb::GetAppResponse got = GetApp(app);
  EXPECT_EQ(got.owner(), Raw(*owner_));
  EXPECT_TRUE(got.registered());
  EXPECT_FALSE(got.upgrades_disabled());
  EXPECT_EQ(got.implementation(), Raw(net_->app_implementation));

  // Add c2, verify that transaction, remove c1; add d2, remove d1.
  pb::AddComposeHashResponse added;
  {
    auto req = AppWrite<pb::AddComposeHashRequest>(app, *owner_);
    req.set_compose_hash(c2);
    grpc::ClientContext ctx;
    grpc::Status s = stub_->AddComposeHash(&ctx, req, &added);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(added.transaction().state(), pb::TRANSACTION_STATE_CONFIRMED);
    EXPECT_EQ(added.transaction().to(), app);
  }
  {
    pb::VerifyComposeHashTransactionRequest req;
    req.set_chain_id(kChainId);
    req.set_app_id(app);
    req.set_compose_hash(c2);
    req.set_tx_hash(added.transaction().tx_hash());
    pb::VerifyComposeHashTransactionResponse resp;
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub_->VerifyComposeHashTransaction(&ctx, req, &resp).ok());
    EXPECT_TRUE(resp.verified()) << resp.detail();
    EXPECT_TRUE(resp.compose_hash_allowed());
    req.set_compose_hash(c1);
    grpc::ClientContext ctx2;
    ASSERT_TRUE(stub_->VerifyComposeHashTransaction(&ctx2, req, &resp).ok());
    EXPECT_FALSE(resp.verified());
    EXPECT_EQ(resp.failure(), pb::VERIFICATION_FAILURE_HASH_MISMATCH);
  }
  {
    auto req = AppWrite<pb::RemoveComposeHashRequest>(app, *owner_);
    req.set_compose_hash(c1);
    pb::RemoveComposeHashResponse resp;
    EXPECT_RPC_OK(stub_->RemoveComposeHash(&ctx_, req, &resp));
  }
  {
    auto req = AppWrite<pb::AddDeviceRequest>(app, *owner_);
    req.set_device_id(d2);
    pb::AddDeviceResponse resp;
    EXPECT_RPC_OK(stub_->AddDevice(&ctx_, req, &resp));
  }
  {
    auto req = AppWrite<pb::RemoveDeviceRequest>(app, *owner_);
    req.set_device_id(d1);
    pb::RemoveDeviceResponse resp;
    EXPECT_RPC_OK(stub_->RemoveDevice(&ctx_, req, &resp));
  }
  p = Check(app, {c1, c2}, {d1, d2});
  EXPECT_THAT(p.compose_hash_allowed(), ::testing::ElementsAre(false, true));
  EXPECT_THAT(p.device_id_allowed(), ::testing::ElementsAre(false, true));

  // IsAppAllowed reasons.
  EXPECT_TRUE(Allowed(app, c2, d2).is_allowed());
  pb::IsAppAllowedResponse denied = Allowed(app, c1, d2);
  EXPECT_FALSE(denied.is_allowed());
  EXPECT_EQ(denied.reason(), "Compose hash not allowed");
  denied = Allowed(app, c2, d1);
  EXPECT_FALSE(denied.is_allowed());
  EXPECT_EQ(denied.reason(), "Device not allowed");

  // Allow any device.
  {
    auto req = AppWrite<pb::SetAllowAnyDeviceRequest>(app, *owner_);
    req.set_allow_any_device(true);
    pb::SetAllowAnyDeviceResponse resp;
    EXPECT_RPC_OK(stub_->SetAllowAnyDevice(&ctx_, req, &resp));
  }
  {
    pb::CheckDeviceAllowedRequest req;
    req.set_chain_id(kChainId);
    req.set_app_id(app);
    req.set_device_id(d1);
    pb::CheckDeviceAllowedResponse resp;
    EXPECT_RPC_OK(stub_->CheckDeviceAllowed(&ctx_, req, &resp));
    EXPECT_TRUE(resp.allowed());
    EXPECT_TRUE(resp.allow_any_device());
    EXPECT_FALSE(resp.device_listed());
  }
  EXPECT_TRUE(Allowed(app, c2, d1).is_allowed());

  // Disable upgrades.
  {
    auto req = AppWrite<pb::DisableUpgradesRequest>(app, *owner_);
    pb::DisableUpgradesResponse resp;
    EXPECT_RPC_OK(stub_->DisableUpgrades(&ctx_, req, &resp));
  }
  EXPECT_TRUE(GetApp(app).upgrades_disabled());

  // Two-step ownership transfer: only the pending owner may accept.
  {
    pb::TransferOwnershipRequest req;
    req.set_chain_id(kChainId);
    req.set_from(Raw(*owner_));
    *req.mutable_options() = Wait();
    req.set_contract(app);
    req.set_new_owner(Raw(*other_));
    pb::TransferOwnershipResponse resp;
    EXPECT_RPC_OK(stub_->TransferOwnership(&ctx_, req, &resp));
  }
  EXPECT_EQ(GetApp(app).pending_owner(), Raw(*other_));
  {
    pb::AcceptOwnershipRequest req;
    req.set_chain_id(kChainId);
    req.set_from(Raw(*owner_));
    *req.mutable_options() = Wait();
    req.set_contract(app);
    pb::AcceptOwnershipResponse resp;
    grpc::ClientContext ctx;
    grpc::Status s = stub_->AcceptOwnership(&ctx, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_EQ(ReasonOf(s), "NOT_OWNER");
    EXPECT_THAT(s.error_message(), HasSubstr(ToChecksumAddress(*other_)));
    req.set_from(Raw(*other_));
    grpc::ClientContext ctx2;
    s = stub_->AcceptOwnership(&ctx2, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
  }
  got = GetApp(app);
  EXPECT_EQ(got.owner(), Raw(*other_));
  EXPECT_TRUE(got.pending_owner().empty());
}

TEST_F(RegistryServiceTest, AWriteByANonOwnerIsRefusedBeforeAnythingIsSent) {
  const std::string app = DeployApp(H("nonowner-c"), H("nonowner-d"));
  const uint64_t nonce_before = NonceOf(*other_);
  auto req = AppWrite<pb::AddComposeHashRequest>(app, *other_);
  req.set_compose_hash(H("intruder"));
  pb::AddComposeHashResponse resp;
  grpc::ClientContext ctx;
  grpc::Status s = stub_->AddComposeHash(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(s), "NOT_OWNER");
  EXPECT_THAT(s.error_message(), HasSubstr(ToChecksumAddress(*owner_)));
  EXPECT_EQ(NonceOf(*other_), nonce_before);
  EXPECT_FALSE(resp.has_transaction());
}

TEST_F(RegistryServiceTest, AShortHashIsRejectedNamingTheFieldAndNeverPadded) {
  const std::string app = DeployApp(H("short-c"), H("short-d"));
  auto req = AppWrite<pb::AddComposeHashRequest>(app, *owner_);
  req.set_compose_hash(H("x").substr(0, 31));
  pb::AddComposeHashResponse resp;
  grpc::ClientContext ctx;
  grpc::Status s = stub_->AddComposeHash(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ReasonOf(s), "INVALID_FIELD");
  EXPECT_THAT(s.error_message(), HasSubstr("compose_hash: must be exactly 32 bytes, got 31"));

  pb::CheckPrerequisitesRequest check;
  check.set_chain_id(kChainId);
  check.set_app_id(app);
  check.add_compose_hashes(H("ok"));
  check.add_compose_hashes(std::string(33, 'x'));
  pb::CheckPrerequisitesResponse check_resp;
  grpc::ClientContext ctx2;
  s = stub_->CheckPrerequisites(&ctx2, check, &check_resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ReasonOf(s), "INVALID_FIELD");
  EXPECT_THAT(s.error_message(), HasSubstr("compose_hashes[1]"));

  pb::GetAppRequest get;
  get.set_chain_id(kChainId);
  get.set_app_id(app.substr(0, 19));
  pb::GetAppResponse get_resp;
  grpc::ClientContext ctx3;
  s = stub_->GetApp(&ctx3, get, &get_resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ReasonOf(s), "INVALID_FIELD");
  EXPECT_THAT(s.error_message(), HasSubstr("app_id"));
}

TEST_F(RegistryServiceTest, AnUnknownChainIsRejected) {
  pb::GetAppRequest req;
  req.set_chain_id(999);
  req.set_app_id(std::string(20, '\x01'));
  pb::GetAppResponse resp;
  grpc::ClientContext ctx;
  grpc::Status s = stub_->GetApp(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ReasonOf(s), "UNKNOWN_CHAIN");
  EXPECT_THAT(s.error_message(), HasSubstr("chain 999 is not served here (served: 31337)"));
}

TEST_F(RegistryServiceTest, AWriteFromAnAddressWithoutKeyIsAnUnknownSigner) {
  auto req = AppWrite<pb::AddComposeHashRequest>(std::string(20, '\x01'),
                                                 *ParseAddress(kAccount2));
  req.set_compose_hash(H("x"));
  pb::AddComposeHashResponse resp;
  grpc::ClientContext ctx;
  grpc::Status s = stub_->AddComposeHash(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ReasonOf(s), "UNKNOWN_SIGNER");
}

TEST_F(RegistryServiceTest, ARevertAtEstimationIsExecutionReverted) {
  pb::DeployAppRequest req;
  req.set_chain_id(kChainId);
  req.set_from(Raw(*owner_));
  *req.mutable_options() = Wait();
  req.set_owner(std::string(20, '\0'));  // DstackApp.initialize: "invalid owner address"
  pb::DeployAppResponse resp;
  grpc::ClientContext ctx;
  grpc::Status s = stub_->DeployApp(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(s), "EXECUTION_REVERTED");
  EXPECT_THAT(s.error_message(), HasSubstr("Invalid owner address"));
  EXPECT_THAT(s, HasMetadata("revert_reason", HasSubstr("Invalid owner address")));
  EXPECT_THAT(s, HasMetadata("revert_data", ::testing::StartsWith("0x08c379a0")));  // Error(string)
}

TEST_F(RegistryServiceTest, AnAddressWithoutCodeIsAppNotFound) {
  pb::CheckPrerequisitesRequest req;
  req.set_chain_id(kChainId);
  req.set_app_id(std::string(20, '\x42'));
  pb::CheckPrerequisitesResponse resp;
  grpc::ClientContext ctx;
  grpc::Status s = stub_->CheckPrerequisites(&ctx, req, &resp);
  EXPECT_THAT(s, StatusIs(grpc::StatusCode::NOT_FOUND));
  EXPECT_THAT(s, HasReason("APP_NOT_FOUND"));
  EXPECT_THAT(s, HasMetadata("app_id", ToChecksumAddress(Address(std::array<uint8_t, 20>{
                                  0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
                                  0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42}))));
}

TEST_F(RegistryServiceTest, WatchPolicyEventsStreamsEachChangeUntilCancelled) {
  const std::string c1 = H("watch-c1"), c2 = H("watch-c2"), d2 = H("watch-d2");
  const std::string app = DeployApp(c1, H("watch-d1"));
  auto head = anvil_->Rpc("eth_blockNumber", json::array());
  ASSERT_TRUE(head.ok());
  const uint64_t from = std::stoull(head->get<std::string>(), nullptr, 16) + 1;

  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  pb::WatchPolicyEventsRequest req;
  req.set_chain_id(kChainId);
  req.add_contracts(app);
  req.set_from_block(from);
  auto reader = stub_->WatchPolicyEvents(&ctx, req);

  {
    auto w = AppWrite<pb::AddComposeHashRequest>(app, *owner_);
    w.set_compose_hash(c2);
    pb::AddComposeHashResponse resp;
    EXPECT_RPC_OK(stub_->AddComposeHash(&ctx_, w, &resp));
  }
  {
    auto w = AppWrite<pb::AddDeviceRequest>(app, *owner_);
    w.set_device_id(d2);
    pb::AddDeviceResponse resp;
    EXPECT_RPC_OK(stub_->AddDevice(&ctx_, w, &resp));
  }
  {
    auto w = AppWrite<pb::RemoveComposeHashRequest>(app, *owner_);
    w.set_compose_hash(c1);
    pb::RemoveComposeHashResponse resp;
    EXPECT_RPC_OK(stub_->RemoveComposeHash(&ctx_, w, &resp));
  }
  {
    auto w = AppWrite<pb::SetAllowAnyDeviceRequest>(app, *owner_);
    w.set_allow_any_device(true);
    pb::SetAllowAnyDeviceResponse resp;
    EXPECT_RPC_OK(stub_->SetAllowAnyDevice(&ctx_, w, &resp));
  }

  std::vector<pb::WatchPolicyEventsResponse> events;
  pb::WatchPolicyEventsResponse e;
  while (events.size() < 4 && reader->Read(&e)) events.push_back(e);
  ctx.TryCancel();
  grpc::Status end = reader->Finish();
  EXPECT_EQ(end.error_code(), grpc::StatusCode::CANCELLED);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].compose_hash_added(), c2);
  EXPECT_EQ(events[1].device_added(), d2);
  EXPECT_EQ(events[2].compose_hash_removed(), c1);
  EXPECT_TRUE(events[3].allow_any_device_set());
  for (const auto& ev : events) {
    EXPECT_EQ(ev.chain_id(), kChainId);
    EXPECT_EQ(ev.contract(), app);
    EXPECT_GE(ev.block_number(), from);
    EXPECT_EQ(ev.tx_hash().size(), 32u);
    EXPECT_FALSE(ev.removed());
  }
}

TEST_F(RegistryServiceTest, GetTransactionReportsPendingConfirmedAndUnknownTransactions) {
  const std::string app = DeployApp(H("gt-c"), H("gt-d"));
  // Not waited for and not mined (automine off): PENDING. The shared anvil gets automine back
  // however this test ends.
  ASSERT_TRUE(anvil_->Rpc("evm_setAutomine", json::array({false})).ok());
  absl::Cleanup automine = [] { (void)anvil_->Rpc("evm_setAutomine", json::array({true})); };
  auto req = AppWrite<pb::AddComposeHashRequest>(app, *owner_);
  req.clear_options();
  req.set_compose_hash(H("gt-c2"));
  pb::AddComposeHashResponse sent;
  EXPECT_RPC_OK(stub_->AddComposeHash(&ctx_, req, &sent));
  EXPECT_EQ(sent.transaction().tx_hash().size(), 32u);
  EXPECT_EQ(sent.transaction().from(), Raw(*owner_));
  EXPECT_EQ(sent.transaction().to(), app);
  EXPECT_EQ(sent.transaction().state(), pb::TRANSACTION_STATE_PENDING);
  EXPECT_FALSE(sent.transaction().final());

  pb::GetTransactionRequest get;
  get.set_chain_id(kChainId);
  get.set_tx_hash(sent.transaction().tx_hash());
  get.set_confirmations(2);
  pb::GetTransactionResponse got;
  EXPECT_RPC_OK(stub_->GetTransaction(&ctx_, get, &got));
  EXPECT_EQ(got.transaction().state(), pb::TRANSACTION_STATE_PENDING);

  // Mined: CONFIRMED at depth 1, not final until 2 deep.
  ASSERT_TRUE(anvil_->Rpc("evm_mine", json::array()).ok());
  EXPECT_RPC_OK(stub_->GetTransaction(&ctx_, get, &got));
  EXPECT_EQ(got.transaction().state(), pb::TRANSACTION_STATE_CONFIRMED);
  EXPECT_EQ(got.transaction().confirmations(), 1u);
  EXPECT_FALSE(got.transaction().final());
  ASSERT_TRUE(anvil_->Rpc("evm_mine", json::array()).ok());
  EXPECT_RPC_OK(stub_->GetTransaction(&ctx_, get, &got));
  EXPECT_EQ(got.transaction().state(), pb::TRANSACTION_STATE_CONFIRMED);
  EXPECT_EQ(got.transaction().confirmations(), 2u);
  EXPECT_GT(got.transaction().block_number(), 0u);
  EXPECT_TRUE(got.transaction().final());
  std::move(automine).Invoke();

  // A transaction the server never sent: read from the chain. anvil mines it asynchronously
  // after eth_sendTransaction returns, so wait for the state with a deadline.
  get.set_confirmations(1);
  auto tx = anvil_->Rpc("eth_sendTransaction",
                        json::array({{{"from", kAccount2}, {"to", kAccount2}, {"value", "0x1"}}}));
  ASSERT_TRUE(tx.ok()) << tx.status();
  get.set_tx_hash(Raw(*HexDecode(tx->get<std::string>())));
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  do {
    EXPECT_RPC_OK(stub_->GetTransaction(&ctx_, get, &got));
  } while (got.transaction().state() == pb::TRANSACTION_STATE_PENDING && absl::Now() < deadline);
  EXPECT_EQ(got.transaction().state(), pb::TRANSACTION_STATE_CONFIRMED);
  EXPECT_TRUE(got.transaction().final());
  EXPECT_EQ(got.transaction().from(), Raw(*ParseAddress(kAccount2)));

  // Unknown everywhere.
  get.set_tx_hash(H("no such transaction"));
  grpc::ClientContext ctx;
  grpc::Status s = stub_->GetTransaction(&ctx, get, &got);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ReasonOf(s), "TRANSACTION_NOT_FOUND");
  EXPECT_THAT(s, HasMetadata("tx_hash", Hex0x(AsBytes(H("no such transaction")))));
}

// Every KMS administration write through gRPC, each checked by the read that shows it, and
// IsKmsAllowed deciding from them. The chain is restored afterwards.
TEST_F(RegistryServiceTest, KmsAdministrationWritesTakeEffectAndIsKmsAllowedFollowsThem) {
  ASSERT_OK_AND_ASSIGN(json snap, anvil_->Rpc("evm_snapshot", json::array()));
  absl::Cleanup revert = [snap] { (void)anvil_->Rpc("evm_revert", json::array({snap})); };
  const std::string image = H("kms-admin-image"), mr = H("kms-admin-mr"), device = H("kms-admin-dev");
  pb::IsKmsAllowedRequest allowed;
  allowed.set_chain_id(kChainId);
  pb::AppBootInfo* b = allowed.mutable_boot_info();
  b->set_app_id(std::string(20, '\x0a'));
  b->set_compose_hash(std::string(32, '\x01'));
  b->set_instance_id(std::string(20, '\x02'));
  b->set_device_id(device);
  b->set_mr_aggregated(mr);
  b->set_mr_system(std::string(32, '\x05'));
  b->set_os_image_hash(image);
  b->set_tcb_status("UpToDate");
  pb::IsKmsAllowedResponse verdict;
  EXPECT_RPC_OK(stub_->IsKmsAllowed(&ctx_, allowed, &verdict));
  EXPECT_FALSE(verdict.is_allowed());
  EXPECT_EQ(verdict.reason(), "OS image is not allowed");

  auto options = [] { return Wait(); };
  {
    pb::AddOsImageHashRequest req;
    req.set_chain_id(kChainId);
    req.set_from(Raw(*owner_));
    *req.mutable_options() = options();
    req.set_os_image_hash(image);
    pb::AddOsImageHashResponse resp;
    EXPECT_RPC_OK(stub_->AddOsImageHash(&ctx_, req, &resp));
    EXPECT_EQ(resp.transaction().state(), pb::TRANSACTION_STATE_CONFIRMED);
  }
  {
    pb::AddKmsAggregatedMrRequest req;
    req.set_chain_id(kChainId);
    req.set_from(Raw(*owner_));
    *req.mutable_options() = options();
    req.set_mr_aggregated(mr);
    pb::AddKmsAggregatedMrResponse resp;
    EXPECT_RPC_OK(stub_->AddKmsAggregatedMr(&ctx_, req, &resp));
  }
  EXPECT_RPC_OK(stub_->IsKmsAllowed(&ctx_, allowed, &verdict));
  EXPECT_EQ(verdict.reason(), "KMS is not allowed to boot on this device");
  {
    pb::AddKmsDeviceRequest req;
    req.set_chain_id(kChainId);
    req.set_from(Raw(*owner_));
    *req.mutable_options() = options();
    req.set_device_id(device);
    pb::AddKmsDeviceResponse resp;
    EXPECT_RPC_OK(stub_->AddKmsDevice(&ctx_, req, &resp));
  }
  EXPECT_RPC_OK(stub_->IsKmsAllowed(&ctx_, allowed, &verdict));
  EXPECT_TRUE(verdict.is_allowed()) << verdict.reason();

  pb::CheckKmsAllowlistsRequest lists;
  lists.set_chain_id(kChainId);
  lists.add_os_image_hashes(image);
  lists.add_kms_aggregated_mrs(mr);
  lists.add_kms_device_ids(device);
  pb::CheckKmsAllowlistsResponse shown;
  EXPECT_RPC_OK(stub_->CheckKmsAllowlists(&ctx_, lists, &shown));
  EXPECT_THAT(shown.os_image_hash_allowed(), ::testing::ElementsAre(true));
  EXPECT_THAT(shown.kms_aggregated_mr_allowed(), ::testing::ElementsAre(true));
  EXPECT_THAT(shown.kms_device_id_allowed(), ::testing::ElementsAre(true));

  {
    pb::RemoveOsImageHashRequest req;
    req.set_chain_id(kChainId);
    req.set_from(Raw(*owner_));
    *req.mutable_options() = options();
    req.set_os_image_hash(image);
    pb::RemoveOsImageHashResponse resp;
    EXPECT_RPC_OK(stub_->RemoveOsImageHash(&ctx_, req, &resp));
  }
  {
    pb::RemoveKmsAggregatedMrRequest req;
    req.set_chain_id(kChainId);
    req.set_from(Raw(*owner_));
    *req.mutable_options() = options();
    req.set_mr_aggregated(mr);
    pb::RemoveKmsAggregatedMrResponse resp;
    EXPECT_RPC_OK(stub_->RemoveKmsAggregatedMr(&ctx_, req, &resp));
  }
  {
    pb::RemoveKmsDeviceRequest req;
    req.set_chain_id(kChainId);
    req.set_from(Raw(*owner_));
    *req.mutable_options() = options();
    req.set_device_id(device);
    pb::RemoveKmsDeviceResponse resp;
    EXPECT_RPC_OK(stub_->RemoveKmsDevice(&ctx_, req, &resp));
  }
  EXPECT_RPC_OK(stub_->CheckKmsAllowlists(&ctx_, lists, &shown));
  EXPECT_THAT(shown.os_image_hash_allowed(), ::testing::ElementsAre(false));
  EXPECT_THAT(shown.kms_aggregated_mr_allowed(), ::testing::ElementsAre(false));
  EXPECT_THAT(shown.kms_device_id_allowed(), ::testing::ElementsAre(false));

  const FixedBytes<33> k256 = Secp256k1PrivateKey::FromBytes(*HexDecode(kKey3))->PublicKey().Compressed();
  {
    pb::SetKmsInfoRequest req;
    req.set_chain_id(kChainId);
    req.set_from(Raw(*owner_));
    *req.mutable_options() = options();
    req.mutable_kms_info()->set_k256_pubkey(Raw(k256));
    req.mutable_kms_info()->set_ca_pubkey(std::string("\x30\x03\x02\x01\x07", 5));
    pb::SetKmsInfoResponse resp;
    EXPECT_RPC_OK(stub_->SetKmsInfo(&ctx_, req, &resp));
  }
  {
    pb::SetAppImplementationRequest req;
    req.set_chain_id(kChainId);
    req.set_from(Raw(*owner_));
    *req.mutable_options() = options();
    req.set_implementation(Raw(net_->app_implementation));
    pb::SetAppImplementationResponse resp;
    EXPECT_RPC_OK(stub_->SetAppImplementation(&ctx_, req, &resp));
  }
  {
    pb::SetGatewayAppIdRequest req;
    req.set_chain_id(kChainId);
    req.set_from(Raw(*owner_));
    *req.mutable_options() = options();
    req.set_gateway_app_id("gateway-app-1");
    pb::SetGatewayAppIdResponse resp;
    EXPECT_RPC_OK(stub_->SetGatewayAppId(&ctx_, req, &resp));
  }
  pb::GetKmsInfoRequest info_req;
  info_req.set_chain_id(kChainId);
  pb::GetKmsInfoResponse info;
  EXPECT_RPC_OK(stub_->GetKmsInfo(&ctx_, info_req, &info));
  EXPECT_EQ(info.kms_info().k256_pubkey(), Raw(k256));
  EXPECT_EQ(info.kms_info().ca_pubkey(), std::string("\x30\x03\x02\x01\x07", 5));
  EXPECT_EQ(info.app_implementation(), Raw(net_->app_implementation));
  EXPECT_EQ(info.gateway_app_id(), "gateway-app-1");

  // Not the KMS owner: refused before sending, with the documented metadata.
  pb::AddKmsDeviceRequest intruder;
  intruder.set_chain_id(kChainId);
  intruder.set_from(Raw(*other_));
  intruder.set_device_id(H("intruder"));
  pb::AddKmsDeviceResponse none;
  grpc::ClientContext ctx;
  grpc::Status s = stub_->AddKmsDevice(&ctx, intruder, &none);
  EXPECT_THAT(s, StatusIs(grpc::StatusCode::FAILED_PRECONDITION));
  EXPECT_THAT(s, HasReason("NOT_OWNER"));
  EXPECT_THAT(s, HasMetadata("contract", ToChecksumAddress(net_->kms)));
  EXPECT_THAT(s, HasMetadata("owner", ToChecksumAddress(*owner_)));
  EXPECT_THAT(s, HasMetadata("from", ToChecksumAddress(*other_)));
}

TEST_F(RegistryServiceTest, RegisterAppIsSignedByTheAppOwnerAndEmitsAppRegistered) {
  const std::string app = DeployApp(H("register-c"), H("register-d"));
  pb::RegisterAppRequest req;
  req.set_chain_id(kChainId);
  req.set_from(Raw(*owner_));
  *req.mutable_options() = Wait();
  req.set_app_id(app);
  pb::RegisterAppResponse resp;
  EXPECT_RPC_OK(stub_->RegisterApp(&ctx_, req, &resp));
  EXPECT_EQ(resp.transaction().state(), pb::TRANSACTION_STATE_CONFIRMED);
  EXPECT_EQ(resp.transaction().to(), Raw(net_->kms));
  EXPECT_TRUE(GetApp(app).registered());
  req.set_from(Raw(*other_));
  grpc::ClientContext ctx;
  grpc::Status s = stub_->RegisterApp(&ctx, req, &resp);
  EXPECT_THAT(s, HasReason("NOT_OWNER"));
  EXPECT_THAT(s, HasMetadata("contract", ToChecksumAddress(*ParseAddress(Hex0x(AsBytes(app))))));
}

// A client whose connection dropped retries with the same idempotency key: the first attempt's
// transaction comes back and nothing is sent again; the key with another write is refused.
TEST_F(RegistryServiceTest, AWriteRetriedWithItsIdempotencyKeyIsSentOnce) {
  const std::string app = DeployApp(H("idem-c"), H("idem-d"));
  auto req = AppWrite<pb::AddComposeHashRequest>(app, *owner_);
  req.set_compose_hash(H("idem-c2"));
  req.mutable_options()->set_idempotency_key("retry-me-1");
  pb::AddComposeHashResponse first, second;
  EXPECT_RPC_OK(stub_->AddComposeHash(&ctx_, req, &first));
  const uint64_t nonce_after_first = NonceOf(*owner_);
  EXPECT_RPC_OK(stub_->AddComposeHash(&ctx_, req, &second));
  EXPECT_EQ(second.transaction().tx_hash(), first.transaction().tx_hash());
  EXPECT_EQ(NonceOf(*owner_), nonce_after_first);  // nothing sent
  req.set_compose_hash(H("idem-other"));
  grpc::ClientContext ctx;
  pb::AddComposeHashResponse third;
  grpc::Status s = stub_->AddComposeHash(&ctx, req, &third);
  EXPECT_THAT(s, StatusIs(grpc::StatusCode::FAILED_PRECONDITION));
  EXPECT_THAT(s, HasReason("IDEMPOTENCY_KEY_REUSED"));
  EXPECT_THAT(s, HasMetadata("idempotency_key", "retry-me-1"));
  EXPECT_THAT(s, HasMetadata("tx_hash", Hex0x(AsBytes(first.transaction().tx_hash()))));
}

TEST_F(RegistryServiceTest, KmsInfoAndAllowlistsAreRead) {
  pb::GetKmsInfoRequest req;
  req.set_chain_id(kChainId);
  pb::GetKmsInfoResponse resp;
  EXPECT_RPC_OK(stub_->GetKmsInfo(&ctx_, req, &resp));
  EXPECT_EQ(resp.kms_contract(), Raw(net_->kms));
  EXPECT_EQ(resp.owner(), Raw(net_->deployer));
  EXPECT_EQ(resp.app_implementation(), Raw(net_->app_implementation));

  pb::CheckKmsAllowlistsRequest check;
  check.set_chain_id(kChainId);
  check.add_os_image_hashes(Raw(net_->os_image_hash));
  check.add_os_image_hashes(H("not an image"));
  pb::CheckKmsAllowlistsResponse allow;
  EXPECT_RPC_OK(stub_->CheckKmsAllowlists(&ctx_, check, &allow));
  EXPECT_THAT(allow.os_image_hash_allowed(), ::testing::ElementsAre(true, false));
}

TEST_F(RegistryServiceTest, APreparedTransactionSignedByTheCallerIsSubmittedAndTakesEffect) {
  // An app owned by a key the server does not hold (anvil account 3).
  const auto outside = SignerFor(kKey3);
  pb::DeployAppRequest deploy;
  deploy.set_chain_id(kChainId);
  deploy.set_from(Raw(*owner_));
  *deploy.mutable_options() = Wait();
  deploy.set_owner(Raw(outside->address()));
  pb::DeployAppResponse deployed;
  EXPECT_RPC_OK(stub_->DeployApp(&ctx_, deploy, &deployed));
  const std::string app = deployed.app_id();
  ASSERT_EQ(app.size(), 20u);

  const std::string hash = H("prepared-hash");
  pb::PrepareTransactionRequest prep;
  prep.set_chain_id(kChainId);
  prep.set_from(Raw(outside->address()));
  pb::ComposeHashCall* call = prep.add_actions()->mutable_add_compose_hash();
  call->set_app_id(app);
  call->set_compose_hash(hash);
  pb::PrepareTransactionResponse prepared;
  EXPECT_RPC_OK(stub_->PrepareTransaction(&ctx_, prep, &prepared));
  ASSERT_EQ(prepared.transactions_size(), 1);
  const pb::UnsignedTransaction& u = prepared.transactions(0);
  EXPECT_EQ(u.to(), app);
  EXPECT_EQ(u.function_signature(), "addComposeHash(bytes32)");
  EXPECT_GT(u.gas_limit(), 21000u);
  EXPECT_THAT(prepared.safe_transaction_builder_json(), HasSubstr("\"transactions\""));

  // The caller signs what was prepared.
  Transaction tx;
  tx.chain_id = u.chain_id();
  tx.nonce = u.nonce();
  tx.max_fee_per_gas = *U256::FromDecimal(u.max_fee_per_gas_wei());
  tx.max_priority_fee_per_gas = *U256::FromDecimal(u.max_priority_fee_per_gas_wei());
  tx.gas_limit = u.gas_limit();
  tx.to = *Address::TryFrom(AsBytes(u.to()));
  tx.data = Bytes(u.data().begin(), u.data().end());
  EXPECT_EQ(Raw(*SigningHash(tx)), u.signing_hash());
  auto signed_tx = SignTransaction(tx, *Secp256k1PrivateKey::FromBytes(*HexDecode(kKey3)));
  ASSERT_TRUE(signed_tx.ok());

  pb::SubmitSignedTransactionRequest submit;
  submit.set_chain_id(kChainId);
  submit.set_app_id(app);
  submit.set_signed_transaction(Raw(EncodeSigned(*signed_tx)));
  *submit.mutable_options() = Wait();
  pb::SubmitSignedTransactionResponse submitted;
  EXPECT_RPC_OK(stub_->SubmitSignedTransaction(&ctx_, submit, &submitted));
  EXPECT_EQ(submitted.transaction().state(), pb::TRANSACTION_STATE_CONFIRMED);
  EXPECT_EQ(submitted.transaction().from(), Raw(outside->address()));
  EXPECT_THAT(Check(app, {hash}, {}).compose_hash_allowed(), ::testing::ElementsAre(true));

  // The same transaction aimed at another app is refused before broadcasting.
  submit.set_app_id(std::string(20, '\x07'));
  grpc::ClientContext ctx;
  grpc::Status s = stub_->SubmitSignedTransaction(&ctx, submit, &submitted);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ReasonOf(s), "TARGET_NOT_ALLOWED");
}

// A multisig/timelock owner gets, through the RPC, exactly what lib's builders make: the
// timelock's schedule/execute calldata and operation id, and a Safe batch that schedules it.
TEST_F(RegistryServiceTest, PrepareTransactionReturnsTimelockCalldataAndASafeBatchThatSchedulesIt) {
  const std::string app(20, '\x42');
  const std::string hash = H("timelocked-hash");
  const std::string timelock(20, '\x71');
  const std::string safe(20, '\x5a');
  pb::PrepareTransactionRequest prep;
  prep.set_chain_id(kChainId);
  prep.set_safe(safe);
  prep.mutable_timelock()->set_timelock(timelock);
  prep.mutable_timelock()->set_delay_seconds(3600);
  pb::ComposeHashCall* call = prep.add_actions()->mutable_add_compose_hash();
  call->set_app_id(app);
  call->set_compose_hash(hash);
  pb::PrepareTransactionResponse prepared;
  EXPECT_RPC_OK(stub_->PrepareTransaction(&ctx_, prep, &prepared));

  const Address app_addr = *Address::TryFrom(AsBytes(app));
  const Hash32 hash32 = *Hash32::TryFrom(AsBytes(hash));
  const std::vector<PreparedCall> calls = {
      {.to = app_addr, .data = dstack_app::AddComposeHash(hash32),
       .function_signature = "addComposeHash(bytes32)"}};
  auto want = BuildTimelockCalls(calls, {.timelock = *Address::TryFrom(AsBytes(timelock)),
                                         .delay_seconds = 3600});
  ASSERT_TRUE(want.ok()) << want.status();
  const pb::TimelockCalls& got = prepared.timelock();
  EXPECT_EQ(got.timelock(), timelock);
  EXPECT_EQ(got.schedule_data(), std::string(want->schedule_data.begin(), want->schedule_data.end()));
  EXPECT_EQ(got.execute_data(), std::string(want->execute_data.begin(), want->execute_data.end()));
  EXPECT_EQ(got.operation_id(), std::string(want->operation_id.begin(), want->operation_id.end()));

  const json batch = json::parse(prepared.safe_transaction_builder_json());
  EXPECT_EQ(batch["chainId"], std::to_string(kChainId));
  EXPECT_EQ(batch["meta"]["createdFromSafeAddress"],
            ToChecksumAddress(*Address::TryFrom(AsBytes(safe))));
  ASSERT_EQ(batch["transactions"].size(), 1u);
  EXPECT_EQ(batch["transactions"][0]["to"],
            ToChecksumAddress(*Address::TryFrom(AsBytes(timelock))));
  EXPECT_EQ(batch["transactions"][0]["data"], Hex0x(want->schedule_data));
}

TEST_F(RegistryServiceTest, MetricsCountRegistryMethods) {
  pb::GetKmsInfoRequest req;
  req.set_chain_id(kChainId);
  pb::GetKmsInfoResponse resp;
  EXPECT_RPC_OK(stub_->GetKmsInfo(&ctx_, req, &resp));
  const std::string text = Scrape(server_->metrics_port());
  EXPECT_THAT(text, HasSubstr("chainkms_rpc_requests_total{"));
  EXPECT_THAT(text, HasSubstr("Registry/GetKmsInfo"));
  EXPECT_THAT(text, HasSubstr("chainkms_transactions_total"));
}

}  // namespace
}  // namespace chainkms::registry
