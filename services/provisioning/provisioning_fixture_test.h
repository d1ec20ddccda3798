// Test-only: the ProvisioningTest fixture (one replica over SQLite in a temp dir, with helpers for
// each flow) and its parts — a ProvisioningService on a real gRPC server over a real Store, with
// the registry replaced by a gMock stub that answers from an in-memory chain (FakeChain): which
// apps are registered, which hashes and devices each allows, which transactions prove what. Several
// harnesses may share one database and one FakeChain (replicas).
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>

#include "chainkms/v1/provisioning.grpc.pb.h"
#include "chainkms/v1/registry_mock.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "lib/common/hex.h"
#include "lib/common/reason.h"
#include "lib/common/sync.h"
#include "lib/compose/app_compose.h"
#include "lib/server/server.h"
#include "lib/server/status.h"
#include "lib/testing/fake_clock.h"
#include "lib/testing/temp_dir.h"
#include "services/provisioning/node_driver.h"
#include "services/provisioning/outbox.h"
#include "services/provisioning/provisioning_admin.h"
#include "services/provisioning/provisioning_service.h"
#include "services/provisioning/registry_client.h"
#include "services/provisioning/store.h"

namespace chainkms::provisioning {
namespace {

namespace pb = ::chainkms::v1;
using ::testing::_;
using ::testing::Invoke;

constexpr uint64_t kChainId = 31337;

std::string RawOf(ByteView b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}
template <size_t N>
std::string RawOf(const FixedBytes<N>& b) {
  return RawOf(ByteView(b.bytes));
}
[[maybe_unused]] Hash32 HashOf(uint8_t b) {
  Hash32 h;
  h.bytes.fill(b);
  return h;
}

// What the mocked registry answers; every answer is read under the lock, so tests change the
// chain between calls (owner approves, hash removed, RPC down).
struct FakeChain {
  chainkms::Mutex mu;
  std::string kms_contract = std::string(20, '\x5f');
  std::string k256 = std::string(1, '\x02') + std::string(32, '\x11');
  std::set<std::string> registered;        // raw app ids
  std::set<std::string> hashes;            // app + hash
  std::set<std::string> devices;           // app + device
  std::set<std::string> allow_any;         // raw app ids
  std::map<std::string, std::string> txs;  // raw tx hash → app + hash it registered
  std::set<std::string> reverted;          // raw tx hashes that reverted
  bool down = false;
  int calls = 0;

  void AllowHash(const std::string& app, const std::string& hash) {
    chainkms::MutexLock l(&mu);
    hashes.insert(app + hash);
  }
  void RemoveHash(const std::string& app, const std::string& hash) {
    chainkms::MutexLock l(&mu);
    hashes.erase(app + hash);
  }
  void Register(const std::string& app, const std::string& hash, const std::string& device) {
    chainkms::MutexLock l(&mu);
    registered.insert(app);
    hashes.insert(app + hash);
    devices.insert(app + device);
  }
  // A mined addComposeHash: the hash becomes allowed and the tx proves it.
  void Mine(const std::string& tx, const std::string& app, const std::string& hash) {
    chainkms::MutexLock l(&mu);
    txs[tx] = app + hash;
    hashes.insert(app + hash);
  }
  void SetDown(bool d) {
    chainkms::MutexLock l(&mu);
    down = d;
  }

  grpc::Status Unavailable() {
    return server::ToGrpcStatus(WithReason(absl::UnavailableError("no RPC endpoint answered"),
                                           Reason::kChainUnavailable, {{"chain_id", "31337"}}));
  }

  void Install(pb::MockRegistryStub& stub) {
    ON_CALL(stub, GetKmsInfo(_, _, _))
        .WillByDefault(Invoke(
            [this](grpc::ClientContext*, const pb::GetKmsInfoRequest&, pb::GetKmsInfoResponse* r) {
              chainkms::MutexLock l(&mu);
              ++calls;
              if (down) return Unavailable();
              r->set_kms_contract(kms_contract);
              r->mutable_kms_info()->set_k256_pubkey(k256);
              return grpc::Status::OK;
            }));
    ON_CALL(stub, GetApp(_, _, _))
        .WillByDefault(
            Invoke([this](grpc::ClientContext*, const pb::GetAppRequest& q, pb::GetAppResponse* r) {
              chainkms::MutexLock l(&mu);
              ++calls;
              if (down) return Unavailable();
              r->set_app_id(q.app_id());
              r->set_registered(registered.count(q.app_id()) > 0);
              return grpc::Status::OK;
            }));
    ON_CALL(stub, CheckPrerequisites(_, _, _))
        .WillByDefault(Invoke([this](grpc::ClientContext*, const pb::CheckPrerequisitesRequest& q,
                                     pb::CheckPrerequisitesResponse* r) {
          chainkms::MutexLock l(&mu);
          ++calls;
          if (down) return Unavailable();
          bool all = true;
          for (const std::string& h : q.compose_hashes()) {
            const bool ok = hashes.count(q.app_id() + h) > 0;
            r->add_compose_hash_allowed(ok);
            all = all && ok;
          }
          const bool any = allow_any.count(q.app_id()) > 0;
          for (const std::string& d : q.device_ids()) {
            const bool ok = any || devices.count(q.app_id() + d) > 0;
            r->add_device_id_allowed(ok);
            all = all && ok;
          }
          r->set_allow_any_device(any);
          r->set_all_allowed(all);
          r->set_block_number(7);
          return grpc::Status::OK;
        }));
    ON_CALL(stub, VerifyComposeHashTransaction(_, _, _))
        .WillByDefault(Invoke([this](grpc::ClientContext*,
                                     const pb::VerifyComposeHashTransactionRequest& q,
                                     pb::VerifyComposeHashTransactionResponse* r) {
          chainkms::MutexLock l(&mu);
          ++calls;
          if (down) return Unavailable();
          r->set_compose_hash_allowed(hashes.count(q.app_id() + q.compose_hash()) > 0);
          auto it = txs.find(q.tx_hash());
          if (reverted.count(q.tx_hash()) > 0) {
            r->set_failure(pb::VERIFICATION_FAILURE_REVERTED);
            r->set_detail("the transaction reverted");
          } else if (it == txs.end()) {
            return server::ToGrpcStatus(WithReason(
                absl::NotFoundError("no such transaction"), Reason::kTransactionNotFound,
                {{"tx_hash", Hex0x(ByteView(reinterpret_cast<const uint8_t*>(q.tx_hash().data()),
                                            q.tx_hash().size()))}}));
          } else if (it->second.substr(0, 20) != q.app_id()) {
            r->set_failure(pb::VERIFICATION_FAILURE_WRONG_TARGET);
            r->set_detail("no ComposeHashAdded from the app");
          } else if (it->second.substr(20) != q.compose_hash()) {
            r->set_failure(pb::VERIFICATION_FAILURE_HASH_MISMATCH);
            r->set_detail("ComposeHashAdded for another hash");
          } else {
            r->set_verified(true);
          }
          r->set_block_number(7);
          return grpc::Status::OK;
        }));
  }
};

// One provisioning replica.
class Harness {
 public:
  Harness(const std::string& db_url, FakeChain& chain, Clock& clock,
          ProvisioningOptions options = DefaultOptions()) {
    chain.Install(registry_stub_);
    auto store = ProvisioningStore::Open(db_url, {}, &server_.metrics());
    EXPECT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    registry_ = std::make_unique<RegistryClient>(registry_stub_, clock);
    NodeConfig node{.name = "node-1", .device_id = HashOf(0xd1), .os_image_hash = HashOf(0x05)};
    NodeConfig node2{.name = "node-2", .device_id = HashOf(0xd2), .os_image_hash = HashOf(0x05)};
    nodes_ = *NodePool::Create({node, node2}, [this](const std::string& id, const std::string& s,
                                                     const std::string& reason) {
      if (service_) service_->OnNodeStatus(id, s, reason);
    });
    service_ = std::make_unique<ProvisioningService>(*store_, *registry_, *nodes_,
                                                     server_.serving(), clock, options);
    server_.AddService(service_.get());
    admin_ = std::make_unique<ProvisioningAdminService>(*store_, server_.serving(), clock);
    server_.AddService(admin_.get());
    EXPECT_TRUE(server_.Start().ok());
    auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_.port()),
                                       grpc::InsecureChannelCredentials());
    stub_ = pb::Provisioning::NewStub(channel);
    admin_stub_ = pb::ProvisioningAdmin::NewStub(channel);
  }
  ~Harness() {
    server_.Stop();
    service_.reset();
  }

  static ProvisioningOptions DefaultOptions() {
    return {.kms = {{.slug = "anvil", .chain_id = kChainId, .url = "http://127.0.0.1:1"}},
            .public_url = "https://chainkms.example",
            .webhook_allow_private = true};
  }

  pb::Provisioning::Stub& stub() { return *stub_; }
  pb::ProvisioningAdmin::Stub& admin() { return *admin_stub_; }
  ProvisioningStore& store() { return *store_; }
  FakeNodeDriver& driver(const std::string& node = "node-1") {
    return *static_cast<FakeNodeDriver*>(nodes_->driver(node));
  }
  RegistryClient& registry() { return *registry_; }
  server::GrpcServer& server() { return server_; }

 private:
  server::GrpcServer server_{{.config = server::TestServerConfig()}};
  ::testing::NiceMock<pb::MockRegistryStub> registry_stub_;
  std::unique_ptr<ProvisioningStore> store_;
  std::unique_ptr<RegistryClient> registry_;
  std::unique_ptr<NodePool> nodes_;
  std::unique_ptr<ProvisioningService> service_;
  std::unique_ptr<ProvisioningAdminService> admin_;
  std::unique_ptr<pb::Provisioning::Stub> stub_;
  std::unique_ptr<pb::ProvisioningAdmin::Stub> admin_stub_;
};

// A client context in workspace `ws` ("" = none).
[[maybe_unused]] std::unique_ptr<grpc::ClientContext> In(const std::string& ws) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (!ws.empty()) ctx->AddMetadata("x-chainkms-workspace", ws);
  return ctx;
}

[[maybe_unused]] constexpr char kCompose[] = "services:\n  web:\n    image: nginx\n";
[[maybe_unused]] const std::string kApp = std::string(20, '\xaa');
[[maybe_unused]] const std::string kDevice1 = RawOf(HashOf(0xd1));

[[maybe_unused]] std::string Meta(const grpc::Status& s, const std::string& key) {
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

}  // namespace
}  // namespace chainkms::provisioning
