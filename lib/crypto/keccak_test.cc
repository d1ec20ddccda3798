#include "lib/crypto/keccak.h"

#include <cstdint>

#include <gtest/gtest.h>

#include "lib/common/hex.h"

namespace chainkms {
namespace {

std::string HashHex(const Hash32& h) { return HexEncode(h.view()); }

Bytes Pattern(size_t n, uint8_t mul, uint8_t add) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * mul + add);
  return b;
}

// Expected digests below were produced by hand with Foundry `cast keccak 0x<hex>` (1.7.1).
constexpr char k200Digest[] = "bfb0aa97863e797943cf7c33bb7e880bb4543f3d2703c0923c6901c2af57b890";
constexpr char k1MiBDigest[] = "f2e34ac5feedafab149d3a2b3ed837fc240cc93748a48dd1cf739c1435b8af77";

TEST(Keccak256Test, HashesEmptyInput) {
  EXPECT_EQ(HashHex(Keccak256({})),
            "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
}

TEST(Keccak256Test, HashesHello) {
  EXPECT_EQ(HashHex(Keccak256(AsBytes("hello"))),
            "1c8aff950685c2ed4bc3174f3472287b56d9517b9c948127319a09a7a36deac8");
}

TEST(Keccak256Test, HashesTwoHundredBytesSpanningTwoBlocks) {
  EXPECT_EQ(HashHex(Keccak256(Pattern(200, 1, 0))), k200Digest);
}

TEST(Keccak256Test, HashesOneMebibyte) {
  EXPECT_EQ(HashHex(Keccak256(Pattern(1 << 20, 7, 3))), k1MiBDigest);
}

// Inputs of exactly rate-1, rate and rate+1 bytes exercise the padding edge where 0x01 and
// 0x80 share the last byte; one-shot and incremental must agree for every length around it.
TEST(Keccak256Test, IncrementalMatchesOneShotForEveryLengthAroundTheRate) {
  const Bytes data = Pattern(3 * 136 + 5, 13, 1);
  for (size_t len = 0; len <= data.size(); ++len) {
    const ByteView whole(data.data(), len);
    for (size_t split : {size_t{0}, size_t{1}, len / 3, len / 2, len}) {
      if (split > len) continue;
      Keccak256Hasher h;
      h.Update(whole.first(split));
      h.Update(whole.subspan(split));
      ASSERT_EQ(h.Finalize(), Keccak256(whole)) << "len=" << len << " split=" << split;
    }
  }
}

TEST(Keccak256Test, IncrementalInOddChunksMatchesKnownTwoHundredByteDigest) {
  const Bytes data = Pattern(200, 1, 0);
  Keccak256Hasher h;
  for (size_t off = 0; off < data.size();) {
    const size_t n = std::min<size_t>(7, data.size() - off);
    h.Update(ByteView(data).subspan(off, n));
    off += n;
  }
  EXPECT_EQ(HashHex(h.Finalize()), k200Digest);
}

TEST(Keccak256Test, IncrementalMatchesKnownOneMebibyteDigest) {
  const Bytes data = Pattern(1 << 20, 7, 3);
  Keccak256Hasher h;
  // 1000 is not a multiple of the rate, so buffered and direct-block paths both run.
  for (size_t off = 0; off < data.size(); off += 1000) {
    h.Update(ByteView(data).subspan(off, std::min<size_t>(1000, data.size() - off)));
  }
  EXPECT_EQ(HashHex(h.Finalize()), k1MiBDigest);
}

TEST(Keccak256Test, ResetStartsAFreshHash) {
  Keccak256Hasher h;
  h.Update(AsBytes("garbage"));
  h.Reset();
  h.Update(AsBytes("hel"));
  h.Update(AsBytes("lo"));
  EXPECT_EQ(HashHex(h.Finalize()),
            "1c8aff950685c2ed4bc3174f3472287b56d9517b9c948127319a09a7a36deac8");
}

// Keccak-f[1600] applied to the all-zero state (KeccakF-1600-IntermediateValues.txt).
TEST(KeccakF1600Test, PermutesZeroStateToKnownAnswer) {
  uint64_t st[25] = {};
  KeccakF1600(st);
  const uint64_t expected[25] = {
      0xF1258F7940E1DDE7, 0x84D5CCF933C0478A, 0xD598261EA65AA9EE, 0xBD1547306F80494D,
      0x8B284E056253D057, 0xFF97A42D7F8E6FD4, 0x90FEE5A0A44647C4, 0x8C5BDA0CD6192E76,
      0xAD30A6F71B19059C, 0x30935AB7D08FFC64, 0xEB5AA93F2317D635, 0xA9A6E6260D712103,
      0x81A57C16DBCF555F, 0x43B831CD0347C826, 0x01F22F1A11A5569F, 0x05E5635A21D9AE61,
      0x64BEFEF28CC970F2, 0x613670957BC46611, 0xB87C5A554FD00ECB, 0x8C3EE88A1CCF32C8,
      0x940C7922AE3A2614, 0x1841F924A2C509E4, 0x16F53526E70465C2, 0x75F644E97F30A13B,
      0xEAF1FF7B5CECA249,
  };
  for (int i = 0; i < 25; ++i) EXPECT_EQ(st[i], expected[i]) << "lane " << i;
}

}  // namespace
}  // namespace chainkms

namespace chainkms {
namespace {

// An empty update (whose span may hold a null pointer) after a partial block changes nothing;
// UBSan caught a memcpy from null here.
TEST(Keccak256HasherTest, EmptyUpdateAfterPartialBlockIsANoOp) {
  Keccak256Hasher k;
  k.Update(AsBytes("hel"));
  k.Update(ByteView());
  k.Update(AsBytes("lo"));
  EXPECT_EQ(k.Finalize(), Keccak256(AsBytes("hello")));
}

}  // namespace
}  // namespace chainkms
