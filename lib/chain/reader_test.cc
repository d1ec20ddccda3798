#include "lib/chain/reader.h"

#include <functional>
#include <string>
#include <utility>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/common/hex.h"
#include "lib/common/reason.h"
#include "lib/common/u256.h"
#include "lib/eth/abi.h"
#include "lib/eth/address.h"
#include "lib/testing/scripted_rpc.h"

namespace chainkms {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using testutil::ScriptedRpc;

const char* kBlockHash = "0xa50227825baaa5263d7a8956ea4a43c1c2e0291d7095080354a932a78e94bb10";

Address A(std::string_view s) { return *ParseAddress(s); }
Hash32 Fill(uint8_t b) {
  Hash32 h;
  h.bytes.fill(b);
  return h;
}
Bytes Word(bool b) {
  Bytes w(32, 0);
  w[31] = b ? 1 : 0;
  return w;
}

constexpr uint64_t kHead = 0x1b4;

// The answer of a fake Multicall3 to the aggregate3 eth_call `p`: each sub-call answered by
// `answer` (success flag, return data), and getBlockNumber() by the call's block (the head for
// "latest").
absl::StatusOr<json> Aggregate3Answer(
    const json& p, const std::function<std::pair<bool, Bytes>(const Bytes& calldata)>& answer) {
  Bytes data = *HexDecode(p[0]["data"].get<std::string>());
  absl::StatusOr<std::vector<AbiValue>> calls = DecodeCall(kAggregate3Signature, data);
  if (!calls.ok()) return absl::InternalError("not aggregate3");
  const uint64_t block =
      p[1] == "latest" ? kHead : std::stoull(p[1].get<std::string>(), nullptr, 16);
  std::vector<AbiValue> results;
  for (const AbiValue& c : (*calls)[0].items) {
    const Bytes& cd = c.items[2].bytes;
    if (cd == GetBlockNumberCalldata()) {
      results.push_back(AbiValue::Tuple(
          {AbiValue::Bool(true), AbiValue::Bytes(U256(block).ToBigEndian().view())}));
      continue;
    }
    auto [ok, ret] = answer(cd);
    results.push_back(AbiValue::Tuple({AbiValue::Bool(ok), AbiValue::Bytes(ret)}));
  }
  std::vector<AbiType> t = {AbiType::Array(AbiType::Tuple({AbiType::Bool(), AbiType::Bytes()}))};
  std::vector<AbiValue> v = {AbiValue::Array(results)};
  return json(Hex0x(*AbiEncode(t, v)));
}

// A Multicall3 + DstackApp on a fake node: devices whose first byte is 0xd1 and compose hashes
// with an odd first byte are allowed; allowAnyDevice is `any`.
void ScriptChain(ScriptedRpc& rpc, bool any, bool empty_sub_result = false) {
  rpc.On("eth_getBlockByNumber", [](const json&) -> absl::StatusOr<json> {
    return json{{"number", "0x1b4"}, {"hash", kBlockHash}, {"baseFeePerGas", "0x7"}};
  });
  rpc.On("eth_call", [any, empty_sub_result](const json& p) -> absl::StatusOr<json> {
    return Aggregate3Answer(p, [&](const Bytes& cd) -> std::pair<bool, Bytes> {
      Bytes ret;
      if (cd == dstack_app::AllowAnyDevice())
        ret = Word(any);
      else if (cd.size() == 36 && cd[0] == 0xbf)
        ret = Word(cd[4] == 0xd1);
      else if (cd.size() == 36 && cd[0] == 0x2f)
        ret = Word(cd[4] & 1);
      if (empty_sub_result) ret.clear();
      return {true, ret};
    });
  });
}

// One round trip: the block number comes from getBlockNumber() inside the same aggregate3.
TEST(ChainReaderTest, CheckPrerequisitesIsOneEthCallAtLatestThatNamesItsBlockForOneItem) {
  ScriptedRpc rpc;
  ScriptChain(rpc, /*any=*/false);
  ChainReader reader(rpc, {.kms = Address()});
  Hash32 device = Fill(0xd1);
  Hash32 hash = Fill(0x01);
  absl::StatusOr<Prerequisites> p = reader.CheckPrerequisites(
      A("0x00000000000000000000000000000000000000aa"), {&device, 1}, {&hash, 1});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(rpc.Requests(), 1);  // the aggregate3 and the head's header in one batch
  EXPECT_EQ(rpc.Count("eth_call"), 1);
  EXPECT_EQ(rpc.Count("eth_blockNumber"), 0);
  EXPECT_EQ(rpc.Params("eth_call")[0][1], "latest");
  EXPECT_EQ(rpc.Params("eth_call")[0][0]["to"], "0xca11bde05977b3631167028862be2a173976ca11");
  EXPECT_EQ(p->block.number, 0x1b4u);
  EXPECT_EQ(Hex0x(p->block.hash.view()), kBlockHash);
  EXPECT_FALSE(p->allow_any_device);
  EXPECT_EQ(p->device_allowed, std::vector<bool>{true});
  EXPECT_EQ(p->compose_hash_allowed, std::vector<bool>{true});
}

TEST(ChainReaderTest, CheckPrerequisitesIsOneEthCallFor50ItemsAndOrsAllowAny) {
  ScriptedRpc rpc;
  ScriptChain(rpc, /*any=*/true);
  ChainReader reader(rpc, {.kms = Address()});
  std::vector<Hash32> devices, hashes;
  for (int i = 0; i < 50; ++i) {
    devices.push_back(Fill(i == 3 ? 0xd1 : 0x20));
    hashes.push_back(Fill(static_cast<uint8_t>(i)));
  }
  PinnedBlock at{77, Fill(0x77)};
  absl::StatusOr<Prerequisites> p = reader.CheckPrerequisites(
      A("0x00000000000000000000000000000000000000aa"), devices, hashes, at);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(rpc.Requests(), 1);
  EXPECT_EQ(rpc.Count("eth_call"), 1);
  EXPECT_EQ(rpc.Count("eth_getBlockByNumber"), 0);  // the given block is used
  EXPECT_EQ(rpc.Params("eth_call")[0][1], "0x4d");
  EXPECT_EQ(p->block, at);
  EXPECT_TRUE(p->allow_any_device);
  EXPECT_EQ(p->device_allowed, std::vector<bool>(50, true));
  for (int i = 0; i < 50; ++i) EXPECT_EQ(p->compose_hash_allowed[i], i % 2 == 1) << i;
}

TEST(ChainReaderTest, FailsClosedWhenTheMulticallSubCallFailed) {
  ScriptedRpc rpc;
  ScriptChain(rpc, false);
  // cast calldata 'Error(string)' 'Multicall3: call failed'
  std::string revert =
      "0x08c379a0000000000000000000000000000000000000000000000000000000000000002000000000000000000"
      "000000000000000000000000000000000000000000000174d756c746963616c6c333a2063616c6c206661696c65"
      "64000000000000000000";
  rpc.On("eth_call", [revert](const json&) -> absl::StatusOr<json> {
    return testutil::RpcErrorStatus(3, "execution reverted: Multicall3: call failed", revert,
                                    "eth_call");
  });
  ChainReader reader(rpc, {.kms = Address()});
  Hash32 h = Fill(1);
  absl::StatusOr<Prerequisites> p = reader.CheckPrerequisites(Address(), {}, {&h, 1});
  EXPECT_EQ(p.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(p.status().message(), HasSubstr("Multicall3: call failed"));
}

// APP_NOT_FOUND is NOT_FOUND, as common.proto documents, with the app in its metadata.
TEST(ChainReaderTest, AnAppWithoutCodeIsNotFoundWithReasonAppNotFound) {
  ScriptedRpc rpc;
  ScriptChain(rpc, false, /*empty_sub_result=*/true);
  ChainReader reader(rpc, {.kms = Address()});
  absl::StatusOr<Prerequisites> p =
      reader.CheckPrerequisites(A("0x00000000000000000000000000000000000000aa"), {}, {});
  EXPECT_EQ(p.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ReasonOf(p.status()), Reason::kAppNotFound);
  EXPECT_EQ(MetadataOf(p.status()).at("app_id"), "0x00000000000000000000000000000000000000AA");
  EXPECT_THAT(p.status().message(),
              HasSubstr("no contract at 0x00000000000000000000000000000000000000AA"));
}

TEST(ChainReaderTest, MissingMulticallIsNoContract) {
  ScriptedRpc rpc;
  ScriptChain(rpc, false);
  rpc.On("eth_call", [](const json&) -> absl::StatusOr<json> { return json("0x"); });
  ChainReader reader(rpc, {.kms = Address()});
  absl::StatusOr<Prerequisites> p = reader.CheckPrerequisites(Address(), {}, {});
  EXPECT_EQ(p.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(p.status().message(),
              HasSubstr("no contract at 0xcA11bde05977b3631167028862bE2a173976CA11"));
}

TEST(ChainReaderTest, ChainTroubleIsUnavailable) {
  ScriptedRpc rpc;  // nothing scripted: every call fails like a dead endpoint
  ChainReader reader(rpc, {.kms = Address()});
  EXPECT_EQ(reader.CheckPrerequisites(Address(), {}, {}).status().code(),
            absl::StatusCode::kUnavailable);
  ScriptChain(rpc, false);
  rpc.On("eth_call", [](const json&) -> absl::StatusOr<json> { return json(42); });
  EXPECT_EQ(reader.CheckPrerequisites(Address(), {}, {}).status().code(),
            absl::StatusCode::kUnavailable);
}

// A fake Multicall3 on chain `chain_id`: getChainId() answers it, the app as ScriptChain's.
void ScriptChainWithId(ScriptedRpc& rpc, uint64_t chain_id) {
  ScriptChain(rpc, false);
  rpc.On("eth_call", [chain_id](const json& p) -> absl::StatusOr<json> {
    return Aggregate3Answer(p, [&](const Bytes& cd) -> std::pair<bool, Bytes> {
      if (cd == Bytes{0x34, 0x08, 0xe4, 0x70}) {
        const Hash32 id = U256(chain_id).ToBigEndian();
        return {true, Bytes(id.bytes.begin(), id.bytes.end())};
      }
      if (cd.size() == 36 && cd[0] == 0x2f) return {true, Word(cd[4] & 1)};
      return {true, Word(false)};
    });
  });
}

// Every decision read, not only the key release, proves its chain: an endpoint pointed at
// another network answers nothing the registry or provisioning could act on.
TEST(ChainReaderTest, APrerequisitesReadFromAnotherChainIsUnavailable) {
  ScriptedRpc rpc;
  ScriptChainWithId(rpc, 8453);
  ChainReader reader(rpc, {.kms = Address(), .chain_id = 31337});
  Hash32 h = Fill(0x01);
  absl::StatusOr<Prerequisites> p =
      reader.CheckPrerequisites(A("0x00000000000000000000000000000000000000aa"), {}, {&h, 1});
  EXPECT_EQ(p.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(p.status().message(), HasSubstr("another chain (getChainId 8453, want 31337)"));
  EXPECT_EQ(rpc.Requests(), 1);  // still one round trip
}

TEST(ChainReaderTest, APrerequisitesReadFromTheRightChainKeepsItsAnswersAligned) {
  ScriptedRpc rpc;
  ScriptChainWithId(rpc, 31337);
  ChainReader reader(rpc, {.kms = Address(), .chain_id = 31337});
  std::vector<Hash32> hashes = {Fill(0x01), Fill(0x02), Fill(0x03)};
  absl::StatusOr<Prerequisites> p =
      reader.CheckPrerequisites(A("0x00000000000000000000000000000000000000aa"), {}, hashes);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->compose_hash_allowed, (std::vector<bool>{true, false, true}));
  EXPECT_EQ(p->block.number, kHead);
}

TEST(ChainReaderTest, RejectsTooManyItems) {
  ScriptedRpc rpc;
  ChainReader reader(rpc, {.kms = Address()});
  std::vector<Hash32> many(ChainReader::kMaxItems + 1);
  absl::StatusOr<Prerequisites> p = reader.CheckPrerequisites(Address(), many, {});
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(p.status().message(), HasSubstr("devices"));
}

TEST(ChainReaderTest, IsAppAllowedAsksDstackKmsAtThePinnedBlock) {
  ScriptedRpc rpc;
  ScriptChain(rpc, false);
  Address kms = A("0x2f83172A49584C017F2B256F0FB2Dca14126Ba9C");
  AppBootInfo info;
  info.app_id = A("0x00000000000000000000000000000000000000aa");
  info.tcb_status = "UpToDate";
  rpc.On("eth_call", [&](const json& p) -> absl::StatusOr<json> {
    return Aggregate3Answer(p, [&](const Bytes& cd) -> std::pair<bool, Bytes> {
      EXPECT_EQ(cd, dstack_kms::IsAppAllowed(info));
      std::vector<AbiType> t = {AbiType::Bool(), AbiType::String()};
      std::vector<AbiValue> v = {AbiValue::Bool(false),
                                 AbiValue::String("Compose hash not allowed")};
      return {true, *AbiEncode(t, v)};
    });
  });
  ChainReader reader(rpc, {.kms = kms});
  absl::StatusOr<AllowDecision> d = reader.IsAppAllowed(info);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_FALSE(d->allowed);
  EXPECT_EQ(d->reason, "Compose hash not allowed");
  EXPECT_EQ(d->block.number, 0x1b4u);
  EXPECT_EQ(rpc.Requests(), 1);
  EXPECT_EQ(rpc.Params("eth_call")[0][1], "latest");
  // At a pinned block the call carries that block's number as its tag.
  absl::StatusOr<AllowDecision> pinned = reader.IsAppAllowed(info, PinnedBlock{0x10, Fill(0x10)});
  ASSERT_TRUE(pinned.ok()) << pinned.status();
  EXPECT_EQ(pinned->block, (PinnedBlock{0x10, Fill(0x10)}));
  EXPECT_EQ(rpc.Params("eth_call")[1][1], "0x10");
}

TEST(ChainReaderTest, RevertedReadIsFailedPreconditionWithDecodedReason) {
  ScriptedRpc rpc;
  ScriptChain(rpc, false);
  rpc.On("eth_call", [](const json&) -> absl::StatusOr<json> {
    return testutil::RpcErrorStatus(
        3, "execution reverted",
        "0x118cdaa70000000000000000000000005b38da6a701c568545dcfcb03fcb875f56beddc4", "eth_call");
  });
  ChainReader reader(rpc, {.kms = Address()});
  absl::StatusOr<AllowDecision> d = reader.IsKmsAllowed(AppBootInfo{});
  EXPECT_EQ(d.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(d.status().message(),
              HasSubstr("OwnableUnauthorizedAccount(0x5B38Da6a701c568545dCfcB03FcB875f56beddC4)"));
}

TEST(ChainReaderTest, ABlockArrivingBetweenTheBatchHalvesIsReadAgain) {
  ScriptedRpc rpc;
  ScriptChain(rpc, false);
  int headers = 0;
  // The first header is one block behind the state that answered the aggregate3.
  rpc.On("eth_getBlockByNumber", [&](const json&) -> absl::StatusOr<json> {
    return json{{"number", ++headers == 1 ? "0x1b3" : "0x1b4"}, {"hash", kBlockHash}};
  });
  ChainReader reader(rpc, {.kms = Address()});
  absl::StatusOr<Prerequisites> p = reader.CheckPrerequisites(Address(), {}, {});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(rpc.Requests(), 2);
  EXPECT_EQ(p->block.number, kHead);
  EXPECT_EQ(Hex0x(p->block.hash.view()), kBlockHash);
}

TEST(ChainReaderTest, KmsStateAndAllowlistsAreOneRoundTripEach) {
  ScriptedRpc rpc;
  ScriptChain(rpc, false);
  Address owner = A("0x5B38Da6a701c568545dCfcB03FcB875f56beddC4");
  Bytes owner_word(12, 0);
  owner_word.insert(owner_word.end(), owner.begin(), owner.end());
  rpc.On("eth_call", [&](const json& p) -> absl::StatusOr<json> {
    return Aggregate3Answer(p, [&](const Bytes& cd) -> std::pair<bool, Bytes> {
      if (cd == dstack_kms::GetKmsInfo()) {
        std::vector<AbiType> t = {AbiType::Bytes(), AbiType::Bytes(), AbiType::Bytes(),
                                  AbiType::Bytes()};
        std::vector<AbiValue> v = {AbiValue::Bytes(Bytes(33, 2)), AbiValue::Bytes(Bytes{0x30}),
                                   AbiValue::Bytes(Bytes{}), AbiValue::Bytes(Bytes{})};
        return {true, *AbiEncode(t, v)};
      }
      if (cd == ownable::Owner() || cd == dstack_kms::AppImplementation())
        return {true, owner_word};
      if (cd == dstack_kms::GatewayAppId()) {
        std::vector<AbiType> t = {AbiType::String()};
        std::vector<AbiValue> v = {AbiValue::String("gw")};
        return {true, *AbiEncode(t, v)};
      }
      if (cd == ownable::PendingOwner()) return {true, Bytes(32, 0)};
      return {true, Word(cd.size() == 36 && cd[4] == 0x01)};  // allowlists: first byte 0x01 allowed
    });
  });
  ChainReader reader(rpc, {.kms = A("0x2f83172A49584C017F2B256F0FB2Dca14126Ba9C")});
  absl::StatusOr<KmsState> k = reader.GetKmsState();
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_EQ(rpc.Requests(), 1);
  EXPECT_EQ(k->owner, owner);
  EXPECT_EQ(k->gateway_app_id, "gw");
  EXPECT_EQ(k->info.k256_pubkey, Bytes(33, 2));
  EXPECT_FALSE(k->pending_owner.has_value());
  EXPECT_EQ(k->block.number, kHead);

  std::vector<Hash32> os = {Fill(0x01), Fill(0x02)}, mrs = {Fill(0x01)}, devices = {Fill(0x03)};
  absl::StatusOr<KmsAllowlists> l = reader.CheckKmsAllowlists(os, mrs, devices);
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_EQ(rpc.Requests(), 2);
  EXPECT_EQ(l->os_image_allowed, (std::vector<bool>{true, false}));
  EXPECT_EQ(l->aggregated_mr_allowed, (std::vector<bool>{true}));
  EXPECT_EQ(l->device_allowed, (std::vector<bool>{false}));
}

TEST(ChainReaderTest, Erc1967SlotIsTheStandardOne) {
  EXPECT_EQ(Hex0x(Erc1967ImplementationSlot().view()),
            "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc");
}

// A receipt exactly as anvil 1.7.1 returned it for a create whose init code emits
// ComposeHashAdded(0x11…11).
const char* kAnvilReceipt =
    R"({"type":"0x2","status":"0x1","cumulativeGasUsed":"0xd79d","logs":[{"address":"0x5fbdb2315678afecb367f032d93f642f64180aa3","topics":["0xfecb34306dd9d8b785b54d65489d06afc8822a0893ddacedff40c50a4942d0af"],"data":"0x1111111111111111111111111111111111111111111111111111111111111111","blockHash":"0xa50227825baaa5263d7a8956ea4a43c1c2e0291d7095080354a932a78e94bb10","blockNumber":"0x1","blockTimestamp":"0x6b01ad1d","transactionHash":"0x5fca5aea3453dd9d31be68d835b9d167d001f657155ef6c3c32863766d786a22","transactionIndex":"0x0","logIndex":"0x0","removed":false}],"logsBloom":"0x00","transactionHash":"0x5fca5aea3453dd9d31be68d835b9d167d001f657155ef6c3c32863766d786a22","transactionIndex":"0x0","blockHash":"0xa50227825baaa5263d7a8956ea4a43c1c2e0291d7095080354a932a78e94bb10","blockNumber":"0x1","gasUsed":"0xd79d","effectiveGasPrice":"0x3b9aca01","blobGasPrice":"0x1","from":"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266","to":null,"contractAddress":"0x5fbdb2315678afecb367f032d93f642f64180aa3","blockTimestamp":1795271965})";

TEST(ChainReaderTest, DecodesAnAnvilReceiptIntoTypedEvents) {
  ScriptedRpc rpc;
  rpc.On("eth_getTransactionReceipt",
         [](const json&) -> absl::StatusOr<json> { return json::parse(kAnvilReceipt); });
  ChainReader reader(rpc, {.kms = Address()});
  absl::StatusOr<std::optional<Receipt>> r = reader.GetReceipt(Fill(0x5f));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->has_value());
  const Receipt& rc = **r;
  EXPECT_TRUE(rc.success);
  EXPECT_EQ(rc.block_number, 1u);
  EXPECT_EQ(rc.gas_used, 0xd79du);
  EXPECT_EQ(rc.effective_gas_price, U256(0x3b9aca01));
  EXPECT_FALSE(rc.to.has_value());
  Address created = A("0x5fbdb2315678afecb367f032d93f642f64180aa3");
  EXPECT_EQ(rc.contract_address, created);
  ASSERT_EQ(rc.logs.size(), 1u);
  std::vector<ContractEvent> events = rc.EventsFrom(created);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(std::get<ComposeHashAdded>(events[0]).hash, Fill(0x11));
  EXPECT_TRUE(rc.EventsFrom(Address()).empty());
}

TEST(ChainReaderTest, UnminedReceiptIsNulloptAndBadReceiptIsUnavailable) {
  ScriptedRpc rpc;
  rpc.On("eth_getTransactionReceipt",
         [](const json&) -> absl::StatusOr<json> { return json(nullptr); });
  ChainReader reader(rpc, {.kms = Address()});
  absl::StatusOr<std::optional<Receipt>> r = reader.GetReceipt(Fill(1));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
  rpc.On("eth_getTransactionReceipt", [](const json&) -> absl::StatusOr<json> {
    json j = json::parse(kAnvilReceipt);
    j["blockHash"] = "0x1234";  // a short hash is never padded
    return j;
  });
  EXPECT_EQ(reader.GetReceipt(Fill(1)).status().code(), absl::StatusCode::kUnavailable);
}

TEST(ChainReaderTest, GetAppReadsFlagsAndImplementationAtOneBlock) {
  ScriptedRpc rpc;
  ScriptChain(rpc, true);
  Address owner = A("0x5B38Da6a701c568545dCfcB03FcB875f56beddC4");
  rpc.On("eth_call", [&](const json& p) -> absl::StatusOr<json> {
    Bytes owner_word(12, 0);
    owner_word.insert(owner_word.end(), owner.begin(), owner.end());
    Bytes two(32, 0);
    two[31] = 2;
    std::vector<std::pair<bool, Bytes>> answers = {
        {true, Word(true)},    // registered
        {true, owner_word},    // owner
        {true, Word(true)},    // any
        {true, Bytes(32, 0)},  // pending
        {false, Bytes{}},      // no tcb getter
        {true, two},           // version
        {true, Word(true)},    // upgradesDisabled
    };
    size_t i = 0;
    return Aggregate3Answer(p, [&](const Bytes&) { return answers.at(i++); });
  });
  rpc.On("eth_getStorageAt", [](const json& p) -> absl::StatusOr<json> {
    EXPECT_EQ(p[1], "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc");
    EXPECT_EQ(p[2], "latest");
    return json("0x000000000000000000000000e7f1725e7734ce288f8367e1bb143e90bb3f0512");
  });
  ChainReader reader(rpc, {.kms = Address()});
  absl::StatusOr<AppState> s = reader.GetApp(A("0x00000000000000000000000000000000000000aa"));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(s->registered);
  EXPECT_EQ(s->owner, owner);
  EXPECT_TRUE(s->allow_any_device);
  EXPECT_EQ(s->pending_owner, Address());
  EXPECT_FALSE(s->require_tcb_up_to_date.has_value());
  EXPECT_EQ(s->version, U256(2));
  EXPECT_EQ(s->implementation, A("0xe7f1725e7734ce288f8367e1bb143e90bb3f0512"));
  EXPECT_EQ(s->upgrades_disabled, true);
  EXPECT_EQ(s->block.number, 0x1b4u);
  // One batch, one round trip: the aggregate3, the slot read and the header.
  EXPECT_EQ(rpc.Requests(), 1);
  EXPECT_EQ(Hex0x(s->block.hash.view()), kBlockHash);
}

}  // namespace
}  // namespace chainkms
