// ethereum-tests BasicTests: keyaddrtest.json (private key → address) and txtest.json
// (pre-EIP-155 legacy signing, byte for byte up to low-S normalisation).
// crypto.json exercises AES-256-CTR and an altered ECIES that chainkms does not implement.
#include <gtest/gtest.h>

#include "lib/common/hex.h"
#include "lib/common/u256.h"
#include "lib/crypto/secp256k1.h"
#include "lib/eth/rlp.h"
#include "lib/eth/transaction.h"
#include "tests/vectors/vectors.h"

namespace chainkms {
namespace {

TEST(BasicVectorsTest, KeysGiveTheirAddresses) {
  // sig_of_emptystring is not checked: it recovers to a different key for keccak256(""), and the
  // file does not say what digest was signed.
  const nlohmann::json j = vectors::LoadVectorJson("ethereum-tests/BasicTests/keyaddrtest.json");
  ASSERT_FALSE(j.empty());
  for (const auto& c : j) {
    SCOPED_TRACE(c.at("seed").get<std::string>());
    const auto key = Secp256k1PrivateKey::FromBytes(*HexDecode(c.at("key").get<std::string>()));
    const auto want = HexDecodeFixed<20>(c.at("addr").get<std::string>());
    ASSERT_TRUE(key.ok() && want.ok());
    const bool passed = key->ToAddress() == *want;
    EXPECT_TRUE(passed);
    vectors::CountVectorCase("BasicTests/keyaddrtest", passed);
  }
}

// True when `ours` equals `theirs`, or `theirs` is the high-S twin of `ours` (these vectors
// predate EIP-2's low-S rule; we always emit low S): same fields and r, s' = n − s, v flipped.
bool SameUpToLowS(const Bytes& ours, const Bytes& theirs) {
  if (ours == theirs) return true;
  auto a = RlpDecode(ours);
  auto b = RlpDecode(theirs);
  if (!a.ok() || !b.ok() || a->items().size() != 9 || b->items().size() != 9) return false;
  for (int i = 0; i < 6; ++i) {
    if (!(a->items()[i] == b->items()[i])) return false;
  }
  const auto n = U256::FromHex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
  const auto va = a->items()[6].AsU64(), vb = b->items()[6].AsU64();
  const auto sa = a->items()[8].AsU256(), sb = b->items()[8].AsU256();
  if (!n.ok() || !va.ok() || !vb.ok() || !sa.ok() || !sb.ok()) return false;
  return a->items()[7] == b->items()[7] && *va + *vb == 55 && n->CheckedSub(*sb) == *sa;
}

TEST(BasicVectorsTest, SignsPreEip155TransactionsByteForByte) {
  const nlohmann::json j = vectors::LoadVectorJson("ethereum-tests/BasicTests/txtest.json");
  ASSERT_FALSE(j.empty());
  for (const auto& c : j) {
    const std::string want = c.at("signed").get<std::string>();
    SCOPED_TRACE(want);
    const auto key = Secp256k1PrivateKey::FromBytes(*HexDecode(c.at("key").get<std::string>()));
    ASSERT_TRUE(key.ok());
    Transaction tx;
    tx.type = TxType::kLegacy;
    tx.nonce = c.at("nonce").get<uint64_t>();
    tx.gas_price = U256(c.at("gasprice").get<uint64_t>());
    tx.gas_limit = c.at("startgas").get<uint64_t>();
    const std::string to = c.at("to").get<std::string>();
    if (!to.empty()) tx.to = *HexDecodeFixed<20>(to);
    tx.value = U256(c.at("value").get<uint64_t>());
    tx.data = *HexDecode(c.at("data").get<std::string>());
    const auto stx = SignTransaction(tx, *key);
    const bool passed = stx.ok() && SameUpToLowS(EncodeSigned(*stx), *HexDecode(want));
    EXPECT_TRUE(passed) << (stx.ok() ? HexEncode(EncodeSigned(*stx)) : stx.status().ToString());
    vectors::CountVectorCase("BasicTests/txtest", passed);
  }
}

}  // namespace
}  // namespace chainkms
