// Test-only: the fixture of the registry's anvil tests — an in-process RegistryService over a
// real anvil with the devnet contracts, called through the generated stub. Each test file that
// includes it gets its own anvil (the anonymous namespace makes the fixture per file).
#pragma once

#include "services/registry/registry_service.h"

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
#include "lib/chain/chain_set.h"
#include "lib/chain/signer_set.h"
#include "lib/chain/tx_manager.h"
#include "lib/common/clock.h"
#include "lib/common/hex.h"
#include "lib/common/u256.h"
#include "lib/crypto/keccak.h"
#include "lib/crypto/secp256k1.h"
#include "lib/eth/address.h"
#include "lib/eth/transaction.h"
#include "lib/jsonrpc/client.h"
#include "lib/jsonrpc/curl_transport.h"
#include "lib/server/server.h"
#include "lib/server/status.h"
#include "lib/testing/anvil.h"
#include "lib/testing/devnet.h"
#include "lib/testing/scrape_metrics.h"
#include "lib/testing/status_matchers.h"
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
[[maybe_unused]] constexpr char kKey0[] =
    "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
[[maybe_unused]] constexpr char kKey1[] =
    "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
// anvil account 3: a key the server does not hold (a caller signing for itself).
[[maybe_unused]] constexpr char kKey3[] =
    "7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6";
// anvil account 2: unlocked in anvil, not loaded in the server.
[[maybe_unused]] constexpr char kAccount2[] = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";

[[maybe_unused]] std::shared_ptr<Signer> SignerFor(const char* hex) {
  Bytes k = *HexDecode(hex);
  return std::make_shared<LocalKeySigner>(*Secp256k1PrivateKey::FromBytes(k));
}
std::string Raw(ByteView b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}
template <size_t N>
std::string Raw(const FixedBytes<N>& b) {
  return Raw(ByteView(b.bytes));
}
[[maybe_unused]] std::string H(std::string_view label) { return Raw(Keccak256(AsBytes(label))); }

[[maybe_unused]] std::string Scrape(int port) {
  absl::StatusOr<std::string> text = testutil::ScrapeMetrics(port);
  EXPECT_TRUE(text.ok()) << text.status();
  return text.ok() ? *text : std::string();
}

[[maybe_unused]] std::string ReasonOf(const grpc::Status& s) {
  return server::ReasonOf(s).value_or("<none>");
}

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
    auto chain =
        ConnectChain({.chain_id = kChainId, .rpc_urls = {anvil_->url()}, .kms = net_->kms},
                     {.tx_poll_interval = absl::Milliseconds(50), .metrics = &server_->metrics()},
                     SystemClock::Get());
    if (!chain.ok()) {
      *error_ = absl::StrCat("connect: ", chain.status().ToString());
      return;
    }
    auto signers = std::make_shared<SignerSet>();
    if (absl::Status s = signers->Add(*Secp256k1PrivateKey::FromBytes(*HexDecode(kKey0)));
        !s.ok()) {
      *error_ = s.ToString();
      return;
    }
    if (absl::Status s = signers->Add(*Secp256k1PrivateKey::FromBytes(*HexDecode(kKey1)));
        !s.ok()) {
      *error_ = s.ToString();
      return;
    }
    owner_ = new Address(SignerFor(kKey0)->address());
    other_ = new Address(SignerFor(kKey1)->address());
    ChainSet chains;
    chains.Add(std::move(*chain));
    service_ =
        new RegistryService(std::move(chains), signers, server_->serving(), SystemClock::Get(),
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

#define EXPECT_RPC_OK(call)                                      \
  do {                                                           \
    grpc::ClientContext ctx_;                                    \
    grpc::Status s_ = (call);                                    \
    EXPECT_TRUE(s_.ok()) << #call << ": " << s_.error_message(); \
  } while (0)

}  // namespace
}  // namespace chainkms::registry
