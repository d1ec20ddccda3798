// lib/jsonrpc + lib/chain against a real chain: one anvil per suite with the devnet contracts
// (DstackApp implementation, DstackKms proxy, Multicall3) deployed once; every test runs between
// evm_snapshot and evm_revert so tests do not see each other's state, and gets its own transport,
// client, TxManager (nonce lanes start from the node) and ChainReader.
//
// Covers issue 3 point 6: factory deployment, policy changes and their events, isAppAllowed
// reasons in order, a non-owner write caught at estimation, one eth_call for 1 and 50
// prerequisites, 100 concurrent transactions without a nonce gap, failover (endpoint down,
// rate-limit answers), a wrong chain id, and a reorg.
#include <algorithm>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "lib/chain/contracts.h"
#include "lib/chain/eth_rpc.h"
#include "lib/chain/reader.h"
#include "lib/chain/tx_manager.h"
#include "lib/common/bytes.h"
#include "lib/common/clock.h"
#include "lib/common/hex.h"
#include "lib/common/sync.h"
#include "lib/crypto/keccak.h"
#include "lib/crypto/secp256k1.h"
#include "lib/eth/address.h"
#include "lib/jsonrpc/client.h"
#include "lib/jsonrpc/curl_transport.h"
#include "lib/jsonrpc/failover.h"
#include "lib/testing/anvil.h"
#include "lib/testing/counting_transport.h"
#include "lib/testing/devnet.h"
#include "lib/testing/http_test_server.h"
#include "lib/testing/status_matchers.h"

namespace chainkms {

// Readable gtest output for hashes, addresses and events.
template <size_t N>
void PrintTo(const FixedBytes<N>& b, std::ostream* os) {
  *os << Hex0x(b.view());
}
void PrintTo(TxProgress::Kind k, std::ostream* os) {
  static constexpr const char* kNames[] = {"kWaiting", "kMined", "kConfirmation", "kReorged",
                                           "kReplaced"};
  *os << kNames[static_cast<int>(k)];
}
void PrintTo(const ContractEvent& e, std::ostream* os) {
  *os << EventName(e);
  std::visit(
      [os](const auto& ev) {
        using T = std::decay_t<decltype(ev)>;
        if constexpr (std::is_same_v<T, PolicyChanged>) {
          *os << "(actor=" << Hex0x(ev.actor.view()) << ", policy="
              << (PolicyFromId(ev.policy) ? std::string(PolicyName(*PolicyFromId(ev.policy)))
                                          : Hex0x(ev.policy.view()))
              << ", value=" << Hex0x(ev.value.view()) << ", enabled=" << ev.enabled << ")";
        } else if constexpr (std::is_same_v<T, ComposeHashAdded> ||
                             std::is_same_v<T, ComposeHashRemoved>) {
          *os << "(" << Hex0x(ev.hash.view()) << ")";
        } else if constexpr (std::is_same_v<T, DeviceAdded> || std::is_same_v<T, DeviceRemoved>) {
          *os << "(" << Hex0x(ev.device_id.view()) << ")";
        } else if constexpr (std::is_same_v<T, AllowAnyDeviceSet>) {
          *os << "(" << ev.allow_any << ")";
        }
      },
      e);
}

namespace {

using ::chainkms::testutil::AnvilProcess;
using ::chainkms::testutil::CountingTransport;
using ::chainkms::testutil::Devnet;
using ::chainkms::testutil::HttpTestServer;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using json = nlohmann::json;

constexpr uint64_t kChainId = 31337;
constexpr char kDeployerKey[] = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
constexpr char kDeployerAddress[] = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

Hash32 H(std::string_view label) { return Keccak256(AsBytes(label)); }

std::shared_ptr<Signer> DeployerSigner() {
  Bytes k = *HexDecode(kDeployerKey);
  return std::make_shared<LocalKeySigner>(*Secp256k1PrivateKey::FromBytes(k));
}

std::string Lower(std::string s) { return absl::AsciiStrToLower(s); }

// The typed events of a contract in a receipt, checked against an exact list.
std::vector<ContractEvent> Events(const Receipt& r, const Address& contract) {
  return r.EventsFrom(contract);
}

// What one CheckPrerequisites answer should be.
struct Want {
  bool allow_any;
  std::vector<bool> devices;
  std::vector<bool> hashes;
};
void ExpectPrerequisites(const Prerequisites& p, const Want& w) {
  EXPECT_EQ(p.allow_any_device, w.allow_any);
  EXPECT_EQ(p.device_allowed, w.devices);
  EXPECT_EQ(p.compose_hash_allowed, w.hashes);
}

class ChainIntegrationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    suite_error_ = new std::string();
    auto anvil = AnvilProcess::Start({});
    if (!anvil.ok()) {
      *suite_error_ = absl::StrCat("anvil did not start: ", anvil.status().ToString());
      return;
    }
    anvil_ = anvil->release();
    auto transport = CurlTransport::Create({.url = anvil_->url()});
    if (!transport.ok()) {
      *suite_error_ = transport.status().ToString();
      return;
    }
    JsonRpcClient rpc(*transport);
    TxManager txm(rpc, kChainId, SystemClock::Get(), {.poll_interval = absl::Milliseconds(50)});
    auto net = DeployDevnet(rpc, txm, DeployerSigner(), testutil::DevnetOptions{});
    if (!net.ok()) {
      *suite_error_ = absl::StrCat("devnet deployment failed: ", net.status().ToString());
      return;
    }
    net_ = new Devnet(*net);
  }

  static void TearDownTestSuite() {
    delete net_;
    net_ = nullptr;
    delete anvil_;  // stops anvil
    anvil_ = nullptr;
    delete suite_error_;
    suite_error_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(net_, nullptr) << *suite_error_;
    ASSERT_OK_AND_ASSIGN(json snap, anvil_->Rpc("evm_snapshot", json::array()));
    snapshot_ = snap.get<std::string>();
    ASSERT_OK_AND_ASSIGN(transport_, CurlTransport::Create({.url = anvil_->url()}));
    counting_ = std::make_shared<CountingTransport>(transport_);
    rpc_ = std::make_unique<JsonRpcClient>(counting_);
    txm_ = std::make_unique<TxManager>(*rpc_, kChainId, SystemClock::Get(),
                                       TxManagerOptions{.poll_interval = absl::Milliseconds(50)});
    reader_ = std::make_unique<ChainReader>(*rpc_, ChainReaderConfig{.kms = net_->kms});
    deployer_ = DeployerSigner();
  }

  void TearDown() override {
    reader_.reset();
    txm_.reset();
    rpc_.reset();
    if (anvil_ != nullptr && !snapshot_.empty()) {
      absl::StatusOr<json> r = anvil_->Rpc("evm_revert", json::array({snapshot_}));
      ASSERT_TRUE(r.ok()) << r.status();
      EXPECT_EQ(*r, json(true));
      // Tests that mine by hand switch automine off; it is not part of a snapshot.
      ASSERT_OK(anvil_->Rpc("evm_setAutomine", json::array({true})).status());
    }
  }

  // A fresh key holding 100 ETH.
  absl::StatusOr<std::shared_ptr<Signer>> FundedSigner() {
    auto signer = std::make_shared<LocalKeySigner>(Secp256k1PrivateKey::Generate());
    absl::StatusOr<json> r =
        anvil_->Rpc("anvil_setBalance",
                    json::array({ToChecksumAddress(signer->address()), "0x56bc75e2d63100000"}));
    if (!r.ok()) return r.status();
    return std::shared_ptr<Signer>(signer);
  }

  absl::StatusOr<Receipt> Write(const std::shared_ptr<Signer>& signer, const Address& to,
                                Bytes data) {
    return testutil::SendAndWait(*txm_, signer, to, std::move(data));
  }

  // DstackKms.deployAndRegisterApp (6 arguments) sent by the deployer; the app id comes from the
  // receipt's AppDeployedViaFactory event.
  absl::StatusOr<std::pair<Address, Receipt>> DeployApp(const AppPolicyInit& init) {
    absl::StatusOr<Receipt> r = Write(deployer_, net_->kms, dstack_kms::DeployAndRegisterApp(init));
    if (!r.ok()) return r.status();
    for (const ContractEvent& e : r->EventsFrom(net_->kms)) {
      if (const auto* d = std::get_if<AppDeployedViaFactory>(&e)) return std::pair(d->app_id, *r);
    }
    return absl::NotFoundError("no AppDeployedViaFactory event in the receipt");
  }

  absl::StatusOr<uint64_t> Nonce(const Address& a, BlockTag tag = BlockTag::Latest()) {
    return eth_rpc::GetTransactionCount(*rpc_, a, tag);
  }

  // The canonical hash of block `number`.
  absl::StatusOr<Hash32> CanonicalHash(uint64_t number) {
    absl::StatusOr<BlockHeader> h = eth_rpc::GetBlock(*rpc_, BlockTag::Number(number));
    if (!h.ok()) return h.status();
    return h->block.hash;
  }

  // Mining by hand only (evm_mine is synchronous; anvil's automine mines in the background, so
  // a receipt may lag the send and would race with evm_mine).
  absl::Status ManualMining() {
    return anvil_->Rpc("evm_setAutomine", json::array({false})).status();
  }

  absl::Status Mine(int blocks) {
    for (int i = 0; i < blocks; ++i) {
      absl::StatusOr<json> r = anvil_->Rpc("evm_mine", json::array());
      if (!r.ok()) return r.status();
    }
    return absl::OkStatus();
  }

  static AnvilProcess* anvil_;
  static Devnet* net_;
  static std::string* suite_error_;

  std::string snapshot_;
  std::shared_ptr<CurlTransport> transport_;
  std::shared_ptr<CountingTransport> counting_;
  std::unique_ptr<JsonRpcClient> rpc_;
  std::unique_ptr<TxManager> txm_;
  std::unique_ptr<ChainReader> reader_;
  std::shared_ptr<Signer> deployer_;
};

AnvilProcess* ChainIntegrationTest::anvil_ = nullptr;
Devnet* ChainIntegrationTest::net_ = nullptr;
std::string* ChainIntegrationTest::suite_error_ = nullptr;

// ---- 1. Factory deployment ------------------------------------------------------------------

TEST_F(ChainIntegrationTest,
       AnAppDeployedThroughTheFactoryIsNamedByItsTypedEventsAndGetAppShowsItsOwnerAndFlags) {
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<Signer> owner, FundedSigner());
  const Hash32 hash = H("compose-1");
  const Hash32 device = H("device-1");
  const AppPolicyInit init{.owner = owner->address(),
                           .disable_upgrades = false,
                           .require_tcb_up_to_date = true,
                           .allow_any_device = false,
                           .device_id = device,
                           .compose_hash = hash};
  ASSERT_OK_AND_ASSIGN(auto deployed, DeployApp(init));
  const auto& [app, receipt] = deployed;
  EXPECT_TRUE(receipt.success);
  EXPECT_EQ(receipt.from, deployer_->address());
  EXPECT_EQ(receipt.to, net_->kms);
  EXPECT_FALSE(app.IsZero());

  // DstackKms: registered, then deployed via the factory by the deployer (msg.sender).
  EXPECT_THAT(Events(receipt, net_->kms),
              ElementsAre(ContractEvent(AppRegistered{app}),
                          ContractEvent(AppDeployedViaFactory{app, deployer_->address()})));
  // The app proxy: implementation set, owner set, first hash and device allowed, TCB required,
  // each policy change also as PolicyChanged (actor: the factory, the proxy's creator).
  EXPECT_THAT(
      Events(receipt, app),
      ElementsAre(
          ContractEvent(Upgraded{net_->app_implementation}),
          ContractEvent(OwnershipTransferred{Address(), owner->address()}),
          ContractEvent(ComposeHashAdded{hash}),
          ContractEvent(PolicyChanged{net_->kms, PolicyId(Policy::kComposeHash), hash, true}),
          ContractEvent(DeviceAdded{device}),
          ContractEvent(PolicyChanged{net_->kms, PolicyId(Policy::kDevice), device, true}),
          ContractEvent(RequireTcbUpToDateSet{true}),
          ContractEvent(
              PolicyChanged{net_->kms, PolicyId(Policy::kRequireTcbUpToDate), Hash32(), true}),
          ContractEvent(Initialized{1})));

  ASSERT_OK_AND_ASSIGN(AppState state, reader_->GetApp(app));
  EXPECT_EQ(state.app_id, app);
  EXPECT_EQ(state.block.number, receipt.block_number);
  EXPECT_EQ(state.block.hash, receipt.block_hash);
  EXPECT_TRUE(state.registered);
  EXPECT_EQ(state.owner, owner->address());
  EXPECT_EQ(state.pending_owner, std::optional<Address>(Address()));
  EXPECT_FALSE(state.allow_any_device);
  EXPECT_EQ(state.require_tcb_up_to_date, std::optional<bool>(true));
  EXPECT_EQ(state.version, std::optional<U256>(U256(2)));
  EXPECT_EQ(state.implementation, net_->app_implementation);

  ASSERT_OK_AND_ASSIGN(Prerequisites p,
                       reader_->CheckPrerequisites(app, std::vector<Hash32>{device, H("device-2")},
                                                   std::vector<Hash32>{hash, H("compose-2")}));
  ExpectPrerequisites(p, {.allow_any = false, .devices = {true, false}, .hashes = {true, false}});
}

// ---- 2. Policy changes -----------------------------------------------------------------------

TEST_F(ChainIntegrationTest,
       AddingAndRemovingHashesAndDevicesAndAllowAnyShowInPrerequisitesAndInTypedEvents) {
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<Signer> owner, FundedSigner());
  ASSERT_OK_AND_ASSIGN(auto deployed, DeployApp({.owner = owner->address()}));
  const Address app = deployed.first;
  const Address actor = owner->address();
  const Hash32 hash = H("compose-a");
  const Hash32 device = H("device-a");
  const Hash32 other_device = H("device-b");
  const std::vector<Hash32> devices = {device, other_device};
  const std::vector<Hash32> hashes = {hash};

  // A change, its exact events, and the prerequisites read at the head (= the receipt's block).
  auto step = [&](Bytes data, std::vector<ContractEvent> want_events,
                  const Want& want) -> absl::StatusOr<PinnedBlock> {
    absl::StatusOr<Receipt> r = Write(owner, app, std::move(data));
    if (!r.ok()) return r.status();
    EXPECT_TRUE(r->success);
    EXPECT_THAT(Events(*r, app), ElementsAreArray(want_events));
    absl::StatusOr<Prerequisites> p = reader_->CheckPrerequisites(app, devices, hashes);
    if (!p.ok()) return p.status();
    EXPECT_EQ(p->block.number, r->block_number);
    EXPECT_EQ(p->block.hash, r->block_hash);
    ExpectPrerequisites(*p, want);
    return p->block;
  };

  ASSERT_OK_AND_ASSIGN(Prerequisites initial, reader_->CheckPrerequisites(app, devices, hashes));
  ExpectPrerequisites(initial, {.allow_any = false, .devices = {false, false}, .hashes = {false}});

  ASSERT_OK_AND_ASSIGN(PinnedBlock after_add_hash,
                       step(dstack_app::AddComposeHash(hash),
                            {ComposeHashAdded{hash},
                             PolicyChanged{actor, PolicyId(Policy::kComposeHash), hash, true}},
                            {.allow_any = false, .devices = {false, false}, .hashes = {true}}));
  ASSERT_OK(
      step(dstack_app::AddDevice(device),
           {DeviceAdded{device}, PolicyChanged{actor, PolicyId(Policy::kDevice), device, true}},
           {.allow_any = false, .devices = {true, false}, .hashes = {true}})
          .status());
  ASSERT_OK(step(dstack_app::SetAllowAnyDevice(true),
                 {AllowAnyDeviceSet{true},
                  PolicyChanged{actor, PolicyId(Policy::kAllowAnyDevice), Hash32(), true}},
                 {.allow_any = true, .devices = {true, true}, .hashes = {true}})
                .status());
  // Removing the device while any device is allowed changes no answer...
  ASSERT_OK(
      step(dstack_app::RemoveDevice(device),
           {DeviceRemoved{device}, PolicyChanged{actor, PolicyId(Policy::kDevice), device, false}},
           {.allow_any = true, .devices = {true, true}, .hashes = {true}})
          .status());
  // ...until allow-any is switched off again.
  ASSERT_OK(step(dstack_app::SetAllowAnyDevice(false),
                 {AllowAnyDeviceSet{false},
                  PolicyChanged{actor, PolicyId(Policy::kAllowAnyDevice), Hash32(), false}},
                 {.allow_any = false, .devices = {false, false}, .hashes = {true}})
                .status());
  ASSERT_OK(step(dstack_app::RemoveComposeHash(hash),
                 {ComposeHashRemoved{hash},
                  PolicyChanged{actor, PolicyId(Policy::kComposeHash), hash, false}},
                 {.allow_any = false, .devices = {false, false}, .hashes = {false}})
                .status());

  // A read pinned to an earlier block still sees that block's policy.
  ASSERT_OK_AND_ASSIGN(Prerequisites earlier,
                       reader_->CheckPrerequisites(app, devices, hashes, after_add_hash));
  EXPECT_EQ(earlier.block, after_add_hash);
  ExpectPrerequisites(earlier, {.allow_any = false, .devices = {false, false}, .hashes = {true}});

  // The same history through eth_getLogs, decoded into typed events.
  LogFilter filter;
  filter.addresses = {app};
  filter.topics = {std::vector<Hash32>{
      EventTopicFor(event_sig::kComposeHashAdded), EventTopicFor(event_sig::kComposeHashRemoved),
      EventTopicFor(event_sig::kDeviceAdded), EventTopicFor(event_sig::kDeviceRemoved),
      EventTopicFor(event_sig::kAllowAnyDeviceSet)}};
  filter.from_block = BlockTag::Number(deployed.second.block_number + 1);
  ASSERT_OK_AND_ASSIGN(std::vector<LogEntry> logs, reader_->GetLogs(filter));
  std::vector<ContractEvent> from_logs;
  for (const LogEntry& l : logs) {
    ASSERT_TRUE(l.event.has_value());
    from_logs.push_back(*l.event);
  }
  EXPECT_THAT(
      from_logs,
      ElementsAre(ContractEvent(ComposeHashAdded{hash}), ContractEvent(DeviceAdded{device}),
                  ContractEvent(AllowAnyDeviceSet{true}), ContractEvent(DeviceRemoved{device}),
                  ContractEvent(AllowAnyDeviceSet{false}),
                  ContractEvent(ComposeHashRemoved{hash})));
}

// ---- 3. isAppAllowed reasons -------------------------------------------------------------------

TEST_F(ChainIntegrationTest,
       IsAppAllowedGivesItsReasonsInTheDocumentedOrderAndNamesTheBlockItRead) {
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<Signer> owner, FundedSigner());
  const Hash32 hash = H("compose-ok");
  const Hash32 device = H("device-ok");
  ASSERT_OK_AND_ASSIGN(auto deployed, DeployApp({.owner = owner->address(),
                                                 .require_tcb_up_to_date = true,
                                                 .device_id = device,
                                                 .compose_hash = hash}));
  const Address app = deployed.first;

  // Everything wrong; each step fixes the check that failed, so the next one is reported.
  AppBootInfo info;
  info.app_id = Address(std::array<uint8_t, 20>{0xde, 0xad});  // not registered
  info.compose_hash = H("compose-wrong");
  info.instance_id = Address(std::array<uint8_t, 20>{0x01});
  info.device_id = H("device-wrong");
  info.mr_aggregated = H("mr-aggregated");
  info.mr_system = H("mr-system");
  info.os_image_hash = H("os-wrong");
  info.tcb_status = "OutOfDate";
  info.advisory_ids = {"INTEL-SA-00001"};

  ASSERT_OK_AND_ASSIGN(PinnedBlock head, reader_->LatestBlock());
  ASSERT_OK_AND_ASSIGN(Hash32 canonical, CanonicalHash(head.number));
  EXPECT_EQ(head.hash, canonical);

  struct Case {
    std::function<void(AppBootInfo&)> fix;
    bool allowed;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {[](AppBootInfo&) {}, false, "App not registered"},
      {[&](AppBootInfo& i) { i.app_id = app; }, false, "OS image is not allowed"},
      {[&](AppBootInfo& i) { i.os_image_hash = net_->os_image_hash; }, false,
       "TCB status is not up to date"},
      {[](AppBootInfo& i) { i.tcb_status = "UpToDate"; }, false, "Compose hash not allowed"},
      {[&](AppBootInfo& i) { i.compose_hash = hash; }, false, "Device not allowed"},
      {[&](AppBootInfo& i) { i.device_id = device; }, true, ""},
  };
  for (const Case& c : cases) {
    c.fix(info);
    ASSERT_OK_AND_ASSIGN(AllowDecision d, reader_->IsAppAllowed(info));
    EXPECT_EQ(d.allowed, c.allowed) << c.reason;
    EXPECT_EQ(d.reason, c.reason);
    EXPECT_EQ(d.block, head) << c.reason;  // nothing was mined in between: the head, by hash
  }

  // After the device is removed the head says no, while a read pinned to the earlier block still
  // says yes — and each decision names the block it read.
  ASSERT_OK_AND_ASSIGN(Receipt removed, Write(owner, app, dstack_app::RemoveDevice(device)));
  ASSERT_OK_AND_ASSIGN(AllowDecision now, reader_->IsAppAllowed(info));
  EXPECT_FALSE(now.allowed);
  EXPECT_EQ(now.reason, "Device not allowed");
  EXPECT_EQ(now.block, (PinnedBlock{removed.block_number, removed.block_hash}));
  ASSERT_OK_AND_ASSIGN(AllowDecision before, reader_->IsAppAllowed(info, head));
  EXPECT_TRUE(before.allowed);
  EXPECT_EQ(before.reason, "");
  EXPECT_EQ(before.block, head);
}

// ---- 4. Non-owner write --------------------------------------------------------------------

TEST_F(ChainIntegrationTest,
       ANonOwnerWriteIsRejectedAtGasEstimationWithTheDecodedOwnableErrorAndNothingIsSent) {
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<Signer> owner, FundedSigner());
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<Signer> stranger, FundedSigner());
  ASSERT_OK_AND_ASSIGN(auto deployed, DeployApp({.owner = owner->address()}));
  const Address app = deployed.first;
  const Hash32 hash = H("compose-stranger");

  ASSERT_OK_AND_ASSIGN(uint64_t latest_before, Nonce(stranger->address()));
  ASSERT_OK_AND_ASSIGN(uint64_t pending_before, Nonce(stranger->address(), BlockTag::Pending()));
  ASSERT_OK_AND_ASSIGN(uint64_t block_before, reader_->BlockNumber());
  counting_->Reset();

  absl::StatusOr<SentTx> sent =
      txm_->Send({.signer = stranger, .to = app, .data = dstack_app::AddComposeHash(hash)});
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.status().code(), absl::StatusCode::kFailedPrecondition) << sent.status();
  EXPECT_THAT(std::string(sent.status().message()), HasSubstr("execution reverted"));
  EXPECT_THAT(Lower(std::string(sent.status().message())),
              HasSubstr(Lower(absl::StrCat("OwnableUnauthorizedAccount(",
                                           ToChecksumAddress(stranger->address()), ")"))));
  EXPECT_EQ(counting_->method_count("eth_estimateGas"), 1);
  EXPECT_EQ(counting_->method_count("eth_sendRawTransaction"), 0);

  ASSERT_OK_AND_ASSIGN(uint64_t latest_after, Nonce(stranger->address()));
  ASSERT_OK_AND_ASSIGN(uint64_t pending_after, Nonce(stranger->address(), BlockTag::Pending()));
  EXPECT_EQ(latest_after, latest_before);
  EXPECT_EQ(pending_after, pending_before);
  EXPECT_EQ(latest_after, 0u);
  ASSERT_OK_AND_ASSIGN(uint64_t block_after, reader_->BlockNumber());
  EXPECT_EQ(block_after, block_before);  // nothing mined
  ASSERT_OK_AND_ASSIGN(Prerequisites p,
                       reader_->CheckPrerequisites(app, {}, std::vector<Hash32>{hash}));
  EXPECT_THAT(p.compose_hash_allowed, ElementsAre(false));

  // The same write by the owner goes through (the revert was about who sent it).
  ASSERT_OK_AND_ASSIGN(Receipt ok, Write(owner, app, dstack_app::AddComposeHash(hash)));
  EXPECT_TRUE(ok.success);
}

// ---- 5. Prerequisites in one eth_call ------------------------------------------------------

TEST_F(ChainIntegrationTest,
       PrerequisitesForOneAndForFiftyItemsAreEachAnsweredByExactlyOneEthCall) {
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<Signer> owner, FundedSigner());
  std::vector<Hash32> devices, hashes;
  std::vector<bool> want_devices, want_hashes;
  for (int i = 0; i < 25; ++i) {
    devices.push_back(H(absl::StrCat("p-device-", i)));
    hashes.push_back(H(absl::StrCat("p-hash-", i)));
    want_devices.push_back(i % 3 == 0);
    want_hashes.push_back(i % 4 == 1);
  }
  // Device 0 and hash 1 through the factory, the rest pipelined through the manager.
  ASSERT_OK_AND_ASSIGN(
      auto deployed,
      DeployApp({.owner = owner->address(), .device_id = devices[0], .compose_hash = hashes[1]}));
  const Address app = deployed.first;
  std::vector<SentTx> sent;
  for (int i = 1; i < 25; ++i) {
    if (want_devices[i]) {
      ASSERT_OK_AND_ASSIGN(
          SentTx s,
          txm_->Send({.signer = owner, .to = app, .data = dstack_app::AddDevice(devices[i])}));
      sent.push_back(s);
    }
    if (i != 1 && want_hashes[i]) {
      ASSERT_OK_AND_ASSIGN(
          SentTx s,
          txm_->Send({.signer = owner, .to = app, .data = dstack_app::AddComposeHash(hashes[i])}));
      sent.push_back(s);
    }
  }
  EXPECT_EQ(sent.size(), 8u + 5u);
  for (const SentTx& s : sent) {
    ASSERT_OK_AND_ASSIGN(Receipt r, txm_->WaitForReceipt(s.hash, 1, absl::Seconds(30)));
    EXPECT_TRUE(r.success);
  }

  // One item each.
  counting_->Reset();
  ASSERT_OK_AND_ASSIGN(Prerequisites one,
                       reader_->CheckPrerequisites(app, std::vector<Hash32>{devices[0]},
                                                   std::vector<Hash32>{hashes[0]}));
  EXPECT_EQ(counting_->method_count("eth_call"), 1)
      << ::testing::PrintToString(counting_->method_counts());
  EXPECT_EQ(counting_->post_count(), 1);  // one round trip: the aggregate3 and the head header
  ExpectPrerequisites(one, {.allow_any = false, .devices = {true}, .hashes = {false}});

  // 25 devices + 25 hashes.
  counting_->Reset();
  ASSERT_OK_AND_ASSIGN(Prerequisites fifty, reader_->CheckPrerequisites(app, devices, hashes));
  EXPECT_EQ(counting_->method_count("eth_call"), 1)
      << ::testing::PrintToString(counting_->method_counts());
  EXPECT_EQ(counting_->post_count(), 1);
  ExpectPrerequisites(fifty, {.allow_any = false, .devices = want_devices, .hashes = want_hashes});

  // Pinned to a block: the eth_call is the only request.
  counting_->Reset();
  ASSERT_OK_AND_ASSIGN(Prerequisites pinned,
                       reader_->CheckPrerequisites(app, devices, hashes, fifty.block));
  EXPECT_EQ(counting_->total_method_count(), 1)
      << ::testing::PrintToString(counting_->method_counts());
  EXPECT_EQ(counting_->method_count("eth_call"), 1);
  EXPECT_EQ(counting_->post_count(), 1);
  EXPECT_EQ(pinned.block, fifty.block);
  ExpectPrerequisites(pinned, {.allow_any = false, .devices = want_devices, .hashes = want_hashes});
}

// One round trip per decision: every ChainReader read is one HTTP request, and names its block.
TEST_F(ChainIntegrationTest, EveryDecisionReadIsOneRoundTripAndNamesTheBlockItRead) {
  ASSERT_OK_AND_ASSIGN(auto deployed, DeployApp({.owner = deployer_->address(),
                                                 .device_id = Keccak256(AsBytes("rt-device")),
                                                 .compose_hash = Keccak256(AsBytes("rt-hash"))}));
  const Address app = deployed.first;
  ASSERT_OK_AND_ASSIGN(PinnedBlock head, reader_->LatestBlock());
  auto one_post = [&](std::string_view what) {
    EXPECT_EQ(counting_->post_count(), 1)
        << what << ": " << ::testing::PrintToString(counting_->method_counts());
    counting_->Reset();
  };
  counting_->Reset();
  ASSERT_OK_AND_ASSIGN(AppState state, reader_->GetApp(app));
  one_post("GetApp");
  EXPECT_EQ(state.block, head);
  EXPECT_EQ(state.owner, deployer_->address());
  EXPECT_EQ(state.upgrades_disabled, false);
  EXPECT_EQ(state.implementation, net_->app_implementation);
  ASSERT_OK_AND_ASSIGN(KmsState kms, reader_->GetKmsState());
  one_post("GetKmsState");
  EXPECT_EQ(kms.block, head);
  EXPECT_EQ(kms.owner, deployer_->address());
  std::vector<Hash32> os = {net_->os_image_hash, Keccak256(AsBytes("no image"))};
  ASSERT_OK_AND_ASSIGN(KmsAllowlists lists, reader_->CheckKmsAllowlists(os, {}, {}));
  one_post("CheckKmsAllowlists");
  EXPECT_EQ(lists.os_image_allowed, (std::vector<bool>{true, false}));
  AppBootInfo info{.app_id = app,
                   .compose_hash = Keccak256(AsBytes("rt-hash")),
                   .device_id = Keccak256(AsBytes("rt-device")),
                   .os_image_hash = net_->os_image_hash,
                   .tcb_status = "UpToDate"};
  ASSERT_OK_AND_ASSIGN(AllowDecision d, reader_->IsAppAllowed(info));
  one_post("IsAppAllowed");
  EXPECT_TRUE(d.allowed) << d.reason;
  EXPECT_EQ(d.block, head);
  // At an explicit block the call carries it as its tag: still one request.
  ASSERT_OK_AND_ASSIGN(Prerequisites at, reader_->CheckPrerequisites(app, {}, {}, head));
  one_post("CheckPrerequisites at a block");
  EXPECT_EQ(at.block, head);
}

// The probe's stuck lane: transactions that vanished from the node (here a mempool drop, which
// anvil applies to the dependent queued transaction as well) are reported DROPPED, never re-sent,
// and the next writes take the freed nonces — nothing queued behind a gap, no old write run later.
// (An old transaction the node still holds behind the gap is overwritten by a no-op: unit test
// AnOldTransactionQueuedBehindTheGapIsOverwrittenByANoOp.)
TEST_F(ChainIntegrationTest,
       VanishedTransactionsAreDroppedAndTheLaneResyncsWithNothingQueuedBehindAGap) {
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<Signer> signer, FundedSigner());
  const Address me = signer->address();
  const Address sink = *ParseAddress("0x000000000000000000000000000000000000dEaD");
  ASSERT_OK(ManualMining());
  ASSERT_OK_AND_ASSIGN(uint64_t start, Nonce(me, BlockTag::Pending()));
  ASSERT_OK_AND_ASSIGN(SentTx a, txm_->Send({.signer = signer, .to = sink, .data = {0x0a}}));
  ASSERT_OK_AND_ASSIGN(SentTx b, txm_->Send({.signer = signer, .to = sink, .data = {0x0b}}));
  ASSERT_EQ(b.nonce, start + 1);
  ASSERT_OK(anvil_->Rpc("anvil_dropTransaction", json::array({Hex0x(a.hash.view())})).status());

  ASSERT_OK_AND_ASSIGN(SentTx c, txm_->Send({.signer = signer, .to = sink, .data = {0x0c}}));
  EXPECT_EQ(c.nonce, start);  // the freed nonce, noticed by the send itself
  EXPECT_EQ(txm_->GetStatus(a.hash)->state, TxState::kDropped);
  EXPECT_EQ(txm_->GetStatus(b.hash)->state, TxState::kDropped);
  EXPECT_EQ(txm_->WaitForReceipt(a.hash, 1, absl::Seconds(5)).status().code(),
            absl::StatusCode::kAborted);
  ASSERT_OK_AND_ASSIGN(SentTx d, txm_->Send({.signer = signer, .to = sink, .data = {0x0d}}));
  EXPECT_EQ(d.nonce, start + 1);
  ASSERT_OK(Mine(1));
  for (const SentTx& t : {c, d}) {
    ASSERT_OK_AND_ASSIGN(Receipt r, txm_->WaitForReceipt(t.hash, 1, absl::Seconds(30)));
    EXPECT_TRUE(r.success);
  }
  ASSERT_OK(Mine(1));
  ASSERT_OK_AND_ASSIGN(uint64_t latest, Nonce(me));
  ASSERT_OK_AND_ASSIGN(uint64_t pending, Nonce(me, BlockTag::Pending()));
  EXPECT_EQ(latest, start + 2);  // c and d: no gap
  EXPECT_EQ(pending, latest);    // nothing left queued
  for (const SentTx& t : {a, b}) {
    ASSERT_OK_AND_ASSIGN(std::optional<Receipt> r, reader_->GetReceipt(t.hash));
    EXPECT_FALSE(r.has_value());  // never re-sent, never ran
  }
}

// ---- 6. 100 concurrent transactions ----------------------------------------------------------

TEST_F(ChainIntegrationTest,
       OneHundredConcurrentTransactionsFromOneSenderAreAllMinedWithConsecutiveNoncesAndNoGap) {
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<Signer> owner, FundedSigner());
  ASSERT_OK_AND_ASSIGN(auto deployed, DeployApp({.owner = owner->address()}));
  const Address app = deployed.first;
  ASSERT_OK_AND_ASSIGN(const uint64_t start, Nonce(owner->address()));

  constexpr int kThreads = 10, kPerThread = 10, kTotal = kThreads * kPerThread;
  std::vector<Hash32> hashes;
  for (int i = 0; i < kTotal; ++i) hashes.push_back(H(absl::StrCat("bulk-", i)));
  std::vector<absl::StatusOr<SentTx>> results(kTotal, absl::UnknownError("not run"));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int j = 0; j < kPerThread; ++j) {
        const int i = t * kPerThread + j;
        results[i] =
            txm_->Send({.signer = owner, .to = app, .data = dstack_app::AddComposeHash(hashes[i])});
      }
    });
  }
  for (std::thread& t : threads) t.join();

  std::vector<uint64_t> nonces;
  std::set<Hash32> tx_hashes;
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->from, owner->address());
    nonces.push_back(r->nonce);
    tx_hashes.insert(r->hash);
  }
  EXPECT_EQ(tx_hashes.size(), static_cast<size_t>(kTotal));
  std::sort(nonces.begin(), nonces.end());
  std::vector<uint64_t> want_nonces;
  for (int i = 0; i < kTotal; ++i) want_nonces.push_back(start + i);
  EXPECT_EQ(nonces, want_nonces);  // start..start+99: no gap, no duplicate

  std::set<uint64_t> mined_nonces;
  for (const auto& r : results) {
    ASSERT_OK_AND_ASSIGN(Receipt receipt, txm_->WaitForReceipt(r->hash, 1, absl::Seconds(30)));
    EXPECT_TRUE(receipt.success);
    EXPECT_EQ(receipt.from, owner->address());
    EXPECT_EQ(receipt.to, app);
    // The nonce the node mined it with.
    ASSERT_OK_AND_ASSIGN(
        json tx, rpc_->Call("eth_getTransactionByHash", json::array({Hex0x(r->hash.view())})));
    ASSERT_OK_AND_ASSIGN(uint64_t mined_nonce, JsonU64(tx.at("nonce"), "nonce"));
    EXPECT_EQ(mined_nonce, r->nonce);
    mined_nonces.insert(mined_nonce);
    std::optional<TxStatus> st = txm_->GetStatus(r->hash);
    ASSERT_TRUE(st.has_value());
    EXPECT_EQ(st->state, TxState::kConfirmed);
  }
  EXPECT_EQ(mined_nonces.size(), static_cast<size_t>(kTotal));
  ASSERT_OK_AND_ASSIGN(uint64_t latest, Nonce(owner->address()));
  ASSERT_OK_AND_ASSIGN(uint64_t pending, Nonce(owner->address(), BlockTag::Pending()));
  EXPECT_EQ(latest, start + kTotal);
  EXPECT_EQ(pending, start + kTotal);

  counting_->Reset();
  ASSERT_OK_AND_ASSIGN(Prerequisites p, reader_->CheckPrerequisites(app, {}, hashes));
  EXPECT_EQ(counting_->method_count("eth_call"), 1);
  EXPECT_EQ(p.compose_hash_allowed, std::vector<bool>(kTotal, true));
}

// ---- 7. Failover -------------------------------------------------------------------------------

TEST_F(ChainIntegrationTest, ReadsFailOverToTheSecondEndpointWhenTheFirstIsDown) {
  ASSERT_OK_AND_ASSIGN(
      std::shared_ptr<CurlTransport> down,
      CurlTransport::Create(
          {.url = absl::StrCat("http://127.0.0.1:", testutil::UnusedLoopbackPort(), "/"),
           .connect_timeout = absl::Seconds(2)}));
  FailoverClient rpc({down, transport_});
  ChainReader reader(rpc, {.kms = net_->kms});

  ASSERT_OK_AND_ASSIGN(uint64_t chain_id, eth_rpc::ChainId(rpc));
  EXPECT_EQ(chain_id, kChainId);
  ASSERT_OK_AND_ASSIGN(uint64_t direct_head, eth_rpc::BlockNumber(*rpc_));
  ASSERT_OK_AND_ASSIGN(uint64_t head, reader.BlockNumber());
  EXPECT_EQ(head, direct_head);
  AppBootInfo info;
  info.app_id = Address(std::array<uint8_t, 20>{0x42});
  ASSERT_OK_AND_ASSIGN(AllowDecision d, reader.IsAppAllowed(info));
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, "App not registered");

  std::vector<EndpointHealth> health = rpc.Health();
  ASSERT_EQ(health.size(), 2u);
  EXPECT_FALSE(health[0].healthy);
  EXPECT_GE(health[0].failures, 1u);
  EXPECT_TRUE(health[1].healthy);
  EXPECT_GE(health[1].requests, 3u);
}

// A JSON-RPC endpoint that only ever answers "rate limited", in one of several shapes. The ids
// of the request are echoed, so a careless client could take the body for an answer.
HttpTestServer::Response RateLimited(const std::string& request, int shape) {
  json req = json::parse(request, nullptr, /*allow_exceptions=*/false);
  json id = req.is_object() && req.contains("id") ? req["id"] : json(1);
  switch (shape) {
    case 0:  // HTTP 200 with a JSON-RPC rate-limit error (infura / alchemy style)
      return {.status = 200,
              .body = json{{"jsonrpc", "2.0"},
                           {"id", id},
                           {"error", {{"code", -32005}, {"message", "rate limit exceeded"}}}}
                          .dump()};
    case 1:  // HTTP 200 with a plain-text notice
      return {.status = 200, .body = "Too Many Requests"};
    default:  // HTTP 429 whose body looks like a (wrong) answer: chain 1, block 1
      return {.status = 429,
              .body = json{{"jsonrpc", "2.0"}, {"id", id}, {"result", "0x1"}}.dump()};
  }
}

TEST_F(ChainIntegrationTest, ReadsAreAnsweredByTheSecondEndpointNeverByARateLimitBody) {
  for (int shape = 0; shape < 3; ++shape) {
    SCOPED_TRACE(absl::StrCat("rate-limit shape ", shape));
    HttpTestServer limited([shape](const std::string& body) { return RateLimited(body, shape); });
    ASSERT_OK(limited.Start());
    ASSERT_OK_AND_ASSIGN(std::shared_ptr<CurlTransport> first,
                         CurlTransport::Create({.url = limited.url()}));
    FailoverClient rpc({first, transport_});

    ASSERT_OK_AND_ASSIGN(uint64_t chain_id, eth_rpc::ChainId(rpc));
    EXPECT_EQ(chain_id, kChainId);  // not 1 from the body
    EXPECT_GE(limited.request_count(), 1);
    std::vector<EndpointHealth> health = rpc.Health();
    EXPECT_FALSE(health[0].healthy);
    EXPECT_TRUE(health[1].healthy);

    // While it backs off, the limited endpoint is not asked again.
    const int asked = limited.request_count();
    ASSERT_OK_AND_ASSIGN(uint64_t direct_head, eth_rpc::BlockNumber(*rpc_));
    ASSERT_OK_AND_ASSIGN(uint64_t head, eth_rpc::BlockNumber(rpc));
    EXPECT_EQ(head, direct_head);
    EXPECT_EQ(limited.request_count(), asked);
  }
}

// ---- 8. Wrong chain id -------------------------------------------------------------------------

TEST_F(ChainIntegrationTest, AWrongChainIdIsRefusedWithFailedPreconditionNamingTheEndpoint) {
  FailoverClient rpc({transport_});
  absl::Status wrong = rpc.ConnectAndCheckChainId(1);
  EXPECT_EQ(wrong.code(), absl::StatusCode::kFailedPrecondition) << wrong;
  EXPECT_THAT(std::string(wrong.message()),
              AllOf(HasSubstr(transport_->Describe()), HasSubstr("31337")));
  EXPECT_TRUE(rpc.ConnectAndCheckChainId(kChainId).ok());
}

// ---- 9. Reorg -----------------------------------------------------------------------------------

TEST_F(ChainIntegrationTest,
       AReceiptWhoseBlockIsRevertedIsReportedAsReorgedAndAwaitedOnTheNewChain) {
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<Signer> sender, FundedSigner());
  ASSERT_OK(ManualMining());
  ASSERT_OK_AND_ASSIGN(json snap, anvil_->Rpc("evm_snapshot", json::array()));
  ASSERT_OK_AND_ASSIGN(const uint64_t base, reader_->BlockNumber());

  // Mined in base+1.
  ASSERT_OK_AND_ASSIGN(SentTx sent, txm_->Send({.signer = sender,
                                                .to = Address(std::array<uint8_t, 20>{0x77}),
                                                .value = U256(1)}));
  ASSERT_OK(Mine(1));
  ASSERT_OK_AND_ASSIGN(std::optional<Receipt> first, reader_->GetReceipt(sent.hash));
  ASSERT_TRUE(first.has_value());
  ASSERT_EQ(first->block_number, base + 1);

  chainkms::Mutex mu;
  std::vector<TxProgress> events;
  chainkms::Notification mined;
  absl::StatusOr<Receipt> final_receipt = absl::UnknownError("not run");
  std::thread waiter([&] {
    final_receipt = txm_->WaitForReceipt(sent.hash, 3, absl::Seconds(30), [&](const TxProgress& p) {
      chainkms::MutexLock l(&mu);
      events.push_back(p);
      if (p.kind == TxProgress::Kind::kMined && !mined.HasBeenNotified()) mined.Notify();
    });
  });
  // The waiter has seen it mined with 1 confirmation; no block is mined until the revert, so it
  // cannot reach 3 on the old chain.
  ASSERT_TRUE(mined.WaitForNotificationWithTimeout(absl::Seconds(10)));

  // Reorg: back to `base`, another transaction takes base+1, ours is re-broadcast and lands in
  // base+2, then two more blocks give it its 3 confirmations on the new chain.
  ASSERT_OK_AND_ASSIGN(json reverted, anvil_->Rpc("evm_revert", json::array({snap})));
  ASSERT_EQ(reverted, json(true));
  ASSERT_OK_AND_ASSIGN(uint64_t after_revert, reader_->BlockNumber());
  ASSERT_EQ(after_revert, base);
  ASSERT_OK(
      anvil_
          ->Rpc("eth_sendTransaction",
                json::array({{{"from", kDeployerAddress},
                              {"to", ToChecksumAddress(Address(std::array<uint8_t, 20>{0x78}))},
                              {"value", "0x2"}}}))
          .status());
  ASSERT_OK(Mine(1));  // base+1: the other transaction only (the revert emptied the pool)
  ASSERT_OK(eth_rpc::SendRawTransaction(*rpc_, sent.raw).status());
  ASSERT_OK(Mine(3));  // base+2 holds ours; base+3 and base+4 confirm it
  waiter.join();

  ASSERT_TRUE(final_receipt.ok()) << final_receipt.status();
  EXPECT_TRUE(final_receipt->success);
  EXPECT_EQ(final_receipt->transaction_hash, sent.hash);
  EXPECT_EQ(final_receipt->block_number, base + 2);
  EXPECT_NE(final_receipt->block_hash, first->block_hash);
  ASSERT_OK_AND_ASSIGN(Hash32 canonical, CanonicalHash(final_receipt->block_number));
  EXPECT_EQ(final_receipt->block_hash, canonical);

  chainkms::MutexLock l(&mu);
  std::vector<TxProgress::Kind> kinds;
  for (const TxProgress& p : events) kinds.push_back(p.kind);
  EXPECT_THAT(kinds, Contains(TxProgress::Kind::kReorged));
  for (const TxProgress& p : events) {
    if (p.kind == TxProgress::Kind::kReorged) {
      EXPECT_EQ(p.block, base + 1);  // where it was before the reorg
      EXPECT_EQ(p.hash, sent.hash);
    }
  }
  // Mined once on each chain; the last report is the third confirmation in base+2.
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), TxProgress::Kind::kMined), 2);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().kind, TxProgress::Kind::kConfirmation);
  EXPECT_EQ(events.back().block, base + 2);
  EXPECT_EQ(events.back().confirmations, 3u);

  std::optional<TxStatus> status = txm_->GetStatus(sent.hash);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->state, TxState::kConfirmed);
  ASSERT_TRUE(status->receipt.has_value());
  EXPECT_EQ(status->receipt->block_hash, canonical);
}

// The receipt disappears with its block and the transaction is not mined again: the waiter
// reports the reorg (and times out waiting), and forgets the receipt of the vanished block.
TEST_F(ChainIntegrationTest, AReorgThatDropsTheTransactionIsReportedEvenIfItIsNeverMinedAgain) {
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<Signer> sender, FundedSigner());
  ASSERT_OK(ManualMining());
  ASSERT_OK_AND_ASSIGN(json snap, anvil_->Rpc("evm_snapshot", json::array()));
  ASSERT_OK_AND_ASSIGN(const uint64_t base, reader_->BlockNumber());
  ASSERT_OK_AND_ASSIGN(SentTx sent, txm_->Send({.signer = sender,
                                                .to = Address(std::array<uint8_t, 20>{0x77}),
                                                .value = U256(1)}));
  ASSERT_OK(Mine(1));
  chainkms::Mutex mu;
  std::vector<TxProgress> events;
  chainkms::Notification mined;
  absl::StatusOr<Receipt> final_receipt = absl::UnknownError("not run");
  std::thread waiter([&] {
    final_receipt = txm_->WaitForReceipt(sent.hash, 3, absl::Seconds(2), [&](const TxProgress& p) {
      chainkms::MutexLock l(&mu);
      events.push_back(p);
      if (p.kind == TxProgress::Kind::kMined && !mined.HasBeenNotified()) mined.Notify();
    });
  });
  ASSERT_TRUE(mined.WaitForNotificationWithTimeout(absl::Seconds(10)));
  ASSERT_OK_AND_ASSIGN(json reverted, anvil_->Rpc("evm_revert", json::array({snap})));
  ASSERT_EQ(reverted, json(true));
  ASSERT_OK(Mine(3));  // base+1..base+3 without our transaction
  waiter.join();
  EXPECT_EQ(final_receipt.status().code(), absl::StatusCode::kDeadlineExceeded);
  chainkms::MutexLock l(&mu);
  std::vector<TxProgress::Kind> kinds;
  for (const TxProgress& p : events) kinds.push_back(p.kind);
  EXPECT_THAT(kinds, Contains(TxProgress::Kind::kReorged));
  std::optional<TxStatus> status = txm_->GetStatus(sent.hash);
  ASSERT_TRUE(status.has_value());
  EXPECT_NE(status->state, TxState::kConfirmed);
  EXPECT_FALSE(status->receipt.has_value()) << "still holds the receipt of block " << base + 1;
}

}  // namespace
}  // namespace chainkms
