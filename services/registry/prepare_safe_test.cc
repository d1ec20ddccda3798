// PrepareTransaction's outputs against real owners on anvil with the devnet contracts:
// - a Safe 1.4.1 (singleton + SafeProxy from the npm @safe-global/safe-contracts artifacts) with
//   2 of 3 owners owning a DstackApp: the batch's call runs through Safe.execTransaction with two
//   owner signatures and the compose hash becomes allowed; one signature is refused;
// - an OpenZeppelin TimelockController (npm @openzeppelin/contracts 5.0.2 artifact) owning a
//   DstackApp: scheduleBatch, execute refused before the delay, advance time, executeBatch.
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "lib/chain/contracts.h"
#include "lib/chain/eth_rpc.h"
#include "lib/chain/reader.h"
#include "lib/chain/tx_manager.h"
#include "lib/common/clock.h"
#include "lib/common/hex.h"
#include "lib/common/status_macros.h"
#include "lib/eth/abi.h"
#include "lib/eth/address.h"
#include "lib/jsonrpc/client.h"
#include "lib/jsonrpc/curl_transport.h"
#include "lib/testing/anvil.h"
#include "lib/testing/devnet.h"
#include "nlohmann/json.hpp"
#include "services/registry/prepare.h"

namespace chainkms::registry {
namespace {

constexpr uint64_t kChainId = 31337;
// anvil's first default account (public test key).
constexpr char kDeployerKey[] = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
constexpr char kExecTransaction[] =
    "execTransaction(address,uint256,bytes,uint8,uint256,uint256,uint256,address,address,bytes)";
constexpr char kGetTransactionHash[] =
    "getTransactionHash(address,uint256,bytes,uint8,uint256,uint256,uint256,address,address,"
    "uint256)";
constexpr char kSetup[] = "setup(address[],uint256,address,bytes,address,address,uint256,address)";

std::string SourceDir() {
  if (const char* d = std::getenv("CHAINKMS_SOURCE_DIR")) return d;
  std::string f = __FILE__;  // <src>/services/registry/prepare_safe_test.cc
  for (int i = 0; i < 3; ++i) f = f.substr(0, f.find_last_of('/'));
  return f;
}

absl::StatusOr<Bytes> SafeArtifactBytecode(const std::string& rel) {
  const std::string path =
      SourceDir() + "/node_modules/@safe-global/safe-contracts/build/artifacts/contracts/" + rel;
  std::ifstream in(path);
  if (!in) return absl::NotFoundError("missing Safe artifact " + path + " (run npm ci)");
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (!j.is_object() || !j["bytecode"].is_string()) {
    return absl::InvalidArgumentError("bad Safe artifact " + path);
  }
  return HexDecode(j["bytecode"].get<std::string>());
}

std::vector<AbiValue> SafeTxArgs(const Address& to, const Bytes& data) {
  return {AbiValue::Address(to),      AbiValue::Uint(U256(0)), AbiValue::Bytes(data),
          AbiValue::Uint(U256(0), 8), AbiValue::Uint(U256(0)), AbiValue::Uint(U256(0)),
          AbiValue::Uint(U256(0)),    AbiValue::Address({}),   AbiValue::Address({})};
}

struct World {
  std::unique_ptr<testutil::AnvilProcess> anvil;
  std::shared_ptr<CurlTransport> transport;
  std::unique_ptr<JsonRpcClient> rpc;
  std::unique_ptr<TxManager> txm;
  std::shared_ptr<Signer> deployer;
  std::vector<Secp256k1PrivateKey> owners;  // ascending by address
  Address kms;
  Address safe;
  Address app;
};

absl::StatusOr<Bytes> ArtifactBytecode(const std::string& rel) {
  const std::string path = SourceDir() + "/node_modules/" + rel;
  std::ifstream in(path);
  if (!in) return absl::NotFoundError("missing artifact " + path + " (run npm ci)");
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (!j.is_object() || !j["bytecode"].is_string()) {
    return absl::InvalidArgumentError("bad artifact " + path);
  }
  return HexDecode(j["bytecode"].get<std::string>());
}

// deployAndRegisterApp with `owner`; the new app id.
absl::StatusOr<Address> DeployApp(World& w, const Address& owner) {
  ASSIGN_OR_RETURN(Receipt deployed,
                   testutil::SendAndWait(*w.txm, w.deployer, w.kms,
                                        dstack_kms::DeployAndRegisterApp({.owner = owner})));
  for (const ContractEvent& e : deployed.EventsFrom(w.kms)) {
    if (const auto* d = std::get_if<AppDeployedViaFactory>(&e)) return d->app_id;
  }
  return absl::InternalError("no AppDeployedViaFactory event");
}

absl::StatusOr<std::unique_ptr<World>> MakeWorld() {
  auto w = std::make_unique<World>();
  ASSIGN_OR_RETURN(w->anvil, testutil::AnvilProcess::Start({}));
  ASSIGN_OR_RETURN(w->transport, CurlTransport::Create({.url = w->anvil->url()}));
  w->rpc = std::make_unique<JsonRpcClient>(w->transport);
  w->txm = std::make_unique<TxManager>(*w->rpc, kChainId, SystemClock::Get(),
                                       TxManagerOptions{.poll_interval = absl::Milliseconds(50)});
  ASSIGN_OR_RETURN(Bytes dk, HexDecode(kDeployerKey));
  ASSIGN_OR_RETURN(Secp256k1PrivateKey deployer_key, Secp256k1PrivateKey::FromBytes(dk));
  w->deployer = std::make_shared<LocalKeySigner>(std::move(deployer_key));
  ASSIGN_OR_RETURN(testutil::Devnet net,
                   testutil::DeployDevnet(*w->rpc, *w->txm, w->deployer, testutil::DevnetOptions{}));
  w->kms = net.kms;

  ASSIGN_OR_RETURN(Bytes singleton_code, SafeArtifactBytecode("Safe.sol/Safe.json"));
  ASSIGN_OR_RETURN(Receipt singleton,
                   testutil::SendAndWait(*w->txm, w->deployer, std::nullopt, singleton_code));
  ASSIGN_OR_RETURN(Bytes proxy_code, SafeArtifactBytecode("proxies/SafeProxy.sol/SafeProxy.json"));
  const std::vector<AbiValue> ctor = {AbiValue::Address(*singleton.contract_address)};
  ASSIGN_OR_RETURN(Bytes ctor_args, AbiEncode(std::vector<AbiType>{AbiType::Address()}, ctor));
  proxy_code.insert(proxy_code.end(), ctor_args.begin(), ctor_args.end());
  ASSIGN_OR_RETURN(Receipt proxy, testutil::SendAndWait(*w->txm, w->deployer, std::nullopt, proxy_code));
  w->safe = *proxy.contract_address;

  for (int i = 0; i < 3; ++i) w->owners.push_back(Secp256k1PrivateKey::Generate());
  std::sort(w->owners.begin(), w->owners.end(),
            [](const auto& a, const auto& b) { return a.ToAddress() < b.ToAddress(); });
  std::vector<AbiValue> owner_values;
  for (const auto& k : w->owners) owner_values.push_back(AbiValue::Address(k.ToAddress()));
  ASSIGN_OR_RETURN(Bytes setup,
                   EncodeCall(kSetup, std::vector<AbiValue>{
                                          AbiValue::Array(std::move(owner_values)),
                                          AbiValue::Uint(U256(2)), AbiValue::Address({}),
                                          AbiValue::Bytes({}), AbiValue::Address({}),
                                          AbiValue::Address({}), AbiValue::Uint(U256(0)),
                                          AbiValue::Address({})}));
  RETURN_IF_ERROR(testutil::SendAndWait(*w->txm, w->deployer, w->safe, setup).status());

  ASSIGN_OR_RETURN(w->app, DeployApp(*w, w->safe));
  return w;
}

// Owner signatures over the Safe transaction hash, ordered by owner address (r ‖ s ‖ v+27).
absl::StatusOr<Bytes> OwnerSignatures(World& w, const Address& to, const Bytes& data,
                                      size_t count) {
  std::vector<AbiValue> args = SafeTxArgs(to, data);
  args.push_back(AbiValue::Uint(U256(0)));  // Safe nonce
  ASSIGN_OR_RETURN(Bytes call, EncodeCall(kGetTransactionHash, args));
  ASSIGN_OR_RETURN(Bytes ret, eth_rpc::Call(*w.rpc, {.to = w.safe, .data = call}, BlockTag::Latest()));
  std::optional<Hash32> hash = Hash32::TryFrom(ret);
  if (!hash) return absl::InternalError("getTransactionHash did not return 32 bytes");
  Bytes sigs;
  for (size_t i = 0; i < count; ++i) {
    RecoverableSignature s = w.owners[i].SignRecoverable(*hash);
    sigs.insert(sigs.end(), s.r.begin(), s.r.end());
    sigs.insert(sigs.end(), s.s.begin(), s.s.end());
    sigs.push_back(static_cast<uint8_t>(s.v + 27));
  }
  return sigs;
}

TEST(PrepareSafeTest, SafeBatchCallExecutesWithTwoOfThreeOwnerSignatures) {
  absl::StatusOr<std::unique_ptr<World>> world = MakeWorld();
  ASSERT_TRUE(world.ok()) << world.status();
  World& w = **world;

  Hash32 compose_hash;
  compose_hash.bytes.fill(0x5a);
  absl::StatusOr<PrepareOutput> prepared = Prepare(
      {.chain_id = kChainId,
       .calls = {{.to = w.app, .data = dstack_app::AddComposeHash(compose_hash),
                  .function_signature = std::string(sig::kAddComposeHash)}},
       .safe_batch = {.safe = w.safe, .created_at_ms = 1}});
  ASSERT_TRUE(prepared.ok()) << prepared.status();

  // What a Safe owner's tooling reads from the batch file.
  nlohmann::json batch = nlohmann::json::parse(prepared->safe_transaction_builder_json);
  ASSERT_EQ(batch["transactions"].size(), 1u);
  EXPECT_EQ(batch["meta"]["createdFromSafeAddress"], ToChecksumAddress(w.safe));
  absl::StatusOr<Address> to = ParseAddress(batch["transactions"][0]["to"].get<std::string>());
  absl::StatusOr<Bytes> data = HexDecode(batch["transactions"][0]["data"].get<std::string>());
  ASSERT_TRUE(to.ok() && data.ok());
  EXPECT_EQ(*to, w.app);

  // One signature is below the threshold: execTransaction reverts (GS020), caught at estimate.
  absl::StatusOr<Bytes> one = OwnerSignatures(w, *to, *data, 1);
  ASSERT_TRUE(one.ok()) << one.status();
  std::vector<AbiValue> exec_args = SafeTxArgs(*to, *data);
  exec_args.push_back(AbiValue::Bytes(*one));
  absl::StatusOr<Receipt> refused =
      testutil::SendAndWait(*w.txm, w.deployer, w.safe, *EncodeCall(kExecTransaction, exec_args));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition) << refused.status();

  absl::StatusOr<Bytes> two = OwnerSignatures(w, *to, *data, 2);
  ASSERT_TRUE(two.ok()) << two.status();
  exec_args.back() = AbiValue::Bytes(*two);
  absl::StatusOr<Receipt> executed =
      testutil::SendAndWait(*w.txm, w.deployer, w.safe, *EncodeCall(kExecTransaction, exec_args));
  ASSERT_TRUE(executed.ok()) << executed.status();
  bool added = false;
  for (const ContractEvent& e : executed->EventsFrom(w.app)) {
    if (const auto* a = std::get_if<ComposeHashAdded>(&e)) added = a->hash == compose_hash;
  }
  EXPECT_TRUE(added);

  // CheckPrerequisites (the read behind the Registry RPC) now shows the hash.
  ChainReader reader(*w.rpc, ChainReaderConfig{.kms = w.kms});
  const std::vector<Hash32> hashes = {compose_hash};
  absl::StatusOr<Prerequisites> pre = reader.CheckPrerequisites(w.app, {}, hashes);
  ASSERT_TRUE(pre.ok()) << pre.status();
  ASSERT_EQ(pre->compose_hash_allowed.size(), 1u);
  EXPECT_TRUE(pre->compose_hash_allowed[0]);
}

absl::StatusOr<bool> ReadBool(World& w, const Address& to, Bytes data) {
  ASSIGN_OR_RETURN(Bytes ret, eth_rpc::Call(*w.rpc, {.to = to, .data = std::move(data)},
                                            BlockTag::Latest()));
  return DecodeBoolResult(ret);
}

TEST(PrepareTimelockTest, TimelockBatchSchedulesThenExecutesAfterTheDelay) {
  absl::StatusOr<std::unique_ptr<World>> world = MakeWorld();
  ASSERT_TRUE(world.ok()) << world.status();
  World& w = **world;

  // TimelockController(minDelay, proposers, executors, admin = none).
  constexpr uint64_t kDelay = 3600;
  absl::StatusOr<Bytes> code =
      ArtifactBytecode("@openzeppelin/contracts/build/contracts/TimelockController.json");
  ASSERT_TRUE(code.ok()) << code.status();
  const std::vector<AbiValue> ctor = {
      AbiValue::Uint(U256(kDelay)), AbiValue::Array({AbiValue::Address(w.deployer->address())}),
      AbiValue::Array({AbiValue::Address(w.deployer->address())}), AbiValue::Address({})};
  absl::StatusOr<Bytes> ctor_args =
      AbiEncode(std::vector<AbiType>{AbiType::Uint(), AbiType::Array(AbiType::Address()),
                                     AbiType::Array(AbiType::Address()), AbiType::Address()},
                ctor);
  ASSERT_TRUE(ctor_args.ok()) << ctor_args.status();
  code->insert(code->end(), ctor_args->begin(), ctor_args->end());
  absl::StatusOr<Receipt> tl_receipt =
      testutil::SendAndWait(*w.txm, w.deployer, std::nullopt, *code);
  ASSERT_TRUE(tl_receipt.ok()) << tl_receipt.status();
  const Address timelock = *tl_receipt->contract_address;
  absl::StatusOr<Address> app = DeployApp(w, timelock);
  ASSERT_TRUE(app.ok()) << app.status();

  Hash32 compose_hash, device, salt;
  compose_hash.bytes.fill(0x5b);
  device.bytes.fill(0x6c);
  salt[31] = 1;
  absl::StatusOr<PrepareOutput> prepared = Prepare(
      {.chain_id = kChainId,
       .calls = {{.to = *app, .data = dstack_app::AddComposeHash(compose_hash)},
                 {.to = *app, .data = dstack_app::AddDevice(device)}},
       .timelock = TimelockParams{.timelock = timelock, .delay_seconds = kDelay, .salt = salt}});
  ASSERT_TRUE(prepared.ok()) << prepared.status();
  ASSERT_TRUE(prepared->timelock.has_value());
  const TimelockCalls& tl = *prepared->timelock;

  ASSERT_TRUE(testutil::SendAndWait(*w.txm, w.deployer, timelock, tl.schedule_data).ok());
  // The operation id we computed is the one the timelock now holds.
  Bytes pending_call = *EncodeCall("isOperationPending(bytes32)",
                                   std::vector<AbiValue>{AbiValue::FixedBytes(tl.operation_id.view())});
  EXPECT_EQ(ReadBool(w, timelock, pending_call).value_or(false), true);

  // Before the delay the timelock refuses (caught at estimate, nothing sent).
  absl::StatusOr<Receipt> early = testutil::SendAndWait(*w.txm, w.deployer, timelock, tl.execute_data);
  EXPECT_EQ(early.status().code(), absl::StatusCode::kFailedPrecondition) << early.status();

  ASSERT_TRUE(w.anvil->Rpc("evm_increaseTime", nlohmann::json::array({kDelay + 1})).ok());
  ASSERT_TRUE(w.anvil->Rpc("evm_mine", nlohmann::json::array()).ok());
  absl::StatusOr<Receipt> executed =
      testutil::SendAndWait(*w.txm, w.deployer, timelock, tl.execute_data);
  ASSERT_TRUE(executed.ok()) << executed.status();
  EXPECT_EQ(ReadBool(w, *app, dstack_app::AllowedComposeHashes(compose_hash)).value_or(false), true);
  EXPECT_EQ(ReadBool(w, *app, dstack_app::AllowedDeviceIds(device)).value_or(false), true);
  EXPECT_EQ(ReadBool(w, timelock, pending_call).value_or(true), false);
}

}  // namespace
}  // namespace chainkms::registry
