// Fail closed: every way the chain, the contract, the attestation setting or the audit sink can
// go wrong ends with no key and a clear status. The chain is reached through a proxy in front
// of anvil whose mode each test sets (pass, down, rate-limited, garbage, another chain).
#include <atomic>

#include "absl/cleanup/cleanup.h"
#include "lib/crypto/secp256k1.h"
#include "lib/kms/derive.h"
#include "lib/testing/http_test_server.h"
#include "nlohmann/json.hpp"
#include "services/kms/kms_fixture_test.h"

namespace chainkms::kms {
namespace {

using json = nlohmann::json;

enum class Mode { kPass, kDown, kRateLimited, kGarbage, kOtherChain };

// Answers a JSON-RPC request (single or batch) with a rate-limit error per call, as public
// endpoints do.
std::string RateLimitBody(const std::string& body) {
  const json req = json::parse(body, nullptr, false);
  auto one = [](const json& id) {
    return json{{"jsonrpc", "2.0"},
                {"id", id},
                {"error", {{"code", -32005}, {"message", "request rate limited, slow down"}}}};
  };
  if (req.is_array()) {
    json out = json::array();
    for (const json& r : req) out.push_back(one(r.value("id", json())));
    return out.dump();
  }
  return one(req.is_object() ? req.value("id", json()) : json()).dump();
}

class KmsFaultsTest : public KmsWorldTest {
 protected:
  static void SetUpTestSuite() {
    KmsWorldTest::SetUpTestSuite();
    if (error_ != nullptr) return;
    // Another chain (id 8453) with the same contracts at the same addresses.
    auto other = testutil::AnvilProcess::Start({.chain_id = 8453});
    if (!other.ok()) return Fail(other.status());
    other_ = other->release();
    auto t = CurlTransport::Create({.url = other_->url()});
    JsonRpcClient rpc(*t);
    TxManager txm(rpc, 8453, SystemClock::Get(), {.poll_interval = absl::Milliseconds(20)});
    testutil::DevnetOptions options;
    options.kms_info = world_->keys->OnChainInfo();
    auto net = testutil::DeployDevnet(rpc, txm, world_->owner, options);
    if (!net.ok() || net->kms != world_->net.kms) {
      return Fail(absl::InternalError("the other chain's DstackKms is not at the same address"));
    }
    proxy_ = new testutil::HttpTestServer([](const std::string& body) {
      switch (mode_.load()) {
        case Mode::kPass:
        case Mode::kOtherChain: {
          absl::StatusOr<std::string> r =
              (mode_.load() == Mode::kPass ? pass_ : other_pass_)->Post(body);
          if (!r.ok()) return testutil::HttpTestServer::Response{.status = 502};
          return testutil::HttpTestServer::Response{.body = *r};
        }
        case Mode::kDown:
          return testutil::HttpTestServer::Response{.status = 503, .body = "upstream down"};
        case Mode::kRateLimited:
          return testutil::HttpTestServer::Response{.body = RateLimitBody(body)};
        case Mode::kGarbage:
          return testutil::HttpTestServer::Response{.body = "<html>maintenance</html>"};
      }
      return testutil::HttpTestServer::Response{.status = 500};
    });
    pass_ = *CurlTransport::Create({.url = world_->anvil->url()});
    other_pass_ = *CurlTransport::Create({.url = other_->url()});
    if (absl::Status s = proxy_->Start(); !s.ok()) Fail(s);
  }
  static void TearDownTestSuite() {
    delete proxy_;
    delete other_;
    KmsWorldTest::TearDownTestSuite();
  }
  void SetUp() override {
    KmsWorldTest::SetUp();
    mode_.store(Mode::kPass);
  }

  // A harness whose chain goes through the proxy; its startup check has passed.
  std::unique_ptr<Harness> ProxiedHarness(HarnessOptions o = {}) {
    o.rpc_url = proxy_->url();
    auto h = MakeHarness(*world_, o);
    EXPECT_TRUE(h.ok()) << h.status();
    return h.ok() ? *std::move(h) : nullptr;
  }

  // UNAVAILABLE (the message holding `message_part`), nothing sealed, and an "error" audit line
  // with `reason`.
  void ExpectNoKey(Harness& h, const pb::GetAppKeyRequest& req, const std::string& reason,
                   const std::string& message_part = "") {
    pb::GetAppKeyResponse resp;
    const absl::Time start = absl::Now();
    grpc::Status s = h.GetAppKey(req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
    EXPECT_EQ(ReasonOf(s), reason) << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr(message_part));
    EXPECT_TRUE(resp.sealed_keys().empty());
    EXPECT_LT(absl::Now() - start, absl::Seconds(20));
    std::vector<json> lines = AuditLines(h.audit_path);
    if (h.audit_path != "/dev/full") {
      ASSERT_FALSE(lines.empty());
      EXPECT_EQ(lines.back()["decision"], "error");
      EXPECT_EQ(lines.back()["reason"], reason);
    }
  }

  // A harness through the proxy (startup check passed), then the proxy turns to `mode`: the next
  // allowed request gets no key.
  void ExpectNoKeyWhen(Mode mode, const std::string& message_part) {
    auto h = ProxiedHarness();
    ASSERT_NE(h, nullptr);
    mode_.store(mode);
    Recipient r;
    ExpectNoKey(*h, world_->DevRequest(r, *app_, kHash, kDevice), "CHAIN_UNAVAILABLE",
                message_part);
  }

  static inline testutil::AnvilProcess* other_ = nullptr;
  static inline testutil::HttpTestServer* proxy_ = nullptr;
  static inline std::atomic<Mode> mode_{Mode::kPass};
  static inline std::shared_ptr<CurlTransport> pass_;
  static inline std::shared_ptr<CurlTransport> other_pass_;
};

TEST_F(KmsFaultsTest, ThroughTheProxyAKeyIsReleasedWhenAllIsWell) {
  auto h = ProxiedHarness();
  ASSERT_NE(h, nullptr);
  Recipient r;
  pb::GetAppKeyResponse resp;
  grpc::Status s = h->GetAppKey(world_->DevRequest(r, *app_, kHash, kDevice), &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(resp.sealed_keys().empty());
}

TEST_F(KmsFaultsTest, ChainDownReleasesNoKey) { ExpectNoKeyWhen(Mode::kDown, "503"); }

TEST_F(KmsFaultsTest, ARateLimitBodyFromTheOnlyEndpointReleasesNoKey) {
  ExpectNoKeyWhen(Mode::kRateLimited, "rate limited");
}

TEST_F(KmsFaultsTest, AGarbageAnswerReleasesNoKey) { ExpectNoKeyWhen(Mode::kGarbage, ""); }

TEST_F(KmsFaultsTest, AnEndpointOnAnotherChainReleasesNoKey) {
  // The other chain has the same DstackKms address and would answer "App not registered"; the
  // getChainId inside the same eth_call shows it is chain 8453.
  ExpectNoKeyWhen(Mode::kOtherChain, "another chain (getChainId 8453, want 31337)");
}

TEST_F(KmsFaultsTest, AnAppContractThatRevertsReleasesNoKey) {
  // A registered "app" whose code reverts on every call (PUSH1 0 PUSH1 0 REVERT).
  const Address reverting = Fill<20>(0x5e);
  ASSERT_TRUE(
      world_->rpc->Call("anvil_setCode", json::array({Hex0x(reverting.view()), "0x60006000fd"}))
          .ok());
  ASSERT_OK(world_->Send(world_->net.kms, dstack_kms::RegisterApp(reverting)).status());
  auto h = ProxiedHarness();
  ASSERT_NE(h, nullptr);
  Recipient r;
  ExpectNoKey(*h, world_->DevRequest(r, reverting, kHash, kDevice), "CHAIN_UNAVAILABLE",
              "isAppAllowed gave no decision");
}

TEST_F(KmsFaultsTest, WithDevAttestationOffEveryDevRequestIsRefused) {
  auto h = ProxiedHarness({.dev_attestation = false});
  ASSERT_NE(h, nullptr);
  Recipient r;
  pb::GetAppKeyResponse resp;
  grpc::Status s = h->GetAppKey(world_->DevRequest(r, *app_, kHash, kDevice), &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ReasonOf(s), "ATTESTATION_REJECTED");
  EXPECT_THAT(s.error_message(), HasSubstr("--insecure-dev-attestation"));
  EXPECT_TRUE(resp.sealed_keys().empty());
  std::vector<json> lines = AuditLines(h->audit_path);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["decision"], "error");
  EXPECT_EQ(lines[0]["reason"], "ATTESTATION_REJECTED");
  grpc::ClientContext ctx;
  pb::GetMetaResponse meta;
  ASSERT_TRUE(h->stub->GetMeta(&ctx, pb::GetMetaRequest(), &meta).ok());
  EXPECT_FALSE(meta.dev_attestation());
}

TEST_F(KmsFaultsTest, AnUnwritableAuditSinkReleasesNoKeyWithinTheDeadline) {
  auto h = ProxiedHarness({.audit_path = "/dev/full"});
  ASSERT_NE(h, nullptr);
  Recipient r;
  pb::GetAppKeyResponse resp;
  grpc::Status s =
      h->GetAppKey(world_->DevRequest(r, *app_, kHash, kDevice), &resp, absl::Seconds(2));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_EQ(ReasonOf(s), "AUDIT_UNAVAILABLE");
  EXPECT_TRUE(resp.sealed_keys().empty());
  EXPECT_TRUE(resp.app_id().empty());
}

TEST_F(KmsFaultsTest, AChainWhoseKmsInfoIsAnotherKeyIsNotServedUntilItMatches) {
  // This replica mounts other root keys than the ones registered on chain.
  auto h = MakeHarness(*world_, {.check_chains = false});
  ASSERT_TRUE(h.ok()) << h.status();
  const std::string other_dir = world_->dir + "/other-keys";
  ASSERT_OK_AND_ASSIGN(RootKeys other, InitKeyDir(other_dir, absl::Now()));
  // Register the other keys on chain, then put ours back whatever happens.
  absl::Cleanup restore = [&] {
    (void)world_->Send(world_->net.kms, dstack_kms::SetKmsInfo(world_->keys->OnChainInfo()));
  };
  ASSERT_OK(world_->Send(world_->net.kms, dstack_kms::SetKmsInfo(other.OnChainInfo())).status());
  EXPECT_FALSE((*h)->kms->CheckChains());
  EXPECT_FALSE((*h)->kms->AllChainsServing());
  Recipient r;
  pb::GetAppKeyResponse resp;
  grpc::Status s = (*h)->GetAppKey(world_->DevRequest(r, *app_, kHash, kDevice), &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ReasonOf(s), "CHAIN_NOT_SERVING");
  EXPECT_THAT(s.error_message(), HasSubstr("k256Pubkey"));
  EXPECT_THAT(s.error_message(), HasSubstr(Hex0x(world_->keys->K256PublicKey().view())));
  pb::GetAppEnvEncryptPubKeyResponse pub;
  EXPECT_EQ(ReasonOf((*h)->EnvPubKey(*app_, &pub)), "CHAIN_NOT_SERVING");
  grpc::ClientContext ctx;
  pb::GetMetaResponse meta;
  ASSERT_TRUE((*h)->stub->GetMeta(&ctx, pb::GetMetaRequest(), &meta).ok());
  ASSERT_EQ(meta.chains_size(), 1);
  EXPECT_FALSE(meta.chains(0).serving());
  EXPECT_THAT(meta.chains(0).not_serving_reason(), HasSubstr("not the loaded root key"));
  // The operator registers the right keys; the next check serves the chain.
  ASSERT_OK(
      world_->Send(world_->net.kms, dstack_kms::SetKmsInfo(world_->keys->OnChainInfo())).status());
  EXPECT_TRUE((*h)->kms->CheckChains());
  EXPECT_TRUE((*h)->GetAppKey(world_->DevRequest(r, *app_, kHash, kDevice), &resp).ok());
}

TEST_F(KmsFaultsTest, TwoChainsServeWithTheirOwnRootKeysAndTheSameAppGetsDifferentKeys) {
  // Chain 8453 gets its own root keys, registered in its DstackKms; put the world's back after.
  ASSERT_OK_AND_ASSIGN(RootKeys base_keys, InitKeyDir(world_->dir + "/keys/8453", absl::Now()));
  auto t = CurlTransport::Create({.url = other_->url()});
  ASSERT_TRUE(t.ok());
  JsonRpcClient rpc(*t);
  TxManager txm(rpc, 8453, SystemClock::Get(), {.poll_interval = absl::Milliseconds(20)});
  auto set_info = [&](const KmsInfo& info) {
    return testutil::SendAndWait(txm, world_->owner, world_->net.kms, dstack_kms::SetKmsInfo(info));
  };
  absl::Cleanup restore = [&] { (void)set_info(world_->keys->OnChainInfo()); };
  ASSERT_OK(set_info(base_keys.OnChainInfo()).status());

  server::GrpcServer srv({.config = server::TestServerConfig(), .start_ready = false});
  ChainSet chains;
  for (auto [id, url] : {std::pair<uint64_t, std::string>{31337, world_->anvil->url()},
                         std::pair<uint64_t, std::string>{8453, other_->url()}}) {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Chain> chain,
                         ConnectChain({.chain_id = id, .rpc_urls = {url}, .kms = world_->net.kms},
                                      {.check_chain_id = false}, SystemClock::Get()));
    chains.Add(std::move(chain));
  }
  std::map<uint64_t, RootKeys> keys;
  keys.emplace(31337, *LoadKeyDir(world_->key_dir));
  keys.emplace(8453, *LoadKeyDir(world_->dir + "/keys/8453"));
  DevAttestationVerifier dev;
  EvidenceRouter router(&dev, nullptr);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<AuditLog> audit,
                       AuditLog::Open(world_->dir + "/two-chains.log", "kms-2"));
  KmsService kms(std::move(chains), std::move(keys), router, *audit, srv.serving(),
                 SystemClock::Get(), {.dev_attestation = true});
  srv.AddService(&kms);
  ASSERT_OK(srv.Start());
  absl::Cleanup stop = [&] { srv.Stop(); };
  ASSERT_TRUE(kms.CheckChains());
  auto stub = pb::Kms::NewStub(grpc::CreateChannel(absl::StrCat("127.0.0.1:", srv.port()),
                                                   grpc::InsecureChannelCredentials()));
  std::map<uint64_t, std::string> pub_by_chain;
  for (uint64_t id : {uint64_t{31337}, uint64_t{8453}}) {
    grpc::ClientContext ctx;
    pb::GetAppEnvEncryptPubKeyRequest req;
    req.set_chain_id(id);
    req.set_app_id(Raw(*app_));
    pb::GetAppEnvEncryptPubKeyResponse resp;
    ASSERT_TRUE(stub->GetAppEnvEncryptPubKey(&ctx, req, &resp).ok()) << id;
    pub_by_chain[id] = resp.public_key();
    // Signed by that chain's root k256 key.
    auto sig = RecoverableSignature::FromBytes(AsBytes(resp.signature()));
    ASSERT_TRUE(sig.ok());
    auto signer = RecoverPublicKey(
        EnvPublicKeyDigestLegacy(*app_, *Hash32::TryFrom(AsBytes(resp.public_key()))), *sig);
    ASSERT_TRUE(signer.ok());
    EXPECT_EQ(signer->Compressed(),
              id == 31337 ? world_->keys->K256PublicKey() : base_keys.K256PublicKey());
  }
  EXPECT_NE(pub_by_chain[31337], pub_by_chain[8453]);
  // The app exists only on 31337: the request is decided by the chain it names.
  Recipient r;
  pb::GetAppKeyResponse resp;
  grpc::ClientContext ctx;
  EXPECT_TRUE(stub->GetAppKey(&ctx, world_->DevRequest(r, *app_, kHash, kDevice), &resp).ok());
  pb::GetAppKeyRequest on_base = world_->DevRequest(r, *app_, kHash, kDevice);
  on_base.set_chain_id(8453);
  on_base.mutable_dev()->set_key_provider_id(Raw(base_keys.CaSpkiDer()));
  grpc::ClientContext ctx2;
  grpc::Status denied = stub->GetAppKey(&ctx2, on_base, &resp);
  EXPECT_EQ(ReasonOf(denied), "BOOT_DENIED");
  EXPECT_EQ(MetadataValue(denied, "contract_reason"), "App not registered");
  grpc::ClientContext ctx3;
  pb::GetMetaResponse meta;
  ASSERT_TRUE(stub->GetMeta(&ctx3, pb::GetMetaRequest(), &meta).ok());
  EXPECT_EQ(meta.chains_size(), 2);
}

TEST_F(KmsFaultsTest, DecisionsArePinnedConfirmationsBehindTheHead) {
  ASSERT_TRUE(world_->rpc->Call("anvil_mine", json::array({"0x5"})).ok());
  auto h = ProxiedHarness({.confirmations = 3});
  ASSERT_NE(h, nullptr);
  Recipient r;
  pb::GetAppKeyResponse resp;
  ASSERT_TRUE(h->GetAppKey(world_->DevRequest(r, *app_, kHash, kDevice), &resp).ok());
  absl::StatusOr<json> head =
      world_->rpc->Call("eth_getBlockByNumber", json::array({"latest", false}));
  ASSERT_TRUE(head.ok());
  const uint64_t head_number = std::stoull((*head)["number"].get<std::string>(), nullptr, 16);
  EXPECT_EQ(resp.block_number() + 3, head_number);
  absl::StatusOr<json> pinned =
      world_->rpc->Call("eth_getBlockByNumber",
                        json::array({absl::StrCat("0x", absl::Hex(resp.block_number())), false}));
  ASSERT_TRUE(pinned.ok());
  EXPECT_EQ(Hex0x(AsBytes(resp.block_hash())), (*pinned)["hash"].get<std::string>());
}

}  // namespace
}  // namespace chainkms::kms
