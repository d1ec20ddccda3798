#include "lib/chain/contracts.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/common/hex.h"
#include "lib/crypto/keccak.h"
#include "lib/eth/abi_type.h"
#include "lib/eth/address.h"
#include "lib/eth/revert.h"

namespace chainkms {
namespace {

Address A(std::string_view hex) { return *ParseAddress(hex); }
std::string X(const Bytes& b) { return Hex0x(b); }
Hash32 Fill(uint8_t b) {
  Hash32 h;
  h.bytes.fill(b);
  return h;
}
const char* kAddr = "0x5B38Da6a701c568545dCfcB03FcB875f56beddC4";

std::string SelectorHex(std::string_view signature) { return Hex0x(Selector(signature)->view()); }

TEST(ContractsTest, SelectorsMatchTheDesignTable) {
  EXPECT_EQ(SelectorHex(sig::kIsAppAllowed), "0x1e079198");
  EXPECT_EQ(SelectorHex(sig::kAddComposeHash), "0xdfc77223");
  EXPECT_EQ(SelectorHex(sig::kRemoveComposeHash), "0x67b3f22c");
  EXPECT_EQ(SelectorHex(sig::kAddDevice), "0x2a819728");
  EXPECT_EQ(SelectorHex(sig::kRemoveDevice), "0x1d266200");
  EXPECT_EQ(SelectorHex(sig::kSetAllowAnyDevice), "0x7c4beeb8");
  EXPECT_EQ(SelectorHex(sig::kSetRequireTcbUpToDate), "0x6e4c7422");
  EXPECT_EQ(SelectorHex(sig::kDisableUpgrades), "0xec669036");
  EXPECT_EQ(SelectorHex(sig::kAllowedComposeHashes), "0x2f6622e5");
  EXPECT_EQ(SelectorHex(sig::kAllowAnyDevice), "0x3440a16a");
  EXPECT_EQ(SelectorHex(sig::kAllowedDeviceIds), "0xbf8b211b");
  EXPECT_EQ(SelectorHex(sig::kRequireTcbUpToDate), "0x0aa58c83");
  EXPECT_EQ(SelectorHex(sig::kAppInitialize), "0x9ed28193");
  EXPECT_EQ(SelectorHex(sig::kAppInitializeLegacy), "0x187515ca");
  EXPECT_EQ(SelectorHex(sig::kOwner), "0x8da5cb5b");
  EXPECT_EQ(SelectorHex(sig::kTransferOwnership), "0xf2fde38b");
  EXPECT_EQ(SelectorHex(sig::kAcceptOwnership), "0x79ba5097");
  EXPECT_EQ(SelectorHex(sig::kDeployAndRegisterApp), "0x9cb9c31f");
  EXPECT_EQ(SelectorHex(sig::kDeployAndRegisterAppLegacy), "0x8618169d");
  EXPECT_EQ(SelectorHex(sig::kIsKmsAllowed), "0xe067ec9d");
  EXPECT_EQ(SelectorHex("OwnableUnauthorizedAccount(address)"), "0x118cdaa7");
  // `cast sig` for the DstackKms functions DESIGN lists without selectors.
  EXPECT_EQ(SelectorHex(sig::kPendingOwner), "0xe30c3978");
  EXPECT_EQ(SelectorHex(sig::kRegisterApp), "0x17a1d80f");
  EXPECT_EQ(SelectorHex(sig::kSetKmsInfo), "0x7d025352");
  EXPECT_EQ(SelectorHex(sig::kKmsInfo), "0x09177063");
}

TEST(ContractsTest, ManagementInterfaceIdIsXorOfFirstFourSelectors) {
  Bytes ids[] = {dstack_app::AddComposeHash(Hash32()), dstack_app::RemoveComposeHash(Hash32()),
                 dstack_app::AddDevice(Hash32()), dstack_app::RemoveDevice(Hash32())};
  uint8_t x[4] = {0, 0, 0, 0};
  for (const Bytes& b : ids) {
    for (int i = 0; i < 4; ++i) x[i] ^= b[i];
  }
  EXPECT_EQ(HexEncode(ByteView(x, 4), true), "0x8fd37527");
}

TEST(ContractsTest, AddComposeHashMatchesCast) {
  // cast calldata 'addComposeHash(bytes32)' 0x11…11
  EXPECT_EQ(X(dstack_app::AddComposeHash(Fill(0x11))),
            "0xdfc772231111111111111111111111111111111111111111111111111111111111111111");
}

TEST(ContractsTest, IsAppAllowedMatchesCast) {
  AppBootInfo info{A(kAddr), Fill(0x11), A("0x00000000000000000000000000000000000000aa"),
                   Fill(0x22), Fill(0x33), Fill(0x44), Fill(0x55), "UpToDate",
                   {"INTEL-SA-00837", "INTEL-SA-00615"}};
  // cast calldata 'isAppAllowed((address,bytes32,address,bytes32,bytes32,bytes32,bytes32,string,string[]))'
  //   "(0x5B38…,0x11…,0x…aa,0x22…,0x33…,0x44…,0x55…,\"UpToDate\",[\"INTEL-SA-00837\",\"INTEL-SA-00615\"])"
  EXPECT_EQ(X(dstack_kms::IsAppAllowed(info)),
            "0x1e07919800000000000000000000000000000000000000000000000000000000000000200000000000000000"
            "000000005b38da6a701c568545dcfcb03fcb875f56beddc4111111111111111111111111111111111111111111"
            "111111111111111111111100000000000000000000000000000000000000000000000000000000000000aa2222"
            "222222222222222222222222222222222222222222222222222222222222333333333333333333333333333333"
            "333333333333333333333333333333333344444444444444444444444444444444444444444444444444444444"
            "444444445555555555555555555555555555555555555555555555555555555555555555000000000000000000"
            "000000000000000000000000000000000000000000012000000000000000000000000000000000000000000000"
            "000000000000000001600000000000000000000000000000000000000000000000000000000000000008557054"
            "6f4461746500000000000000000000000000000000000000000000000000000000000000000000000000000000"
            "000000000000000000000000000000020000000000000000000000000000000000000000000000000000000000"
            "000040000000000000000000000000000000000000000000000000000000000000008000000000000000000000"
            "0000000000000000000000000000000000000000000e494e54454c2d53412d3030383337000000000000000000"
            "000000000000000000000000000000000000000000000000000000000000000000000000000000000e494e5445"
            "4c2d53412d3030363135000000000000000000000000000000000000");
  // The same calldata reaches the app contract (same selector, same argument).
  EXPECT_EQ(dstack_app::IsAppAllowed(info), dstack_kms::IsAppAllowed(info));
}

TEST(ContractsTest, DeployAndRegisterAppMatchesCast) {
  AppPolicyInit init{A(kAddr), false, true, false, Fill(0xaa), Fill(0xbb)};
  // cast calldata 'deployAndRegisterApp(address,bool,bool,bool,bytes32,bytes32)' 0x5B38… false true false 0xaa… 0xbb…
  EXPECT_EQ(X(dstack_kms::DeployAndRegisterApp(init)),
            "0x9cb9c31f0000000000000000000000005b38da6a701c568545dcfcb03fcb875f56beddc400000000000000"
            "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
            "0000000000000000000000000100000000000000000000000000000000000000000000000000000000000000"
            "00aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbbbbbbb"
            "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
}

TEST(ContractsTest, LegacyInitializeMatchesCast) {
  AppPolicyInit init{A(kAddr), true, true, false, Fill(0x11), Hash32()};
  // cast calldata 'initialize(address,bool,bool,bytes32,bytes32)' 0x5B38… true false 0x11… 0x00…
  EXPECT_EQ(X(dstack_app::InitializeLegacy(init)),
            "0x187515ca0000000000000000000000005b38da6a701c568545dcfcb03fcb875f56beddc400000000000000"
            "0000000000000000000000000000000000000000000000000100000000000000000000000000000000000000"
            "0000000000000000000000000011111111111111111111111111111111111111111111111111111111111111"
            "110000000000000000000000000000000000000000000000000000000000000000");
}

TEST(ContractsTest, SetKmsInfoAndGatewayMatchCast) {
  // cast calldata 'setKmsInfo((bytes,bytes,bytes,bytes))' '(0x01,0x0203,0x,0x04)'
  EXPECT_EQ(X(dstack_kms::SetKmsInfo({{0x01}, {0x02, 0x03}, {}, {0x04}})),
            "0x7d025352000000000000000000000000000000000000000000000000000000000000002000000000000000"
            "0000000000000000000000000000000000000000000000008000000000000000000000000000000000000000"
            "000000000000000000000000c000000000000000000000000000000000000000000000000000000000000001"
            "0000000000000000000000000000000000000000000000000000000000000001200000000000000000000000"
            "0000000000000000000000000000000000000000010100000000000000000000000000000000000000000000"
            "0000000000000000000000000000000000000000000000000000000000000000000000000000000002020300"
            "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
            "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
            "00000000010400000000000000000000000000000000000000000000000000000000000000");
  // cast calldata 'setGatewayAppId(string)' 'gateway-app'
  EXPECT_EQ(X(dstack_kms::SetGatewayAppId("gateway-app")),
            "0x3971db27000000000000000000000000000000000000000000000000000000000000002000000000000000"
            "0000000000000000000000000000000000000000000000000b676174657761792d6170700000000000000000"
            "00000000000000000000000000");
}

TEST(ContractsTest, DecodesAllowedAnswer) {
  // cast abi-encode 'f(bool,string)' false 'Device not allowed'
  Bytes ret = *HexDecode(
      "0x00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
      "000000000000000000000000000000000000040000000000000000000000000000000000000000000000000000000"
      "0000000012446576696365206e6f7420616c6c6f7765640000000000000000000000000000");
  absl::StatusOr<AllowedAnswer> a = DecodeAllowedResult(ret);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_FALSE(a->allowed);
  EXPECT_EQ(a->reason, "Device not allowed");
}

TEST(ContractsTest, EmptyResultIsNoContract) {
  absl::StatusOr<bool> b = DecodeBoolResult({});
  EXPECT_EQ(b.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(DecodeBoolResult(Bytes(32, 0x02)).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ContractsTest, DecodesKmsInfoAsFourReturnValues) {
  Bytes ret = *AbiEncode(std::vector<AbiType>(4, AbiType::Bytes()),
                         std::vector<AbiValue>{AbiValue::Bytes(Bytes{1}), AbiValue::Bytes(Bytes{2, 3}),
                                               AbiValue::Bytes(Bytes{}), AbiValue::Bytes(Bytes{4})});
  absl::StatusOr<KmsInfo> k = DecodeKmsInfoResult(ret);
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_EQ(*k, (KmsInfo{{1}, {2, 3}, {}, {4}}));
}

TEST(ContractsTest, PolicyIdsAreKeccakOfNames) {
  // cast keccak compose-hash
  EXPECT_EQ(Hex0x(PolicyId(Policy::kComposeHash).view()),
            "0x56bdf4352a9ceb1ba8f5c68066725c095e69c1d3f8a437290f0ac1da8fb4e19c");
  EXPECT_EQ(PolicyFromId(PolicyId(Policy::kImplementationUpgrade)), Policy::kImplementationUpgrade);
  EXPECT_EQ(PolicyFromId(Fill(0x01)), std::nullopt);
}

Log MakeLog(std::string_view event, std::vector<Hash32> indexed, Bytes data) {
  Log l;
  l.address = A(kAddr);
  l.topics.push_back(EventTopicFor(event));
  for (const Hash32& h : indexed) l.topics.push_back(h);
  l.data = std::move(data);
  return l;
}

Hash32 AddressWord(const Address& a) {
  Hash32 w;
  std::copy(a.begin(), a.end(), w.begin() + 12);
  return w;
}

TEST(ContractsTest, DecodesComposeHashAdded) {
  std::optional<ContractEvent> e =
      DecodeEvent(MakeLog(event_sig::kComposeHashAdded, {}, Fill(0x11).ToBytes()));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(std::get<ComposeHashAdded>(*e).hash, Fill(0x11));
  EXPECT_EQ(EventName(*e), "ComposeHashAdded");
}

TEST(ContractsTest, RejectsComposeHashAddedWithWrongTopicCountOrData) {
  // An extra topic, a short data word, or trailing data: not the event.
  EXPECT_FALSE(DecodeEvent(MakeLog(event_sig::kComposeHashAdded, {Fill(1)}, Fill(0x11).ToBytes())));
  EXPECT_FALSE(DecodeEvent(MakeLog(event_sig::kComposeHashAdded, {}, Bytes(31, 0x11))));
  EXPECT_FALSE(DecodeEvent(MakeLog(event_sig::kComposeHashAdded, {}, Bytes(64, 0x11))));
  Log unknown = MakeLog(event_sig::kComposeHashAdded, {}, Fill(0x11).ToBytes());
  unknown.topics[0] = Fill(0x99);
  EXPECT_FALSE(DecodeEvent(unknown));
}

TEST(ContractsTest, DecodesPolicyChangedWithIndexedTopics) {
  // topic0 = cast keccak 'PolicyChanged(address,bytes32,bytes32,bool)'
  EXPECT_EQ(Hex0x(EventTopicFor(event_sig::kPolicyChanged).view()),
            "0x341d3bc64e32172fc5bcf27b0f7f69dc5adc19af64b7aa1dee361e5883c32375");
  Bytes enabled(32, 0);
  enabled[31] = 1;
  std::optional<ContractEvent> e = DecodeEvent(MakeLog(
      event_sig::kPolicyChanged, {AddressWord(A(kAddr)), PolicyId(Policy::kDevice), Fill(0x22)},
      enabled));
  ASSERT_TRUE(e.has_value());
  const auto& p = std::get<PolicyChanged>(*e);
  EXPECT_EQ(p.actor, A(kAddr));
  EXPECT_EQ(PolicyFromId(p.policy), Policy::kDevice);
  EXPECT_EQ(p.value, Fill(0x22));
  EXPECT_TRUE(p.enabled);
}

TEST(ContractsTest, DecodesFactoryAndOwnershipAndUpgradeEvents) {
  Address app = A("0x00000000000000000000000000000000000000aa");
  Address deployer = A(kAddr);
  auto e = DecodeEvent(MakeLog(event_sig::kAppDeployedViaFactory,
                               {AddressWord(app), AddressWord(deployer)}, {}));
  ASSERT_TRUE(e);
  EXPECT_EQ(std::get<AppDeployedViaFactory>(*e), (AppDeployedViaFactory{app, deployer}));
  e = DecodeEvent(MakeLog(event_sig::kAppRegistered, {}, AddressWord(app).ToBytes()));
  ASSERT_TRUE(e);
  EXPECT_EQ(std::get<AppRegistered>(*e).app_id, app);
  e = DecodeEvent(MakeLog(event_sig::kOwnershipTransferStarted,
                          {AddressWord(deployer), AddressWord(app)}, {}));
  ASSERT_TRUE(e);
  EXPECT_EQ(std::get<OwnershipTransferStarted>(*e).new_owner, app);
  e = DecodeEvent(MakeLog(event_sig::kUpgraded, {AddressWord(app)}, {}));
  ASSERT_TRUE(e);
  EXPECT_EQ(std::get<Upgraded>(*e).implementation, app);
  e = DecodeEvent(MakeLog(event_sig::kUpgradesDisabled, {}, {}));
  ASSERT_TRUE(e);
  EXPECT_TRUE(std::holds_alternative<UpgradesDisabled>(*e));
  // A dirty address topic is not an address.
  Hash32 dirty = AddressWord(app);
  dirty[0] = 1;
  EXPECT_FALSE(DecodeEvent(MakeLog(event_sig::kUpgraded, {dirty}, {})));
}

TEST(ContractsTest, DecodesGatewayAppIdSetWithDynamicData) {
  Bytes data = *AbiEncode(std::vector<AbiType>{AbiType::String()},
                          std::vector<AbiValue>{AbiValue::String("gw")});
  auto e = DecodeEvent(MakeLog(event_sig::kGatewayAppIdSet, {}, data));
  ASSERT_TRUE(e);
  EXPECT_EQ(std::get<GatewayAppIdSet>(*e).gateway_app_id, "gw");
}

TEST(ContractsTest, KnownCustomErrorsDecodeOwnableUnauthorizedAccount) {
  // cast calldata 'OwnableUnauthorizedAccount(address)' 0x5B38…
  Bytes data = *HexDecode("0x118cdaa70000000000000000000000005b38da6a701c568545dcfcb03fcb875f56beddc4");
  absl::StatusOr<Revert> r = DecodeRevert(data, KnownCustomErrors());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kind, RevertKind::kCustom);
  EXPECT_EQ(r->Describe(), "OwnableUnauthorizedAccount(0x5B38Da6a701c568545dCfcB03FcB875f56beddC4)");
}

}  // namespace
}  // namespace chainkms
