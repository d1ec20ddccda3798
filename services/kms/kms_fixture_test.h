// Test-only: the world of the kms's anvil tests — a real anvil with the devnet contracts whose
// DstackKms kmsInfo holds freshly made root keys, helpers to deploy apps and send policy
// transactions, and a harness that serves an in-process KmsService over gRPC. Each test file
// that includes it gets its own anvil (the anonymous namespace makes the world per file).
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "chainkms/v1/kms.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "lib/chain/chain_set.h"
#include "lib/chain/contracts.h"
#include "lib/chain/signer.h"
#include "lib/chain/tx_manager.h"
#include "lib/common/clock.h"
#include "lib/common/hex.h"
#include "lib/crypto/random.h"
#include "lib/crypto/x25519.h"
#include "lib/jsonrpc/client.h"
#include "lib/jsonrpc/curl_transport.h"
#include "lib/kms/attestation.h"
#include "lib/kms/audit.h"
#include "lib/kms/root_keys.h"
#include "lib/kms/sealed.h"
#include "lib/server/proto_fields.h"
#include "lib/server/server.h"
#include "lib/server/status.h"
#include "lib/testing/anvil.h"
#include "lib/testing/devnet.h"
#include "lib/testing/status_matchers.h"
#include "lib/testing/temp_dir.h"
#include "nlohmann/json.hpp"
#include "services/kms/kms_service.h"

namespace chainkms::kms {
namespace {

namespace pb = ::chainkms::v1;
using ::chainkms::testutil::HasMetadata;
using ::chainkms::testutil::HasReason;
using ::chainkms::testutil::StatusIs;
using ::testing::HasSubstr;

constexpr uint64_t kChainId = 31337;
// anvil's account 0: deployer and owner of everything.
constexpr char kKey0[] = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

using server::Raw;  // bytes → a proto bytes field (lib/server/proto_fields.h)
template <size_t N>
FixedBytes<N> Fill(uint8_t v) {
  FixedBytes<N> out;
  out.bytes.fill(v);
  return out;
}
[[maybe_unused]] std::string ReasonOf(const grpc::Status& s) {
  return server::ReasonOf(s).value_or("<none>");
}
[[maybe_unused]] std::string MetadataValue(const grpc::Status& s, const std::string& key) {
  std::map<std::string, std::string> m = testutil::ViewOf(s).metadata;
  auto it = m.find(key);
  return it == m.end() ? "<none>" : it->second;
}

// A fresh X25519 key pair, as a CVM makes per request.
struct Recipient {
  SecretBytes priv = RandomSecret(32);
  Hash32 pub = X25519PublicKey(std::span<const uint8_t, 32>(priv.data(), 32));
};

// The chain and keys every test of a file shares.
struct World {
  std::unique_ptr<testutil::AnvilProcess> anvil;
  std::shared_ptr<CurlTransport> transport;
  std::unique_ptr<JsonRpcClient> rpc;
  std::unique_ptr<TxManager> txm;
  std::shared_ptr<Signer> owner;
  testutil::Devnet net;
  testutil::TempDir tmp;
  std::string dir;  // tmp's path: keys/, audit logs
  std::string key_dir;
  std::unique_ptr<RootKeys> keys;
  std::string gateway_app_id = "gateway-app-under-test";

  absl::StatusOr<Receipt> Send(const Address& to, Bytes data) {
    return testutil::SendAndWait(*txm, owner, to, std::move(data));
  }

  // deployAndRegisterApp with the owner; the new app id.
  absl::StatusOr<Address> DeployApp(AppPolicyInit init) {
    init.owner = owner->address();
    ASSIGN_OR_RETURN(Receipt r, Send(net.kms, dstack_kms::DeployAndRegisterApp(init)));
    for (const ContractEvent& e : r.EventsFrom(net.kms)) {
      if (const auto* d = std::get_if<AppDeployedViaFactory>(&e)) return d->app_id;
    }
    return absl::InternalError("no AppDeployedViaFactory event");
  }

  // A dev attestation of this boot, bound to `r` and naming this chain's root CA.
  pb::GetAppKeyRequest DevRequest(const Recipient& r, const Address& app, const Hash32& compose,
                                  const Hash32& device, std::string tcb = "UpToDate") const {
    pb::GetAppKeyRequest req;
    req.set_chain_id(kChainId);
    req.set_recipient_public_key(Raw(r.pub));
    pb::DevAttestation* dev = req.mutable_dev();
    pb::AppBootInfo* b = dev->mutable_boot_info();
    b->set_app_id(Raw(app));
    b->set_compose_hash(Raw(compose));
    b->set_instance_id(Raw(Fill<20>(0x11)));
    b->set_device_id(Raw(device));
    b->set_mr_aggregated(Raw(Fill<32>(0xa1)));
    b->set_mr_system(Raw(Fill<32>(0xa2)));
    b->set_os_image_hash(Raw(net.os_image_hash));
    b->set_tcb_status(tcb);
    dev->set_key_provider_id(Raw(keys->CaSpkiDer()));
    dev->set_report_data(Raw(KeyRequestReportData(r.pub)));
    return req;
  }
};

absl::StatusOr<std::unique_ptr<World>> MakeWorld() {
  auto w = std::make_unique<World>();
  if (w->tmp.path().empty()) return absl::InternalError("mkdtemp");
  w->dir = w->tmp.path();
  w->key_dir = w->dir + "/keys/31337";
  ASSIGN_OR_RETURN(RootKeys made, InitKeyDir(w->key_dir, absl::Now()));
  w->keys = std::make_unique<RootKeys>(std::move(made));
  ASSIGN_OR_RETURN(w->anvil, testutil::AnvilProcess::Start({}));
  ASSIGN_OR_RETURN(w->transport, CurlTransport::Create({.url = w->anvil->url()}));
  w->rpc = std::make_unique<JsonRpcClient>(w->transport);
  w->txm = std::make_unique<TxManager>(*w->rpc, kChainId, SystemClock::Get(),
                                       TxManagerOptions{.poll_interval = absl::Milliseconds(20)});
  w->owner = std::make_shared<LocalKeySigner>(*Secp256k1PrivateKey::FromBytes(*HexDecode(kKey0)));
  testutil::DevnetOptions options;
  options.kms_info = w->keys->OnChainInfo();
  options.gateway_app_id = w->gateway_app_id;
  ASSIGN_OR_RETURN(w->net, testutil::DeployDevnet(*w->rpc, *w->txm, w->owner, options));
  return w;
}

struct HarnessOptions {
  std::string rpc_url;  // default: the world's anvil
  bool dev_attestation = true;
  AttestationVerifier* tdx = nullptr;  // not owned; null = TDX refused
  std::string audit_path;              // default: <world dir>/audit-<n>.log
  uint64_t confirmations = 0;
  bool check_chains = true;  // run the startup check before returning
};

// An in-process KmsService on a GrpcServer (port 0) over one chain, with its stub.
struct Harness {
  std::unique_ptr<Chain> chain_owner;
  DevAttestationVerifier dev;
  std::unique_ptr<EvidenceRouter> router;
  std::unique_ptr<AuditLog> audit;
  std::string audit_path;
  std::unique_ptr<server::GrpcServer> server;
  std::unique_ptr<KmsService> kms;
  std::unique_ptr<pb::Kms::Stub> stub;

  ~Harness() {
    if (server) server->Stop();
  }

  grpc::Status GetAppKey(const pb::GetAppKeyRequest& req, pb::GetAppKeyResponse* resp,
                         absl::Duration deadline = absl::Seconds(30)) {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
    return stub->GetAppKey(&ctx, req, resp);
  }
  grpc::Status EnvPubKey(const Address& app, pb::GetAppEnvEncryptPubKeyResponse* resp) {
    grpc::ClientContext ctx;
    pb::GetAppEnvEncryptPubKeyRequest req;
    req.set_chain_id(kChainId);
    req.set_app_id(Raw(app));
    return stub->GetAppEnvEncryptPubKey(&ctx, req, resp);
  }
};

[[maybe_unused]] absl::StatusOr<std::unique_ptr<Harness>> MakeHarness(World& w,
                                                                      HarnessOptions o = {}) {
  static int counter = 0;
  auto h = std::make_unique<Harness>();
  h->router = std::make_unique<EvidenceRouter>(o.dev_attestation ? &h->dev : nullptr, o.tdx);
  h->audit_path =
      o.audit_path.empty() ? absl::StrCat(w.dir, "/audit-", ++counter, ".log") : o.audit_path;
  ASSIGN_OR_RETURN(h->audit, AuditLog::Open(h->audit_path, "kms-test"));
  h->server = std::make_unique<server::GrpcServer>(
      server::GrpcServerOptions{.config = server::TestServerConfig(), .start_ready = false});
  ChainSet chains;
  ASSIGN_OR_RETURN(std::unique_ptr<Chain> chain,
                   ConnectChain({.chain_id = kChainId,
                                 .rpc_urls = {o.rpc_url.empty() ? w.anvil->url() : o.rpc_url},
                                 .kms = w.net.kms},
                                {.metrics = &h->server->metrics(), .check_chain_id = false},
                                SystemClock::Get()));
  chains.Add(std::move(chain));
  ASSIGN_OR_RETURN(RootKeys keys, LoadKeyDir(w.key_dir));
  std::map<uint64_t, RootKeys> key_map;
  key_map.emplace(kChainId, std::move(keys));
  h->kms = std::make_unique<KmsService>(
      std::move(chains), std::move(key_map), *h->router, *h->audit, h->server->serving(),
      SystemClock::Get(),
      KmsOptions{.dev_attestation = o.dev_attestation, .confirmations = o.confirmations});
  h->server->AddService(h->kms.get());
  RETURN_IF_ERROR(h->server->Start());
  if (o.check_chains && !h->kms->CheckChains()) {
    return absl::FailedPreconditionError("the startup check did not pass");
  }
  h->stub = pb::Kms::NewStub(grpc::CreateChannel(absl::StrCat("127.0.0.1:", h->server->port()),
                                                 grpc::InsecureChannelCredentials()));
  return h;
}

// The compose hash and device every file's first app allows.
const Hash32 kHash = Fill<32>(0xc1);
const Hash32 kDevice = Fill<32>(0xd1);

// The base of each kms anvil test file: one World and one app allowing (kHash, kDevice) per file.
// Tests skip, with the reason, when the world could not be built; a file's fixture extends
// SetUpTestSuite (calling this one first and returning when error_ is set).
class KmsWorldTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto w = MakeWorld();
    if (!w.ok()) return Fail(w.status());
    world_ = w->release();
    auto app = world_->DeployApp({.device_id = kDevice, .compose_hash = kHash});
    if (!app.ok()) return Fail(app.status());
    app_ = new Address(*app);
  }
  static void TearDownTestSuite() {
    delete world_;
    world_ = nullptr;
  }
  void SetUp() override {
    if (error_ != nullptr) GTEST_SKIP() << "no world: " << *error_;
  }
  static void Fail(const absl::Status& s) {
    if (error_ == nullptr) error_ = new std::string(s.ToString());
  }

  static inline std::string* error_ = nullptr;
  static inline World* world_ = nullptr;
  static inline Address* app_ = nullptr;
};

// Every line of an audit log, parsed.
[[maybe_unused]] std::vector<nlohmann::json> AuditLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<nlohmann::json> out;
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

}  // namespace
}  // namespace chainkms::kms
