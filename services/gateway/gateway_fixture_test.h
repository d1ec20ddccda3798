// Test fixture of the gateway: fake backends (provisioning, its admin service, registry, kms) on a
// real loopback gRPC server that record what reached them, and the gateway (gRPC proxies and the
// REST handler) in front of them over real channels.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "chainkms/v1/kms.grpc.pb.h"
#include "chainkms/v1/provisioning.grpc.pb.h"
#include "chainkms/v1/registry.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "lib/common/sync.h"
#include "lib/crypto/hash.h"
#include "lib/server/server.h"
#include "lib/testing/fake_clock.h"
#include "services/gateway/access.h"
#include "services/gateway/backends.h"
#include "services/gateway/gateway.h"
#include "services/gateway/grpc_proxies.h"
#include "services/gateway/rest_api.h"

namespace chainkms::gateway {
namespace {

namespace pb = ::chainkms::v1;

// What a fake backend saw of the last call.
struct Seen {
  std::string workspace;
  std::string request_id;
  absl::Duration deadline_left;
};

Seen SeenOf(const grpc::ServerContext* ctx) {
  Seen s;
  const auto& md = ctx->client_metadata();
  if (auto it = md.find("x-chainkms-workspace"); it != md.end()) {
    s.workspace.assign(it->second.data(), it->second.size());
  }
  if (auto it = md.find("x-request-id"); it != md.end()) {
    s.request_id.assign(it->second.data(), it->second.size());
  }
  s.deadline_left = absl::FromChrono(ctx->deadline()) - absl::Now();
  return s;
}

class FakeAdmin final : public pb::ProvisioningAdmin::Service {
 public:
  // Registers `key` (ck_<16 hex>_<64 hex>) for `workspace`.
  void Add(const std::string& key, const std::string& workspace, bool revoked = false) {
    chainkms::MutexLock l(&mu_);
    const Hash32 h = Sha256(ByteView(reinterpret_cast<const uint8_t*>(key.data()), key.size()));
    pb::LookupApiKeyResponse r;
    r.mutable_key()->set_id(key.substr(0, 19));
    r.mutable_key()->set_workspace(workspace);
    r.mutable_key()->set_revoked_at(revoked ? 1 : 0);
    r.set_secret_sha256(std::string(h.bytes.begin(), h.bytes.end()));
    keys_[key.substr(0, 19)] = r;
  }
  grpc::Status LookupApiKey(grpc::ServerContext*, const pb::LookupApiKeyRequest* req,
                            pb::LookupApiKeyResponse* resp) override {
    ++lookups;
    if (down) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "store down");
    chainkms::MutexLock l(&mu_);
    auto it = keys_.find(req->key_id());
    if (it == keys_.end()) return grpc::Status(grpc::StatusCode::NOT_FOUND, "no key");
    *resp = it->second;
    return grpc::Status::OK;
  }
  std::atomic<int> lookups{0};
  std::atomic<bool> down{false};

 private:
  chainkms::Mutex mu_;
  std::map<std::string, pb::LookupApiKeyResponse> keys_ ABSL_GUARDED_BY(mu_);
};

// Provisioning whose answers tests script; it records every call's metadata.
class FakeProvisioning final : public pb::Provisioning::Service {
 public:
  using Ctx = grpc::ServerContext;
  grpc::Status GetCvm(Ctx* ctx, const pb::GetCvmRequest* req, pb::GetCvmResponse* resp) override {
    Record(ctx);
    if (get_cvm) return get_cvm(*req, resp);
    resp->mutable_cvm()->set_id(req->cvm_id());
    return grpc::Status::OK;
  }
  grpc::Status PatchCvm(Ctx* ctx, const pb::PatchCvmRequest* req,
                        pb::PatchCvmResponse* resp) override {
    Record(ctx);
    last_patch = *req;
    if (patch) return patch(*req, resp);
    return grpc::Status::OK;
  }
  grpc::Status GetComposeFile(Ctx* ctx, const pb::GetComposeFileRequest*,
                              pb::GetComposeFileResponse* resp) override {
    Record(ctx);
    resp->set_app_compose(compose);
    return grpc::Status::OK;
  }
  grpc::Status CommitCvmUpdate(Ctx* ctx, const pb::CommitCvmUpdateRequest* req,
                               pb::CommitCvmUpdateResponse* resp) override {
    Record(ctx);
    resp->mutable_cvm()->set_id(req->cvm_id());
    return grpc::Status::OK;
  }
  grpc::Status GetPendingUpdate(Ctx* ctx, const pb::GetPendingUpdateRequest* req,
                                pb::GetPendingUpdateResponse* resp) override {
    Record(ctx);
    if (req->token() != "ckt_good")
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "unknown");
    resp->set_state("pending");
    resp->set_cvm_name(pending_name);
    pb::OnChainHashRequired* u = resp->mutable_update();
    u->set_compose_hash(std::string(32, '\xab'));
    u->set_app_id(std::string(20, '\xcd'));
    u->mutable_kms()->set_chain_id(8453);
    u->mutable_onchain_action()->set_method("addComposeHash(bytes32)");
    u->mutable_onchain_action()->set_calldata("\x1e\x07");
    return grpc::Status::OK;
  }
  grpc::Status ListKms(Ctx* ctx, const pb::ListKmsRequest*, pb::ListKmsResponse* resp) override {
    Record(ctx);
    pb::KmsRef* k = resp->add_kms();
    k->set_slug("anvil");
    k->set_chain_id(31337);
    k->set_kms_contract(std::string(20, '\x11'));
    k->set_url("http://127.0.0.1:1");
    return grpc::Status::OK;
  }

  void Record(Ctx* ctx) {
    ++calls;
    chainkms::MutexLock l(&mu);
    seen = SeenOf(ctx);
  }
  Seen Last() {
    chainkms::MutexLock l(&mu);
    return seen;
  }

  std::function<grpc::Status(const pb::GetCvmRequest&, pb::GetCvmResponse*)> get_cvm;
  std::function<grpc::Status(const pb::PatchCvmRequest&, pb::PatchCvmResponse*)> patch;
  pb::PatchCvmRequest last_patch;
  std::string pending_name = "web";
  std::string compose = R"({"docker_compose_file":"old","allowed_envs":["A"],"public_logs":true})";
  std::atomic<int> calls{0};
  chainkms::Mutex mu;
  Seen seen ABSL_GUARDED_BY(mu);
};

class FakeKms final : public pb::Kms::Service {
 public:
  grpc::Status GetAppEnvEncryptPubKey(grpc::ServerContext*,
                                      const pb::GetAppEnvEncryptPubKeyRequest* req,
                                      pb::GetAppEnvEncryptPubKeyResponse* resp) override {
    resp->set_chain_id(req->chain_id());
    resp->set_app_id(req->app_id());
    resp->set_public_key(std::string(32, '\x22'));
    resp->set_signature(std::string(65, '\x01'));
    resp->set_signature_v1(std::string(65, '\x02'));
    resp->set_timestamp(7);
    return grpc::Status::OK;
  }
};

// A valid-looking key: ck_<16 hex>_<64 hex> built from one digit.
std::string Key(char id, char secret = 'a') {
  return absl::StrCat("ck_", std::string(16, id), "_", std::string(64, secret));
}

class GatewayTestBase : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder b;
    int port = 0;
    b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    b.RegisterService(&admin_);
    b.RegisterService(&prov_);
    b.RegisterService(&kms_);
    backend_ = b.BuildAndStart();
    ASSERT_NE(backend_, nullptr);
    const std::string target = absl::StrCat("127.0.0.1:", port);
    backends_ = Backends::Connect(target, target, target, absl::Seconds(5));
    auth_ = std::make_unique<ApiKeyAuthenticator>(backends_->admin(), clock_, absl::Seconds(10));
    limiter_ = std::make_unique<RateLimiter>(clock_, rate_, burst_);
    gateway_ = std::make_unique<Gateway>(*backends_, *auth_, *limiter_, server_.serving());
    prov_proxy_ = std::make_unique<ProvisioningProxy>(*gateway_);
    reg_proxy_ = std::make_unique<RegistryProxy>(*gateway_);
    kms_proxy_ = std::make_unique<KmsProxy>(*gateway_);
    server_.AddService(prov_proxy_.get());
    server_.AddService(reg_proxy_.get());
    server_.AddService(kms_proxy_.get());
    ASSERT_TRUE(server_.Start().ok());
    auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_.port()),
                                       grpc::InsecureChannelCredentials());
    prov_stub_ = pb::Provisioning::NewStub(channel);
    reg_stub_ = pb::Registry::NewStub(channel);
    rest_ = std::make_unique<RestApi>(*gateway_, RestOptions{});
    admin_.Add(Key('1'), "ws-a");
    admin_.Add(Key('2'), "ws-b");
    admin_.Add(Key('3'), "ws-a", /*revoked=*/true);
  }
  void TearDown() override {
    server_.Stop();
    backend_->Shutdown();
  }

  std::unique_ptr<grpc::ClientContext> With(const std::string& key) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    if (!key.empty()) ctx->AddMetadata("x-api-key", key);
    ctx->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    return ctx;
  }
  HttpResponse Rest(const std::string& method, const std::string& path, const std::string& key,
                    const std::string& body = "",
                    std::vector<std::pair<std::string, std::string>> headers = {}) {
    HttpRequest r;
    r.method = method;
    const size_t q = path.find('?');
    r.path = path.substr(0, q);
    if (q != std::string::npos) r.query = path.substr(q + 1);
    r.body = body;
    r.remote = "127.0.0.1";
    if (!key.empty()) r.headers.emplace_back("x-api-key", key);
    for (auto& h : headers) r.headers.push_back(std::move(h));
    return rest_->Handle(r);
  }

  int64_t rate_ = 1000;
  int64_t burst_ = 1000;
  testutil::FakeClock clock_{absl::FromUnixSeconds(1700000000)};
  FakeAdmin admin_;
  FakeProvisioning prov_;
  FakeKms kms_;
  std::unique_ptr<grpc::Server> backend_;
  std::unique_ptr<Backends> backends_;
  std::unique_ptr<ApiKeyAuthenticator> auth_;
  std::unique_ptr<RateLimiter> limiter_;
  server::GrpcServer server_{{.config = server::TestServerConfig()}};
  std::unique_ptr<Gateway> gateway_;
  std::unique_ptr<ProvisioningProxy> prov_proxy_;
  std::unique_ptr<RegistryProxy> reg_proxy_;
  std::unique_ptr<KmsProxy> kms_proxy_;
  std::unique_ptr<pb::Provisioning::Stub> prov_stub_;
  std::unique_ptr<pb::Registry::Stub> reg_stub_;
  std::unique_ptr<RestApi> rest_;
};

}  // namespace
}  // namespace chainkms::gateway
