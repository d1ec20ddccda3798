#include "lib/crypto/keccak.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace chainkms {
namespace {

constexpr size_t kRate = 136;
constexpr size_t kRateLanes = kRate / 8;

constexpr uint64_t kRoundConstants[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
    0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};

inline uint64_t LoadLe64(const uint8_t* p) noexcept {
  uint64_t v;
  std::memcpy(&v, p, 8);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  return v;
}

inline void StoreLe64(uint8_t* p, uint64_t v) noexcept {
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  std::memcpy(p, &v, 8);
}

// Lane names follow the Keccak reference: the first letter is the row y (b,g,k,m,s = 0..4),
// the second the column x (a,e,i,o,u = 0..4); state[x + 5y]. Keeping all 25 lanes in named
// locals lets the compiler hold them in registers across the whole permutation.
#define CHAINKMS_KECCAK_LANES(X)                                                           \
  X(ba, 0) X(be, 1) X(bi, 2) X(bo, 3) X(bu, 4) X(ga, 5) X(ge, 6) X(gi, 7) X(go, 8)       \
  X(gu, 9) X(ka, 10) X(ke, 11) X(ki, 12) X(ko, 13) X(ku, 14) X(ma, 15) X(me, 16)          \
  X(mi, 17) X(mo, 18) X(mu, 19) X(sa, 20) X(se, 21) X(si, 22) X(so, 23) X(su, 24)

// chi on one row after theta, rho and pi have produced its five inputs b0..b4.
#define CHAINKMS_KECCAK_CHI(O, r, b0, b1, b2, b3, b4) \
  O##r##a = b0 ^ (~b1 & b2);                          \
  O##r##e = b1 ^ (~b2 & b3);                          \
  O##r##i = b2 ^ (~b3 & b4);                          \
  O##r##o = b3 ^ (~b4 & b0);                          \
  O##r##u = b4 ^ (~b0 & b1)

// One round reading lanes I.. and writing lanes O.. (pi is folded into which lanes feed
// which output row, so no lane is moved at run time).
#define CHAINKMS_KECCAK_ROUND(I, O, rc)                                                   \
  do {                                                                                    \
    const uint64_t c0 = I##ba ^ I##ga ^ I##ka ^ I##ma ^ I##sa;                            \
    const uint64_t c1 = I##be ^ I##ge ^ I##ke ^ I##me ^ I##se;                            \
    const uint64_t c2 = I##bi ^ I##gi ^ I##ki ^ I##mi ^ I##si;                            \
    const uint64_t c3 = I##bo ^ I##go ^ I##ko ^ I##mo ^ I##so;                            \
    const uint64_t c4 = I##bu ^ I##gu ^ I##ku ^ I##mu ^ I##su;                            \
    const uint64_t d0 = c4 ^ std::rotl(c1, 1);                                            \
    const uint64_t d1 = c0 ^ std::rotl(c2, 1);                                            \
    const uint64_t d2 = c1 ^ std::rotl(c3, 1);                                            \
    const uint64_t d3 = c2 ^ std::rotl(c4, 1);                                            \
    const uint64_t d4 = c3 ^ std::rotl(c0, 1);                                            \
    uint64_t b0, b1, b2, b3, b4;                                                          \
    b0 = I##ba ^ d0;                                                                      \
    b1 = std::rotl(I##ge ^ d1, 44);                                                       \
    b2 = std::rotl(I##ki ^ d2, 43);                                                       \
    b3 = std::rotl(I##mo ^ d3, 21);                                                       \
    b4 = std::rotl(I##su ^ d4, 14);                                                       \
    CHAINKMS_KECCAK_CHI(O, b, b0, b1, b2, b3, b4);                                        \
    O##ba ^= (rc);                                                                        \
    b0 = std::rotl(I##bo ^ d3, 28);                                                       \
    b1 = std::rotl(I##gu ^ d4, 20);                                                       \
    b2 = std::rotl(I##ka ^ d0, 3);                                                        \
    b3 = std::rotl(I##me ^ d1, 45);                                                       \
    b4 = std::rotl(I##si ^ d2, 61);                                                       \
    CHAINKMS_KECCAK_CHI(O, g, b0, b1, b2, b3, b4);                                        \
    b0 = std::rotl(I##be ^ d1, 1);                                                        \
    b1 = std::rotl(I##gi ^ d2, 6);                                                        \
    b2 = std::rotl(I##ko ^ d3, 25);                                                       \
    b3 = std::rotl(I##mu ^ d4, 8);                                                        \
    b4 = std::rotl(I##sa ^ d0, 18);                                                       \
    CHAINKMS_KECCAK_CHI(O, k, b0, b1, b2, b3, b4);                                        \
    b0 = std::rotl(I##bu ^ d4, 27);                                                       \
    b1 = std::rotl(I##ga ^ d0, 36);                                                       \
    b2 = std::rotl(I##ke ^ d1, 10);                                                       \
    b3 = std::rotl(I##mi ^ d2, 15);                                                       \
    b4 = std::rotl(I##so ^ d3, 56);                                                       \
    CHAINKMS_KECCAK_CHI(O, m, b0, b1, b2, b3, b4);                                        \
    b0 = std::rotl(I##bi ^ d2, 62);                                                       \
    b1 = std::rotl(I##go ^ d3, 55);                                                       \
    b2 = std::rotl(I##ku ^ d4, 39);                                                       \
    b3 = std::rotl(I##ma ^ d0, 41);                                                       \
    b4 = std::rotl(I##se ^ d1, 2);                                                        \
    CHAINKMS_KECCAK_CHI(O, s, b0, b1, b2, b3, b4);                                        \
  } while (0)

#define CHAINKMS_KECCAK_DECLARE(n, i) uint64_t A##n = st[i], E##n;
#define CHAINKMS_KECCAK_STORE(n, i) st[i] = A##n;

// The 24 rounds as 12 pairs A→E→A, so no copy back is needed between rounds.
#define CHAINKMS_KECCAK_PERMUTE()                               \
  for (int round = 0; round < 24; round += 2) {                 \
    CHAINKMS_KECCAK_ROUND(A, E, kRoundConstants[round]);        \
    CHAINKMS_KECCAK_ROUND(E, A, kRoundConstants[round + 1]);    \
  }

// On x86-64, a second copy built for x86-64-v3 (BMI1 andn, BMI2 rorx) is picked at load time
// through an ifunc; it is about a quarter faster than baseline x86-64 code. Sanitizer runtimes
// are not ready when ifunc resolvers run (TSan crashes before main), so sanitized builds keep
// one copy; CHAINKMS_KECCAK_PORTABLE forces it too, to test the baseline code.
#if defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define CHAINKMS_KECCAK_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define CHAINKMS_KECCAK_SANITIZED 1
#endif
#if defined(__x86_64__) && defined(__GNUC__) && defined(__ELF__) && \
    !defined(CHAINKMS_KECCAK_SANITIZED) && !defined(CHAINKMS_KECCAK_PORTABLE)
#define CHAINKMS_KECCAK_MULTIVERSION __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define CHAINKMS_KECCAK_MULTIVERSION
#endif

// XORs `nblocks` full rate blocks into the state, permuting after each. The state stays in
// locals for all blocks, which matters for long inputs.
CHAINKMS_KECCAK_MULTIVERSION
void AbsorbBlocks(uint64_t st[25], const uint8_t* p, size_t nblocks) noexcept {
  CHAINKMS_KECCAK_LANES(CHAINKMS_KECCAK_DECLARE)
  for (; nblocks > 0; --nblocks, p += kRate) {
    Aba ^= LoadLe64(p + 0);
    Abe ^= LoadLe64(p + 8);
    Abi ^= LoadLe64(p + 16);
    Abo ^= LoadLe64(p + 24);
    Abu ^= LoadLe64(p + 32);
    Aga ^= LoadLe64(p + 40);
    Age ^= LoadLe64(p + 48);
    Agi ^= LoadLe64(p + 56);
    Ago ^= LoadLe64(p + 64);
    Agu ^= LoadLe64(p + 72);
    Aka ^= LoadLe64(p + 80);
    Ake ^= LoadLe64(p + 88);
    Aki ^= LoadLe64(p + 96);
    Ako ^= LoadLe64(p + 104);
    Aku ^= LoadLe64(p + 112);
    Ama ^= LoadLe64(p + 120);
    Ame ^= LoadLe64(p + 128);
    CHAINKMS_KECCAK_PERMUTE()
  }
  CHAINKMS_KECCAK_LANES(CHAINKMS_KECCAK_STORE)
}

// Pads the final partial block (Keccak's multi-rate padding with domain byte 0x01) and
// absorbs it. `tail` has fewer than kRate bytes.
void AbsorbFinal(uint64_t st[25], const uint8_t* tail, size_t len) noexcept {
  uint8_t block[kRate] = {};
  if (len > 0) std::memcpy(block, tail, len);
  block[len] ^= 0x01;
  block[kRate - 1] ^= 0x80;
  AbsorbBlocks(st, block, 1);
}

Hash32 Squeeze(const uint64_t st[25]) noexcept {
  Hash32 out;
  for (size_t i = 0; i < 4; ++i) StoreLe64(out.data() + 8 * i, st[i]);
  return out;
}

}  // namespace

CHAINKMS_KECCAK_MULTIVERSION
void KeccakF1600(uint64_t st[25]) noexcept {
  CHAINKMS_KECCAK_LANES(CHAINKMS_KECCAK_DECLARE)
  CHAINKMS_KECCAK_PERMUTE()
  CHAINKMS_KECCAK_LANES(CHAINKMS_KECCAK_STORE)
}

Hash32 Keccak256(ByteView data) noexcept {
  uint64_t st[25] = {};
  const size_t nblocks = data.size() / kRate;
  AbsorbBlocks(st, data.data(), nblocks);
  AbsorbFinal(st, data.data() + nblocks * kRate, data.size() - nblocks * kRate);
  return Squeeze(st);
}

void Keccak256Hasher::Update(ByteView data) noexcept {
  // An empty span may carry a null pointer, which memcpy must never see.
  if (data.empty()) return;
  const uint8_t* p = data.data();
  size_t n = data.size();
  if (buf_len_ > 0) {
    const size_t take = std::min(n, kRate - buf_len_);
    std::memcpy(buf_ + buf_len_, p, take);
    buf_len_ += take;
    p += take;
    n -= take;
    if (buf_len_ < kRate) return;
    AbsorbBlocks(state_, buf_, 1);
    buf_len_ = 0;
  }
  const size_t nblocks = n / kRate;
  AbsorbBlocks(state_, p, nblocks);
  p += nblocks * kRate;
  n -= nblocks * kRate;
  if (n > 0) std::memcpy(buf_, p, n);
  buf_len_ = n;
}

Hash32 Keccak256Hasher::Finalize() noexcept {
  AbsorbFinal(state_, buf_, buf_len_);
  buf_len_ = 0;
  return Squeeze(state_);
}

static_assert(kRateLanes == 17);

}  // namespace chainkms
