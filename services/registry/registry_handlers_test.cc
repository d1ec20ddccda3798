// RegistryService handlers without anvil: the service runs in-process over a scripted node
// (lib/testing/scripted_rpc.h), so edge validation, reasons with their metadata and the number of
// JSON-RPC round trips per decision are checked without a chain.
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "lib/chain/chain_set.h"
#include "lib/chain/contracts.h"
#include "lib/common/hex.h"
#include "lib/common/u256.h"
#include "lib/crypto/secp256k1.h"
#include "lib/eth/address.h"
#include "lib/eth/transaction.h"
#include "lib/server/server.h"
#include "lib/testing/scripted_rpc.h"
#include "lib/testing/status_matchers.h"
#include "services/registry/registry_service.h"

namespace chainkms::registry {
namespace {

namespace pb = ::chainkms::v1;
using ::chainkms::testutil::HasMetadata;
using ::chainkms::testutil::HasReason;
using ::chainkms::testutil::ScriptedRpc;
using ::chainkms::testutil::StatusIs;
using ::testing::HasSubstr;

constexpr uint64_t kChainId = 31337;
constexpr uint64_t kHead = 0x40;
constexpr char kKey0[] = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

std::string Raw(ByteView b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}
Bytes Word(bool b) {
  Bytes w(32, 0);
  w[31] = b ? 1 : 0;
  return w;
}

// /metrics is tested elsewhere; without it a server stops at once.
server::ServerConfig NoMetricsConfig() {
  server::ServerConfig c = server::TestServerConfig();
  c.metrics_listen = "";
  return c;
}

// An in-process RegistryService over one scripted chain whose contracts answer every boolean
// getter with true (owner() with the server's key).
class ScriptedRegistry {
 public:
  ScriptedRegistry() : server_({.config = NoMetricsConfig()}) {
    auto owned = std::make_unique<ScriptedRpc>();
    rpc_ = owned.get();
    testutil::ScriptMulticallNode(*rpc_, kHead,
                                  [this](const Address&, const Bytes& cd) { return Answer(cd); });
    auto signers = std::make_shared<SignerSet>();
    Secp256k1PrivateKey key = *Secp256k1PrivateKey::FromBytes(*HexDecode(kKey0));
    owner_ = key.ToAddress();
    (void)signers->Add(std::move(key));
    ChainSet chains;
    chains.Add(MakeChain(kChainId, kms_, std::move(owned), {}, SystemClock::Get()));
    service_ = std::make_unique<RegistryService>(std::move(chains), signers, server_.serving(),
                                                 SystemClock::Get());
    server_.AddService(service_.get());
    start_ = server_.Start();
    stub_ = pb::Registry::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(server_.port()),
                                                      grpc::InsecureChannelCredentials()));
  }
  ~ScriptedRegistry() { server_.Stop(); }

  ScriptedRpc& rpc() { return *rpc_; }
  pb::Registry::Stub& stub() { return *stub_; }
  const absl::Status& start() const { return start_; }
  const Address& owner() const { return owner_; }

 private:
  std::pair<bool, Bytes> Answer(const Bytes& cd) const {
    if (cd == ownable::Owner()) {
      Bytes w(12, 0);
      w.insert(w.end(), owner_.begin(), owner_.end());
      return {true, w};
    }
    if (cd == ownable::PendingOwner()) return {true, Bytes(32, 0)};
    // Multicall3.getChainId(): every decision read proves its chain.
    if (cd == Bytes{0x34, 0x08, 0xe4, 0x70}) {
      const Hash32 id = U256(kChainId).ToBigEndian();
      return {true, Bytes(id.bytes.begin(), id.bytes.end())};
    }
    if (cd == dstack_app::Version()) return {true, Word(true)};
    return {true, Word(true)};
  }

  server::GrpcServer server_;
  ScriptedRpc* rpc_ = nullptr;
  Address kms_ = *ParseAddress("0x5FbDB2315678afecb367f032d93F642f64180aa3");
  Address owner_;
  std::unique_ptr<RegistryService> service_;
  absl::Status start_;
  std::unique_ptr<pb::Registry::Stub> stub_;
};

class RegistryHandlersTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(r_.start().ok()) << r_.start(); }

  template <typename Req, typename Resp, typename Method>
  grpc::Status Call(Method method, const Req& req, Resp* resp) {
    grpc::ClientContext ctx;
    return (r_.stub().*method)(&ctx, req, resp);
  }

  pb::AppBootInfo BootInfo() {
    pb::AppBootInfo b;
    b.set_app_id(std::string(20, '\x0a'));
    b.set_compose_hash(std::string(32, '\x01'));
    b.set_instance_id(std::string(20, '\x02'));
    b.set_device_id(std::string(32, '\x03'));
    b.set_mr_aggregated(std::string(32, '\x04'));
    b.set_mr_system(std::string(32, '\x05'));
    b.set_os_image_hash(std::string(32, '\x06'));
    b.set_tcb_status("UpToDate");
    return b;
  }

  ScriptedRegistry r_;
};

TEST_F(RegistryHandlersTest, AShortAppIdIsInvalidFieldWithTheFieldInMetadataAndNoChainCall) {
  pb::CheckPrerequisitesRequest req;
  req.set_chain_id(kChainId);
  req.set_app_id(std::string(19, '\x01'));
  pb::CheckPrerequisitesResponse resp;
  grpc::Status s = Call(&pb::Registry::Stub::CheckPrerequisites, req, &resp);
  EXPECT_THAT(s, StatusIs(grpc::StatusCode::INVALID_ARGUMENT, HasSubstr("app_id")));
  EXPECT_THAT(s, HasReason("INVALID_FIELD"));
  EXPECT_THAT(s, HasMetadata("field", "app_id"));
  EXPECT_THAT(s, HasMetadata("detail", "must be exactly 20 bytes, got 19"));
  EXPECT_EQ(r_.rpc().Requests(), 0);
}

TEST_F(RegistryHandlersTest, EveryDecisionIsOneJsonRpcRoundTrip) {
  pb::CheckPrerequisitesRequest pre;
  pre.set_chain_id(kChainId);
  pre.set_app_id(std::string(20, '\x0a'));
  pre.add_compose_hashes(std::string(32, '\x01'));
  pb::CheckPrerequisitesResponse pre_resp;
  ASSERT_TRUE(Call(&pb::Registry::Stub::CheckPrerequisites, pre, &pre_resp).ok());
  EXPECT_EQ(r_.rpc().Requests(), 1);
  EXPECT_EQ(pre_resp.block_number(), kHead);
  for (int i = 0; i < 49; ++i) pre.add_device_ids(std::string(32, static_cast<char>(i)));
  ASSERT_TRUE(Call(&pb::Registry::Stub::CheckPrerequisites, pre, &pre_resp).ok());
  EXPECT_EQ(r_.rpc().Requests(), 2);  // 50 items: still one
  EXPECT_EQ(pre_resp.device_id_allowed_size(), 49);
  pre.set_block_number(kHead - 3);
  ASSERT_TRUE(Call(&pb::Registry::Stub::CheckPrerequisites, pre, &pre_resp).ok());
  EXPECT_EQ(r_.rpc().Requests(), 3);  // an explicit block is the call's tag, no extra read
  EXPECT_EQ(pre_resp.block_number(), kHead - 3);

  pb::GetKmsInfoRequest kms;
  kms.set_chain_id(kChainId);
  pb::GetKmsInfoResponse kms_resp;
  grpc::Status s = Call(&pb::Registry::Stub::GetKmsInfo, kms, &kms_resp);
  // The scripted kmsInfo() is a bool word, not four `bytes`: the read fails closed, still once.
  EXPECT_THAT(s, StatusIs(grpc::StatusCode::UNAVAILABLE));
  EXPECT_EQ(r_.rpc().Requests(), 4);

  pb::CheckKmsAllowlistsRequest lists;
  lists.set_chain_id(kChainId);
  lists.add_os_image_hashes(std::string(32, '\x01'));
  lists.add_kms_device_ids(std::string(32, '\x02'));
  pb::CheckKmsAllowlistsResponse lists_resp;
  ASSERT_TRUE(Call(&pb::Registry::Stub::CheckKmsAllowlists, lists, &lists_resp).ok());
  EXPECT_EQ(r_.rpc().Requests(), 5);

  pb::GetAppRequest app;
  app.set_chain_id(kChainId);
  app.set_app_id(std::string(20, '\x0a'));
  pb::GetAppResponse app_resp;
  ASSERT_TRUE(Call(&pb::Registry::Stub::GetApp, app, &app_resp).ok());
  EXPECT_EQ(r_.rpc().Requests(), 6);
  EXPECT_EQ(app_resp.owner(), Raw(r_.owner().view()));
  EXPECT_TRUE(app_resp.upgrades_disabled());

  pb::CheckDeviceAllowedRequest dev;
  dev.set_chain_id(kChainId);
  dev.set_app_id(std::string(20, '\x0a'));
  dev.set_device_id(std::string(32, '\x03'));
  pb::CheckDeviceAllowedResponse dev_resp;
  ASSERT_TRUE(Call(&pb::Registry::Stub::CheckDeviceAllowed, dev, &dev_resp).ok());
  EXPECT_EQ(r_.rpc().Requests(), 7);
  EXPECT_TRUE(dev_resp.device_listed());

  pb::IsAppAllowedRequest allowed;
  allowed.set_chain_id(kChainId);
  *allowed.mutable_boot_info() = BootInfo();
  pb::IsAppAllowedResponse allowed_resp;
  (void)Call(&pb::Registry::Stub::IsAppAllowed, allowed, &allowed_resp);
  EXPECT_EQ(r_.rpc().Requests(), 8);
}

TEST_F(RegistryHandlersTest, AFutureBlockNumberIsInvalidFieldNamingTheHead) {
  pb::CheckPrerequisitesRequest req;
  req.set_chain_id(kChainId);
  req.set_app_id(std::string(20, '\x0a'));
  req.set_block_number(kHead + 1000);
  pb::CheckPrerequisitesResponse resp;
  grpc::Status s = Call(&pb::Registry::Stub::CheckPrerequisites, req, &resp);
  EXPECT_THAT(s, StatusIs(grpc::StatusCode::INVALID_ARGUMENT, HasSubstr("beyond the head")));
  EXPECT_THAT(s, HasReason("INVALID_FIELD"));
  EXPECT_THAT(s, HasMetadata("field", "block_number"));
}

TEST_F(RegistryHandlersTest, ChainTroubleIsChainUnavailableNamingTheChain) {
  r_.rpc().On("eth_call", [](const nlohmann::json&) -> absl::StatusOr<nlohmann::json> {
    return absl::UnavailableError("connection refused");
  });
  pb::CheckPrerequisitesRequest req;
  req.set_chain_id(kChainId);
  req.set_app_id(std::string(20, '\x0a'));
  pb::CheckPrerequisitesResponse resp;
  grpc::Status s = Call(&pb::Registry::Stub::CheckPrerequisites, req, &resp);
  EXPECT_THAT(s, StatusIs(grpc::StatusCode::UNAVAILABLE));
  EXPECT_THAT(s, HasReason("CHAIN_UNAVAILABLE"));
  EXPECT_THAT(s, HasMetadata("chain_id", "31337"));
}

// A node that refuses our request as INVALID_PARAMS: our request or an incompatible node, never
// the caller's field.
TEST_F(RegistryHandlersTest, ANodesInvalidParamsAnswerIsInternalNotTheCallersField) {
  r_.rpc().On("eth_call", [](const nlohmann::json&) -> absl::StatusOr<nlohmann::json> {
    return testutil::RpcErrorStatus(-32602, "invalid argument 0: hex string has odd length", "",
                                    "eth_call");
  });
  pb::CheckPrerequisitesRequest req;
  req.set_chain_id(kChainId);
  req.set_app_id(std::string(20, '\x0a'));
  pb::CheckPrerequisitesResponse resp;
  grpc::Status s = Call(&pb::Registry::Stub::CheckPrerequisites, req, &resp);
  EXPECT_THAT(s, StatusIs(grpc::StatusCode::INTERNAL, HasSubstr("refused")));
  EXPECT_THAT(s, HasReason("INTERNAL"));
}

TEST_F(RegistryHandlersTest, AnUnknownChainAndAnUnknownSignerCarryTheirMetadata) {
  pb::GetAppRequest app;
  app.set_chain_id(8453);
  app.set_app_id(std::string(20, '\x0a'));
  pb::GetAppResponse app_resp;
  grpc::Status s = Call(&pb::Registry::Stub::GetApp, app, &app_resp);
  EXPECT_THAT(s, HasReason("UNKNOWN_CHAIN"));
  EXPECT_THAT(s, HasMetadata("chain_id", "8453"));

  pb::AddComposeHashRequest write;
  write.set_chain_id(kChainId);
  write.set_from(std::string(20, '\x0b'));
  write.set_app_id(std::string(20, '\x0a'));
  write.set_compose_hash(std::string(32, '\x01'));
  pb::AddComposeHashResponse write_resp;
  s = Call(&pb::Registry::Stub::AddComposeHash, write, &write_resp);
  EXPECT_THAT(s, StatusIs(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_THAT(s, HasReason("UNKNOWN_SIGNER"));
  EXPECT_THAT(
      s, HasMetadata("from", ToChecksumAddress(Address(std::array<uint8_t, 20>{
                                 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
                                 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b}))));
  EXPECT_EQ(r_.rpc().Requests(), 0);
}

// The probe sent megabytes to the node and got CHAIN_UNAVAILABLE back; every limit is now checked
// at the edge, naming the field, before any chain call.
TEST_F(RegistryHandlersTest, OversizedInputNeverReachesTheChain) {
  struct Case {
    std::string field;
    grpc::Status status;
  };
  std::vector<Case> cases;
  {
    pb::IsAppAllowedRequest req;
    req.set_chain_id(kChainId);
    *req.mutable_boot_info() = BootInfo();
    req.mutable_boot_info()->set_tcb_status(std::string(1 << 20, 'U'));
    pb::IsAppAllowedResponse resp;
    cases.push_back({"boot_info.tcb_status", Call(&pb::Registry::Stub::IsAppAllowed, req, &resp)});
  }
  {
    pb::IsKmsAllowedRequest req;
    req.set_chain_id(kChainId);
    *req.mutable_boot_info() = BootInfo();
    for (int i = 0; i < 100000; ++i) req.mutable_boot_info()->add_advisory_ids("INTEL-SA-00001");
    pb::IsKmsAllowedResponse resp;
    cases.push_back(
        {"boot_info.advisory_ids", Call(&pb::Registry::Stub::IsKmsAllowed, req, &resp)});
  }
  {
    pb::IsKmsAllowedRequest req;
    req.set_chain_id(kChainId);
    *req.mutable_boot_info() = BootInfo();
    req.mutable_boot_info()->add_advisory_ids(std::string(65, 'A'));
    pb::IsKmsAllowedResponse resp;
    cases.push_back(
        {"boot_info.advisory_ids[0]", Call(&pb::Registry::Stub::IsKmsAllowed, req, &resp)});
  }
  {
    pb::SetGatewayAppIdRequest req;
    req.set_chain_id(kChainId);
    req.set_from(Raw(r_.owner().view()));
    req.set_gateway_app_id(std::string(300, 'g'));
    pb::SetGatewayAppIdResponse resp;
    cases.push_back({"gateway_app_id", Call(&pb::Registry::Stub::SetGatewayAppId, req, &resp)});
  }
  {
    pb::SetKmsInfoRequest req;
    req.set_chain_id(kChainId);
    req.set_from(Raw(r_.owner().view()));
    req.mutable_kms_info()->set_k256_pubkey(std::string(5, '\x02'));
    req.mutable_kms_info()->set_ca_pubkey(std::string(1, '\x30'));
    pb::SetKmsInfoResponse resp;
    cases.push_back({"kms_info.k256_pubkey", Call(&pb::Registry::Stub::SetKmsInfo, req, &resp)});
  }
  {
    pb::SetKmsInfoRequest req;
    req.set_chain_id(kChainId);
    req.set_from(Raw(r_.owner().view()));
    // 33 bytes with a valid prefix but no point on the curve.
    req.mutable_kms_info()->set_k256_pubkey("\x02" + std::string(32, '\xff'));
    req.mutable_kms_info()->set_ca_pubkey(std::string(1, '\x30'));
    pb::SetKmsInfoResponse resp;
    cases.push_back({"kms_info.k256_pubkey", Call(&pb::Registry::Stub::SetKmsInfo, req, &resp)});
  }
  {
    pb::PrepareTransactionRequest req;
    req.set_chain_id(kChainId);
    req.add_actions()->mutable_set_kms_info()->set_k256_pubkey(std::string(5, '\x02'));
    pb::PrepareTransactionResponse resp;
    cases.push_back({"actions[0].set_kms_info.k256_pubkey",
                     Call(&pb::Registry::Stub::PrepareTransaction, req, &resp)});
  }
  {
    pb::PrepareTransactionRequest req;
    req.set_chain_id(kChainId);
    req.mutable_timelock()->set_timelock(std::string(20, '\x0c'));
    req.mutable_timelock()->set_delay_seconds(~0ull);
    pb::PolicyAction* a = req.add_actions();
    a->mutable_add_compose_hash()->set_app_id(std::string(20, '\x0a'));
    a->mutable_add_compose_hash()->set_compose_hash(std::string(32, '\x01'));
    pb::PrepareTransactionResponse resp;
    cases.push_back(
        {"timelock.delay_seconds", Call(&pb::Registry::Stub::PrepareTransaction, req, &resp)});
  }
  {
    pb::AddComposeHashRequest req;
    req.set_chain_id(kChainId);
    req.set_from(Raw(r_.owner().view()));
    req.set_app_id(std::string(20, '\x0a'));
    req.set_compose_hash(std::string(32, '\x01'));
    req.mutable_options()->set_idempotency_key(std::string(129, 'k'));
    pb::AddComposeHashResponse resp;
    cases.push_back(
        {"options.idempotency_key", Call(&pb::Registry::Stub::AddComposeHash, req, &resp)});
  }
  for (const Case& c : cases) {
    EXPECT_THAT(c.status, StatusIs(grpc::StatusCode::INVALID_ARGUMENT)) << c.field;
    EXPECT_THAT(c.status, HasReason("INVALID_FIELD")) << c.field;
    EXPECT_THAT(c.status, HasMetadata("field", c.field)) << c.field;
  }
  EXPECT_EQ(r_.rpc().Requests(), 0) << "a request reached the chain";
}

// The node refuses the write for lack of funds: INSUFFICIENT_FUNDS naming the sender, nothing sent.
TEST_F(RegistryHandlersTest, AWriteTheSenderCannotPayForIsInsufficientFundsNamingTheSender) {
  r_.rpc().On("eth_estimateGas", [](const nlohmann::json&) -> absl::StatusOr<nlohmann::json> {
    return testutil::RpcErrorStatus(-32000, "insufficient funds for gas * price + value", "",
                                    "eth_estimateGas");
  });
  pb::AddComposeHashRequest req;
  req.set_chain_id(kChainId);
  req.set_from(Raw(r_.owner().view()));
  req.set_app_id(std::string(20, '\x0a'));
  req.set_compose_hash(std::string(32, '\x01'));
  pb::AddComposeHashResponse resp;
  grpc::Status s = Call(&pb::Registry::Stub::AddComposeHash, req, &resp);
  EXPECT_THAT(s, StatusIs(grpc::StatusCode::FAILED_PRECONDITION));
  EXPECT_THAT(s, HasReason("INSUFFICIENT_FUNDS"));
  EXPECT_THAT(s, HasMetadata("from", ToChecksumAddress(r_.owner())));
  EXPECT_THAT(s, HasMetadata("chain_id", "31337"));
  EXPECT_EQ(r_.rpc().Count("eth_sendRawTransaction"), 0);
}

// A caller-signed transaction whose nonce is used: NONCE_TOO_LOW with the signer and the nonce.
TEST_F(RegistryHandlersTest, ASubmittedTransactionWithAUsedNonceIsNonceTooLowNamingSenderAndNonce) {
  r_.rpc().On(
      "eth_sendRawTransaction", [](const nlohmann::json&) -> absl::StatusOr<nlohmann::json> {
        return testutil::RpcErrorStatus(-32000, "nonce too low", "", "eth_sendRawTransaction");
      });
  Secp256k1PrivateKey key = *Secp256k1PrivateKey::FromBytes(*HexDecode(kKey0));
  Transaction tx;
  tx.type = TxType::kDynamicFee;
  tx.chain_id = kChainId;
  tx.nonce = 7;
  tx.gas_limit = 100000;
  tx.max_fee_per_gas = U256(2);
  tx.max_priority_fee_per_gas = U256(1);
  tx.to = *ParseAddress("0x5FbDB2315678afecb367f032d93F642f64180aa3");  // the chain's DstackKms
  tx.data = dstack_kms::AddOsImageHash(Hash32{});
  RecoverableSignature sig = key.SignRecoverable(*SigningHash(tx));
  Bytes raw = EncodeSigned(SignedTransaction{tx, TxSignature{sig.v, sig.r, sig.s}});
  pb::SubmitSignedTransactionRequest req;
  req.set_chain_id(kChainId);
  req.set_signed_transaction(Raw(raw));
  pb::SubmitSignedTransactionResponse resp;
  grpc::Status s = Call(&pb::Registry::Stub::SubmitSignedTransaction, req, &resp);
  EXPECT_THAT(s, HasReason("NONCE_TOO_LOW"));
  EXPECT_THAT(s, HasMetadata("from", ToChecksumAddress(key.ToAddress())));
  EXPECT_THAT(s, HasMetadata("nonce", "7"));
}

TEST_F(RegistryHandlersTest, HundredThousandWatchContractsAreRefusedBeforeAnyChainCall) {
  pb::WatchPolicyEventsRequest req;
  req.set_chain_id(kChainId);
  for (int i = 0; i < 100000; ++i) req.add_contracts(std::string(20, '\x0a'));
  grpc::ClientContext ctx;
  std::unique_ptr<grpc::ClientReader<pb::WatchPolicyEventsResponse>> reader =
      r_.stub().WatchPolicyEvents(&ctx, req);
  pb::WatchPolicyEventsResponse ev;
  EXPECT_FALSE(reader->Read(&ev));
  grpc::Status s = reader->Finish();
  EXPECT_THAT(s, StatusIs(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_THAT(s, HasMetadata("field", "contracts"));
  EXPECT_EQ(r_.rpc().Requests(), 0);
}

}  // namespace
}  // namespace chainkms::registry
