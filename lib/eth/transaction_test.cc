#include "lib/eth/transaction.h"

#include <gtest/gtest.h>

#include <string>

#include "lib/common/hex.h"
#include "lib/eth/address.h"
#include "lib/eth/rlp.h"

namespace chainkms {
namespace {

// Anvil's first dev account; every expected value below comes from `cast mktx` with this key:
//   K=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
Secp256k1PrivateKey DevKey() {
  return *Secp256k1PrivateKey::FromBytes(
      *HexDecode("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"));
}
constexpr char kDevAddress[] = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
constexpr char kTo[] = "0x70997970c51812dc3A010c7d01B50E0d4dc79c88";
constexpr uint64_t kGwei = 1000000000;
const U256 kOneEther = *U256::FromDecimal("1000000000000000000");

Bytes H(std::string_view hex) { return *HexDecode(hex); }
Hash32 Key(uint8_t last) {
  Hash32 h;
  h[31] = last;
  return h;
}

// cast mktx --private-key $K --chain 1 --nonce 7 --gas-limit 50000 --gas-price 30000000000
//   --priority-gas-price 2000000000 --value 1000000000000000000
//   0x70997970C51812dc3A010C7d01b50e0d4dc79C88 "transfer(address,uint256)"
//   0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC 5
constexpr char kEip1559Raw[] =
    "02f8b8010784773594008506fc23ac0082c3509470997970c51812dc3a010c7d01b50e0d4dc79c88880de0b6b3a7"
    "640000b844a9059cbb0000000000000000000000003c44cdddb6a900fa2b585dd299e03d12fa4293bc0000000000"
    "000000000000000000000000000000000000000000000000000005c001a0795bf5fba8344366cae0d9138dcefe2d"
    "c9e9c1f4d88394885c654be2ed8eb503a06a5185808c2e111ed850bb20d30cec101f7921a94478290816dc6d6bad"
    "2eb384";

Transaction Eip1559Tx() {
  Transaction tx;
  tx.type = TxType::kDynamicFee;
  tx.chain_id = 1;
  tx.nonce = 7;
  tx.max_priority_fee_per_gas = U256(2 * kGwei);
  tx.max_fee_per_gas = U256(30 * kGwei);
  tx.gas_limit = 50000;
  tx.to = *ParseAddress(kTo);
  tx.value = kOneEther;
  // cast calldata "transfer(address,uint256)" 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC 5
  tx.data = H("a9059cbb0000000000000000000000003c44cdddb6a900fa2b585dd299e03d12fa4293bc"
              "0000000000000000000000000000000000000000000000000000000000000005");
  return tx;
}

// cast mktx --private-key $K --chain 1 --nonce 7 --gas-limit 50000 --gas-price 30000000000
//   --legacy --value 1000000000000000000 0x70997970C51812dc3A010C7d01b50e0d4dc79C88
constexpr char kLegacyRaw[] =
    "f86c078506fc23ac0082c3509470997970c51812dc3a010c7d01b50e0d4dc79c88880de0b6b3a76400008026a04b"
    "08af734035d7a728d1ce1df789f7b327a506501b582c5b8fa8fbc8803e7d9fa04cf5be89d8d7398d4e53f6a716f7"
    "46ce6113f44ac6ef38632f3c243879285787";

Transaction LegacyTx() {
  Transaction tx;
  tx.type = TxType::kLegacy;
  tx.chain_id = 1;
  tx.nonce = 7;
  tx.gas_price = U256(30 * kGwei);
  tx.gas_limit = 50000;
  tx.to = *ParseAddress(kTo);
  tx.value = kOneEther;
  return tx;
}

// cast mktx --private-key $K --chain 1 --nonce 7 --gas-limit 50000 --gas-price 30000000000
//   --legacy --access-list '[{"address":"0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
//   "storageKeys":["0x00…01"]}]' 0x70997970C51812dc3A010C7d01b50e0d4dc79C88
constexpr char kEip2930Raw[] =
    "01f89f01078506fc23ac0082c3509470997970c51812dc3a010c7d01b50e0d4dc79c888080f838f7943c44cdddb6"
    "a900fa2b585dd299e03d12fa4293bce1a0000000000000000000000000000000000000000000000000000000000000"
    "000101a01a8be5663a110f8650cee3ab6aed8bae7b1b882b84df0cd89703f52282381764a055e81e7761336f0ec8"
    "3145c91715cd0a59aae12ed05ec0ebe4ac52f1c5d03de0";

Transaction Eip2930Tx() {
  Transaction tx;
  tx.type = TxType::kAccessList;
  tx.chain_id = 1;
  tx.nonce = 7;
  tx.gas_price = U256(30 * kGwei);
  tx.gas_limit = 50000;
  tx.to = *ParseAddress(kTo);
  tx.access_list = {{*ParseAddress("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"), {Key(1)}}};
  return tx;
}

// cast mktx --private-key $K --chain 31337 --nonce 0 --gas-limit 100000 --gas-price 1000000000
//   --priority-gas-price 1 --access-list '[{"address":"0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
//   "storageKeys":["0x00…01","0x00…ff"]}]' --create 0x6001600055
constexpr char kCreateRaw[] =
    "02f8b6827a698001843b9aca00830186a08080856001600055f85bf859943c44cdddb6a900fa2b585dd299e03d12"
    "fa4293bcf842a00000000000000000000000000000000000000000000000000000000000000001a0000000000000"
    "00000000000000000000000000000000000000000000000000ff01a053acb1e986f2c2ff74b491a0a42d1ec7f3ad"
    "5313a82cfd412d639b46d0d89c4da005a5a1506c02b43d4d58d59bbaf9ec92f87a1c9456b4c00d661d8a45167e0a"
    "8b";

Transaction CreateTx() {
  Transaction tx;
  tx.type = TxType::kDynamicFee;
  tx.chain_id = 31337;
  tx.max_priority_fee_per_gas = U256(1);
  tx.max_fee_per_gas = U256(kGwei);
  tx.gas_limit = 100000;
  tx.data = H("6001600055");
  tx.access_list = {{*ParseAddress("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"), {Key(1), Key(0xff)}}};
  return tx;
}

void ExpectSignsLikeCast(const Transaction& tx, std::string_view want_hex) {
  auto stx = SignTransaction(tx, DevKey());
  ASSERT_TRUE(stx.ok()) << stx.status();
  EXPECT_EQ(HexEncode(EncodeSigned(*stx)), want_hex);
}

TEST(TransactionTest, SignsEip1559LikeCastMktx) { ExpectSignsLikeCast(Eip1559Tx(), kEip1559Raw); }
TEST(TransactionTest, SignsLegacyEip155LikeCastMktx) { ExpectSignsLikeCast(LegacyTx(), kLegacyRaw); }
TEST(TransactionTest, SignsEip2930LikeCastMktx) { ExpectSignsLikeCast(Eip2930Tx(), kEip2930Raw); }
TEST(TransactionTest, SignsContractCreationWithAccessListLikeCastMktx) {
  ExpectSignsLikeCast(CreateTx(), kCreateRaw);
}

TEST(TransactionTest, DecodesWhatCastMadeBackToTheSameFieldsAndSender) {
  const std::pair<const char*, Transaction> cases[] = {
      {kEip1559Raw, Eip1559Tx()}, {kLegacyRaw, LegacyTx()}, {kEip2930Raw, Eip2930Tx()},
      {kCreateRaw, CreateTx()}};
  for (const auto& [raw, want] : cases) {
    SCOPED_TRACE(raw);
    auto stx = DecodeTransaction(H(raw));
    ASSERT_TRUE(stx.ok()) << stx.status();
    EXPECT_EQ(stx->tx, want);
    EXPECT_EQ(HexEncode(EncodeSigned(*stx)), raw);
    auto from = RecoverSender(*stx);
    ASSERT_TRUE(from.ok()) << from.status();
    EXPECT_EQ(ToChecksumAddress(*from), kDevAddress);
  }
}

TEST(TransactionTest, HashesRawBytes) {
  // cast keccak 0x<kEip1559Raw>
  EXPECT_EQ(Hex0x(TransactionHash(H(kEip1559Raw)).view()),
            "0x6500d4b23ae3f499403521f61c8832cdc2d89b8efb44c415266347da04381590");
  // cast keccak 0x<kLegacyRaw>
  EXPECT_EQ(Hex0x(TransactionHash(H(kLegacyRaw)).view()),
            "0x942aa707306ac666c23fe458f4b9aca194118329d5a6fbd3af7823bdf2a43eb6");
}

TEST(TransactionTest, ComputesLegacyV) {
  SignedTransaction stx{LegacyTx(), {}};
  stx.signature.y_parity = 1;
  EXPECT_EQ(LegacyV(stx), U256(38));
  stx.tx.chain_id = std::nullopt;
  EXPECT_EQ(LegacyV(stx), U256(28));
  stx.tx.chain_id = UINT64_MAX;
  EXPECT_EQ(LegacyV(stx).ToDecimal(), "36893488147419103266");  // 35 + 2·(2^64−1) + 1
}

TEST(TransactionTest, PreEip155LegacyRoundTripsWithV27Or28) {
  Transaction tx = LegacyTx();
  tx.chain_id = std::nullopt;
  auto stx = SignTransaction(tx, DevKey());
  ASSERT_TRUE(stx.ok());
  const Bytes raw = EncodeSigned(*stx);
  auto back = DecodeTransaction(raw);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_FALSE(back->tx.chain_id.has_value());
  EXPECT_EQ(ToChecksumAddress(*RecoverSender(*back)), kDevAddress);
  EXPECT_TRUE(CheckChainId(*back, 5).ok());
}

TEST(TransactionTest, ComputesIntrinsicGas) {
  Transaction tx;
  tx.to = Address();
  EXPECT_EQ(IntrinsicGas(tx), 21000u);
  tx.data = H("0001");
  EXPECT_EQ(IntrinsicGas(tx), 21000u + 4 + 16);
  tx.access_list = {{Address(), {Key(1), Key(2)}}};
  EXPECT_EQ(IntrinsicGas(tx), 21020u + 2400 + 2 * 1900);
  Transaction create;
  create.data = Bytes(33, 0x01);  // two initcode words
  EXPECT_EQ(IntrinsicGas(create), 21000u + 32000 + 2 * 2 + 33 * 16);
}

TEST(TransactionTest, SigningHashRejectsTypedTransactionWithoutChainId) {
  Transaction tx = Eip1559Tx();
  tx.chain_id = std::nullopt;
  auto h = SigningHash(tx);
  EXPECT_EQ(h.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(h.status().message().find("chain_id"), std::string::npos);
  EXPECT_EQ(SignTransaction(tx, DevKey()).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(TransactionTest, SigningHashRejectsFeeFieldsOfAnotherType) {
  Transaction dyn = Eip1559Tx();
  dyn.gas_price = U256(1);
  EXPECT_EQ(SigningHash(dyn).status().code(), absl::StatusCode::kInvalidArgument);
  Transaction legacy = LegacyTx();
  legacy.max_fee_per_gas = U256(1);
  EXPECT_EQ(SigningHash(legacy).status().code(), absl::StatusCode::kInvalidArgument);
  legacy = LegacyTx();
  legacy.access_list = {{Address(), {}}};
  EXPECT_EQ(SigningHash(legacy).status().code(), absl::StatusCode::kInvalidArgument);
}

// Decodes `raw` (legacy or typed), replaces field `index` and re-encodes, keeping the envelope.
Bytes WithField(std::string_view raw_hex, size_t index, const RlpItem& value) {
  Bytes raw = H(raw_hex);
  const bool typed = raw[0] < 0xc0;
  RlpItem root = *RlpDecode(ByteView(raw).subspan(typed ? 1 : 0));
  std::vector<RlpItem> items = root.items();
  if (index == items.size()) {
    items.push_back(value);
  } else {
    items[index] = value;
  }
  Bytes out = RlpEncode(RlpItem::List(std::move(items)));
  if (typed) out.insert(out.begin(), raw[0]);
  return out;
}

absl::StatusCode DecodeCode(ByteView raw) { return DecodeTransaction(raw).status().code(); }

TEST(DecodeTransactionTest, RejectsEmptyAndUnknownType) {
  EXPECT_EQ(DecodeCode({}), absl::StatusCode::kInvalidArgument);
  Bytes raw = H(kEip1559Raw);
  raw[0] = 0x03;
  EXPECT_EQ(DecodeCode(raw), absl::StatusCode::kInvalidArgument);
  raw[0] = 0x80;
  EXPECT_EQ(DecodeCode(raw), absl::StatusCode::kInvalidArgument);
}

TEST(DecodeTransactionTest, RejectsTrailingBytes) {
  Bytes raw = H(kEip1559Raw);
  raw.push_back(0x00);
  EXPECT_EQ(DecodeCode(raw), absl::StatusCode::kInvalidArgument);
}

TEST(DecodeTransactionTest, RejectsWrongFieldCount) {
  EXPECT_EQ(DecodeCode(WithField(kLegacyRaw, 9, RlpItem())), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeCode(WithField(kEip1559Raw, 12, RlpItem())), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeCode(WithField(kEip2930Raw, 11, RlpItem())), absl::StatusCode::kInvalidArgument);
}

TEST(DecodeTransactionTest, RejectsIntegerWithLeadingZero) {
  auto s = DecodeTransaction(WithField(kLegacyRaw, 0, RlpItem::String(H("0007"))));
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("nonce"), std::string::npos);
}

TEST(DecodeTransactionTest, RejectsNonceAbove64Bits) {
  EXPECT_EQ(DecodeCode(WithField(kLegacyRaw, 0, RlpItem::String(H("010000000000000000")))),
            absl::StatusCode::kInvalidArgument);
}

TEST(DecodeTransactionTest, RejectsNonceOfTwoToThe64MinusOneAsEip2681Requires) {
  for (auto [raw, index] : {std::pair{kLegacyRaw, 0}, std::pair{kEip1559Raw, 1}}) {
    SCOPED_TRACE(raw);
    auto s = DecodeTransaction(WithField(raw, index, RlpItem::String(H("ffffffffffffffff"))));
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(s.status().message().find("transaction.nonce: must be below 2^64-1 (EIP-2681)"),
              std::string::npos)
        << s.status();
    // One less is a nonce an account can still reach.
    EXPECT_TRUE(
        DecodeTransaction(WithField(raw, index, RlpItem::String(H("fffffffffffffffe")))).ok());
  }
}

TEST(DecodeTransactionTest, RejectsTypedTransactionWithChainIdZero) {
  for (const char* raw : {kEip1559Raw, kEip2930Raw}) {
    SCOPED_TRACE(raw);
    auto s = DecodeTransaction(WithField(raw, 0, RlpItem()));
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(s.status().message().find("transaction.chain_id: must not be zero"),
              std::string::npos)
        << s.status();
  }
}

TEST(DecodeTransactionTest, RejectsEip155LegacyWhoseVImpliesChainIdZero) {
  for (const char* v : {"23", "24"}) {  // 35 + 2·0 + {0, 1}
    auto s = DecodeTransaction(WithField(kLegacyRaw, 6, RlpItem::String(H(v))));
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument) << v;
    EXPECT_NE(s.status().message().find("transaction.chain_id: must not be zero"),
              std::string::npos)
        << s.status();
  }
}

TEST(DecodeTransactionTest, RejectsToOfWrongLength) {
  auto s = DecodeTransaction(WithField(kEip1559Raw, 5, RlpItem::String(Bytes(19, 0x11))));
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("to"), std::string::npos);
}

TEST(DecodeTransactionTest, RejectsAccessListEntriesOfWrongSize) {
  auto entry = [](size_t addr_len, size_t key_len) {
    return RlpItem::List({RlpItem::List(
        {RlpItem::String(Bytes(addr_len, 1)), RlpItem::List({RlpItem::String(Bytes(key_len, 2))})})});
  };
  EXPECT_EQ(DecodeCode(WithField(kEip1559Raw, 8, entry(21, 32))), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeCode(WithField(kEip1559Raw, 8, entry(20, 31))), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeCode(WithField(kEip1559Raw, 8, entry(20, 33))), absl::StatusCode::kInvalidArgument);
}

TEST(DecodeTransactionTest, RejectsZeroAndOutOfRangeRAndS) {
  const RlpItem zero;
  const RlpItem n = RlpItem::String(H("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"));
  EXPECT_EQ(DecodeCode(WithField(kEip1559Raw, 10, zero)), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeCode(WithField(kEip1559Raw, 11, zero)), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeCode(WithField(kEip1559Raw, 10, n)), absl::StatusCode::kInvalidArgument);
}

TEST(DecodeTransactionTest, RejectsHighS) {
  // n/2 + 1: a valid scalar, but the malleable high half.
  const RlpItem high =
      RlpItem::String(H("7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a1"));
  auto s = DecodeTransaction(WithField(kEip1559Raw, 11, high));
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("low-S"), std::string::npos);
}

TEST(DecodeTransactionTest, RejectsBadLegacyV) {
  for (uint64_t v : {0, 1, 26, 29, 34}) {
    EXPECT_EQ(DecodeCode(WithField(kLegacyRaw, 6, RlpItem::String(U256(v).ToMinimalBigEndian()))),
              absl::StatusCode::kInvalidArgument)
        << v;
  }
}

TEST(DecodeTransactionTest, RejectsYParityAboveOne) {
  EXPECT_EQ(DecodeCode(WithField(kEip1559Raw, 9, RlpItem::String(H("02")))),
            absl::StatusCode::kInvalidArgument);
}

TEST(DecodeTransactionTest, RejectsPriorityFeeAboveMaxFee) {
  auto s = DecodeTransaction(WithField(kEip1559Raw, 2, RlpItem::String(H("0800000000"))));
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("max_priority_fee_per_gas"), std::string::npos);
}

TEST(DecodeTransactionTest, RejectsGasLimitBelowIntrinsicGas) {
  // 21000 + 68 bytes of calldata is more than 21000.
  auto s = DecodeTransaction(WithField(kEip1559Raw, 4, RlpItem::String(H("5208"))));
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("intrinsic"), std::string::npos);
}

TEST(DecodeTransactionTest, RejectsGasTimesFeeOverflow) {
  auto s = DecodeTransaction(WithField(kEip1559Raw, 3, RlpItem::String(Bytes(32, 0xff))));
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("overflow"), std::string::npos);
}

TEST(DecodeTransactionTest, RejectsOversizedInitcode) {
  Transaction tx = CreateTx();
  tx.access_list.clear();
  tx.data = Bytes(49153, 0x00);
  tx.gas_limit = 30000000;
  const Bytes raw = EncodeSigned(*SignTransaction(tx, DevKey()));
  EXPECT_EQ(DecodeCode(raw), absl::StatusCode::kInvalidArgument);
  tx.data.pop_back();
  EXPECT_TRUE(DecodeTransaction(EncodeSigned(*SignTransaction(tx, DevKey()))).ok());
}

TEST(CheckChainIdTest, RejectsOtherChain) {
  auto stx = DecodeTransaction(H(kLegacyRaw));
  ASSERT_TRUE(stx.ok());
  EXPECT_TRUE(CheckChainId(*stx, 1).ok());
  EXPECT_EQ(CheckChainId(*stx, 5).code(), absl::StatusCode::kInvalidArgument);
}

TEST(RecoverSenderTest, GivesAnotherAddressWhenTheTransactionChanged) {
  auto stx = DecodeTransaction(H(kEip1559Raw));
  ASSERT_TRUE(stx.ok());
  stx->tx.nonce = 8;
  auto from = RecoverSender(*stx);
  ASSERT_TRUE(from.ok());
  EXPECT_NE(ToChecksumAddress(*from), kDevAddress);
}

}  // namespace
}  // namespace chainkms
