#include "services/registry/submit.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/chain/contracts.h"
#include "lib/common/hex.h"
#include "lib/testing/status_matchers.h"

namespace chainkms::registry {
namespace {

using ::chainkms::testutil::HasMetadata;
using ::chainkms::testutil::HasReason;

Address AddrByte(uint8_t b) {
  Address a;
  a[19] = b;
  return a;
}

Secp256k1PrivateKey Key() {
  Bytes raw(32, 0);
  raw[31] = 0x42;
  return *Secp256k1PrivateKey::FromBytes(raw);
}

Transaction Tx(uint64_t chain_id, std::optional<Address> to, Bytes data) {
  return Transaction{.type = TxType::kDynamicFee,
                     .chain_id = chain_id,
                     .nonce = 3,
                     .max_priority_fee_per_gas = U256(1'000'000'000),
                     .max_fee_per_gas = U256(2'000'000'000),
                     .gas_limit = 100000,
                     .to = to,
                     .data = std::move(data)};
}

Bytes Signed(const Transaction& tx) { return EncodeSigned(*SignTransaction(tx, Key())); }

const Address kApp = AddrByte(0xaa);
const Address kKms = AddrByte(0xbb);

Bytes AddHash() {
  Hash32 h;
  h[0] = 1;
  return dstack_app::AddComposeHash(h);
}

TEST(CheckSubmittedTransactionTest, AcceptsAnAllowedFunctionOnTheApp) {
  const Bytes raw = Signed(Tx(31337, kApp, AddHash()));
  const std::vector<Address> targets = {kApp};
  absl::StatusOr<CheckedTransaction> c =
      CheckSubmittedTransaction(raw, 31337, targets, AppWriteSelectors());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->sender, Key().ToAddress());
  EXPECT_EQ(c->to, kApp);
  EXPECT_EQ(Hex0x(c->selector.view()), "0xdfc77223");
  EXPECT_EQ(c->hash, TransactionHash(raw));
  EXPECT_EQ(c->tx.tx.nonce, 3u);
}

TEST(CheckSubmittedTransactionTest, AcceptsAKmsWriteOnDstackKms) {
  Hash32 os;
  os[5] = 9;
  const Bytes raw = Signed(Tx(8453, kKms, dstack_kms::AddOsImageHash(os)));
  const std::vector<Address> targets = {kKms};
  absl::StatusOr<CheckedTransaction> c =
      CheckSubmittedTransaction(raw, 8453, targets, KmsWriteSelectors());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->to, kKms);
}

TEST(CheckSubmittedTransactionTest, OtherTargetIsInvalidArgumentTargetNotAllowed) {
  const Bytes raw = Signed(Tx(31337, AddrByte(0xcc), AddHash()));
  const std::vector<Address> targets = {kApp};
  absl::StatusOr<CheckedTransaction> c =
      CheckSubmittedTransaction(raw, 31337, targets, AppWriteSelectors());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(c.status(), HasReason("TARGET_NOT_ALLOWED"));
  EXPECT_THAT(c.status(), HasMetadata("to", ::testing::_));
}

TEST(CheckSubmittedTransactionTest, ContractCreationIsInvalidArgumentTargetNotAllowed) {
  const Bytes raw = Signed(Tx(31337, std::nullopt, {0x60, 0x00}));
  const std::vector<Address> targets = {kApp};
  absl::StatusOr<CheckedTransaction> c =
      CheckSubmittedTransaction(raw, 31337, targets, AppWriteSelectors());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(c.status(), HasReason("TARGET_NOT_ALLOWED"));
}

TEST(CheckSubmittedTransactionTest, UpgradeIsInvalidArgumentFunctionNotAllowed) {
  const Bytes raw = Signed(Tx(31337, kApp, ownable::UpgradeToAndCall(AddrByte(0xdd), {})));
  const std::vector<Address> targets = {kApp};
  absl::StatusOr<CheckedTransaction> c =
      CheckSubmittedTransaction(raw, 31337, targets, AppWriteSelectors());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(c.status(), HasReason("FUNCTION_NOT_ALLOWED"));
  EXPECT_THAT(c.status(), HasMetadata("selector", ::testing::StartsWith("0x")));
}

TEST(CheckSubmittedTransactionTest, KmsFunctionOnAppIsInvalidArgumentFunctionNotAllowed) {
  const Bytes raw = Signed(Tx(31337, kApp, dstack_kms::RegisterApp(kApp)));
  const std::vector<Address> targets = {kApp};
  EXPECT_THAT(CheckSubmittedTransaction(raw, 31337, targets, AppWriteSelectors()).status(),
              HasReason("FUNCTION_NOT_ALLOWED"));
}

TEST(CheckSubmittedTransactionTest, EmptyCalldataIsInvalidArgumentFunctionNotAllowed) {
  const Bytes raw = Signed(Tx(31337, kApp, {}));
  const std::vector<Address> targets = {kApp};
  EXPECT_THAT(CheckSubmittedTransaction(raw, 31337, targets, AppWriteSelectors()).status(),
              HasReason("FUNCTION_NOT_ALLOWED"));
}

TEST(CheckSubmittedTransactionTest, NonZeroValueIsInvalidArgumentValueNotAllowed) {
  Transaction tx = Tx(31337, kApp, AddHash());
  tx.value = U256(1);
  const Bytes raw = Signed(tx);
  const std::vector<Address> targets = {kApp};
  absl::StatusOr<CheckedTransaction> c =
      CheckSubmittedTransaction(raw, 31337, targets, AppWriteSelectors());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(c.status(), HasReason("VALUE_NOT_ALLOWED"));
  EXPECT_THAT(c.status(), HasMetadata("value_wei", ::testing::Not(::testing::IsEmpty())));
}

TEST(CheckSubmittedTransactionTest, WrongChainIsInvalidArgumentChainIdMismatch) {
  const Bytes raw = Signed(Tx(1, kApp, AddHash()));
  const std::vector<Address> targets = {kApp};
  absl::StatusOr<CheckedTransaction> c =
      CheckSubmittedTransaction(raw, 31337, targets, AppWriteSelectors());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(c.status(), HasReason("CHAIN_ID_MISMATCH"));
  EXPECT_THAT(c.status(), HasMetadata("chain_id", "31337"));
}

TEST(CheckSubmittedTransactionTest, PreEip155LegacyIsInvalidArgumentChainIdMismatch) {
  Transaction tx{.type = TxType::kLegacy,
                 .chain_id = std::nullopt,
                 .nonce = 0,
                 .gas_price = U256(1'000'000'000),
                 .gas_limit = 100000,
                 .to = kApp,
                 .data = AddHash()};
  const Bytes raw = Signed(tx);
  const std::vector<Address> targets = {kApp};
  EXPECT_THAT(CheckSubmittedTransaction(raw, 31337, targets, AppWriteSelectors()).status(),
              HasReason("CHAIN_ID_MISMATCH"));
}

TEST(CheckSubmittedTransactionTest, MalformedBytesAreInvalidArgumentMalformedTransaction) {
  const std::vector<Address> targets = {kApp};
  for (const Bytes& raw : {Bytes{}, Bytes{0x02}, Bytes{0x02, 0xc0}, Bytes{0x7f, 0x01, 0x02}}) {
    absl::StatusOr<CheckedTransaction> c =
        CheckSubmittedTransaction(raw, 31337, targets, AppWriteSelectors());
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << Hex0x(raw);
    EXPECT_THAT(c.status(), HasReason("MALFORMED_TRANSACTION")) << Hex0x(raw);
    EXPECT_THAT(c.status(), HasMetadata("detail", ::testing::Not(::testing::IsEmpty())));
  }
  Bytes truncated = Signed(Tx(31337, kApp, AddHash()));
  truncated.pop_back();
  EXPECT_THAT(CheckSubmittedTransaction(truncated, 31337, targets, AppWriteSelectors()).status(),
              HasReason("MALFORMED_TRANSACTION"));
}

TEST(WriteSelectorsTest, AppAndKmsSetsHoldTheDesignSelectors) {
  auto has = [](const std::vector<FunctionSelector>& set, std::string_view hex) {
    FunctionSelector s = *FunctionSelector::TryFrom(*HexDecode(hex));
    return std::find(set.begin(), set.end(), s) != set.end();
  };
  const auto app = AppWriteSelectors();
  for (std::string_view s : {"dfc77223", "67b3f22c", "2a819728", "1d266200", "7c4beeb8", "6e4c7422",
                             "ec669036", "f2fde38b", "79ba5097"}) {
    EXPECT_TRUE(has(app, s)) << s;
  }
  EXPECT_EQ(app.size(), 9u);
  const auto kms = KmsWriteSelectors();
  EXPECT_TRUE(has(kms, "9cb9c31f"));
  EXPECT_TRUE(has(kms, "8618169d"));
  EXPECT_FALSE(has(kms, "dfc77223"));
  EXPECT_FALSE(has(app, "4f1ef286"));  // upgradeToAndCall(address,bytes)
  EXPECT_FALSE(has(kms, "4f1ef286"));
}

}  // namespace
}  // namespace chainkms::registry
