#include "lib/crypto/kdf.h"

#include <openssl/evp.h>

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "absl/strings/str_cat.h"

namespace chainkms {
namespace {

constexpr uint64_t kMaxScryptMemory = uint64_t{2} << 30;
// The portable path is slower and allocates V itself; keystores in the wild stay far below this.
constexpr uint64_t kMaxPortableScryptMemory = uint64_t{256} << 20;

const char* NonNullChars(ByteView v) {
  static const char kEmpty = 0;
  return v.data() != nullptr ? reinterpret_cast<const char*>(v.data()) : &kEmpty;
}

const uint8_t* NonNull(ByteView v) {
  static const uint8_t kEmpty = 0;
  return v.data() != nullptr ? v.data() : &kEmpty;
}

// OpenSSL enforces RFC 7914's N < 2^(128·r/8), which geth does not: valid keystores with r = 1
// and N = 2^18 exist. Those go to the portable implementation below.
bool OpenSslRefusesN(uint64_t n, uint64_t r) { return 16 * r < 64 && n >= (uint64_t{1} << (16 * r)); }

uint32_t Rotl(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

void Salsa208(uint32_t b[16]) {
  uint32_t x[16];
  std::copy(b, b + 16, x);
  for (int i = 0; i < 8; i += 2) {
    x[4] ^= Rotl(x[0] + x[12], 7);   x[8] ^= Rotl(x[4] + x[0], 9);
    x[12] ^= Rotl(x[8] + x[4], 13);  x[0] ^= Rotl(x[12] + x[8], 18);
    x[9] ^= Rotl(x[5] + x[1], 7);    x[13] ^= Rotl(x[9] + x[5], 9);
    x[1] ^= Rotl(x[13] + x[9], 13);  x[5] ^= Rotl(x[1] + x[13], 18);
    x[14] ^= Rotl(x[10] + x[6], 7);  x[2] ^= Rotl(x[14] + x[10], 9);
    x[6] ^= Rotl(x[2] + x[14], 13);  x[10] ^= Rotl(x[6] + x[2], 18);
    x[3] ^= Rotl(x[15] + x[11], 7);  x[7] ^= Rotl(x[3] + x[15], 9);
    x[11] ^= Rotl(x[7] + x[3], 13);  x[15] ^= Rotl(x[11] + x[7], 18);
    x[1] ^= Rotl(x[0] + x[3], 7);    x[2] ^= Rotl(x[1] + x[0], 9);
    x[3] ^= Rotl(x[2] + x[1], 13);   x[0] ^= Rotl(x[3] + x[2], 18);
    x[6] ^= Rotl(x[5] + x[4], 7);    x[7] ^= Rotl(x[6] + x[5], 9);
    x[4] ^= Rotl(x[7] + x[6], 13);   x[5] ^= Rotl(x[4] + x[7], 18);
    x[11] ^= Rotl(x[10] + x[9], 7);  x[8] ^= Rotl(x[11] + x[10], 9);
    x[9] ^= Rotl(x[8] + x[11], 13);  x[10] ^= Rotl(x[9] + x[8], 18);
    x[12] ^= Rotl(x[15] + x[14], 7); x[13] ^= Rotl(x[12] + x[15], 9);
    x[14] ^= Rotl(x[13] + x[12], 13); x[15] ^= Rotl(x[14] + x[13], 18);
  }
  for (int i = 0; i < 16; ++i) b[i] += x[i];
  SecureWipe(std::span<uint8_t>(reinterpret_cast<uint8_t*>(x), sizeof(x)));
}

// in: 2r blocks of 16 words; out: the shuffled BlockMix result.
void BlockMix(const uint32_t* in, uint32_t* out, size_t r) {
  uint32_t x[16];
  std::copy(in + (2 * r - 1) * 16, in + 2 * r * 16, x);
  for (size_t i = 0; i < 2 * r; ++i) {
    for (int k = 0; k < 16; ++k) x[k] ^= in[i * 16 + k];
    Salsa208(x);
    std::copy(x, x + 16, out + ((i % 2) * r + i / 2) * 16);
  }
  SecureWipe(std::span<uint8_t>(reinterpret_cast<uint8_t*>(x), sizeof(x)));
}

void WipeWords(std::vector<uint32_t>& w) {
  SecureWipe(std::span<uint8_t>(reinterpret_cast<uint8_t*>(w.data()), w.size() * sizeof(uint32_t)));
}

// RFC 7914 scrypt; parameters already validated by Scrypt() (n a power of two, memory capped).
absl::StatusOr<SecretBytes> PortableScrypt(ByteView password, ByteView salt, uint64_t n, size_t r,
                                           size_t p, size_t dklen) {
  const size_t words = 32 * r;  // one 128·r-byte block
  auto b = Pbkdf2HmacSha256(password, salt, 1, p * 128 * r);
  if (!b.ok()) return b.status();
  std::vector<uint32_t> v(words * n), x(words), y(words);
  for (size_t blk = 0; blk < p; ++blk) {
    uint8_t* bp = b->data() + blk * 128 * r;
    for (size_t k = 0; k < words; ++k) {
      x[k] = uint32_t{bp[4 * k]} | uint32_t{bp[4 * k + 1]} << 8 | uint32_t{bp[4 * k + 2]} << 16 |
             uint32_t{bp[4 * k + 3]} << 24;
    }
    for (uint64_t i = 0; i < n; ++i) {
      std::copy(x.begin(), x.end(), v.begin() + static_cast<std::ptrdiff_t>(i * words));
      BlockMix(x.data(), y.data(), r);
      x.swap(y);
    }
    for (uint64_t i = 0; i < n; ++i) {
      const uint64_t j = x[(2 * r - 1) * 16] & (n - 1);
      for (size_t k = 0; k < words; ++k) x[k] ^= v[j * words + k];
      BlockMix(x.data(), y.data(), r);
      x.swap(y);
    }
    for (size_t k = 0; k < words; ++k) {
      for (int s = 0; s < 4; ++s) bp[4 * k + s] = static_cast<uint8_t>(x[k] >> (8 * s));
    }
  }
  WipeWords(v);
  WipeWords(x);
  WipeWords(y);
  return Pbkdf2HmacSha256(password, b->view(), 1, dklen);
}

}  // namespace

absl::StatusOr<SecretBytes> Scrypt(ByteView password, ByteView salt, const ScryptParams& params,
                                   size_t dklen) {
  const uint64_t n = params.n;
  const uint64_t r = params.r;
  const uint64_t p = params.p;
  if (n < 2 || (n & (n - 1)) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("scrypt: n must be a power of two greater than 1, got ", n));
  }
  if (r == 0 || p == 0) return absl::InvalidArgumentError("scrypt: r and p must be positive");
  if (dklen == 0) return absl::InvalidArgumentError("scrypt: dklen must be positive");
  // OpenSSL needs 128·r·(n+2) bytes for V plus 128·r·p for B; compute it without overflow.
  const uint64_t block = 128 * r;  // r < 2^32, so no overflow
  if (n > kMaxScryptMemory / block || p > kMaxScryptMemory / block) {
    return absl::InvalidArgumentError("scrypt: parameters need more than 2 GiB of memory");
  }
  const uint64_t memory = block * (n + 2) + block * p;
  if (memory > kMaxScryptMemory) {
    return absl::InvalidArgumentError("scrypt: parameters need more than 2 GiB of memory");
  }
  SecretBytes out(dklen);
  // Headroom over the exact need, so OpenSSL's own accounting never refuses valid parameters.
  const uint64_t maxmem = memory + (uint64_t{1} << 20);
  if (EVP_PBE_scrypt(NonNullChars(password), password.size(), NonNull(salt), salt.size(), n, r,
                     p, maxmem, out.data(), dklen) == 1) {
    return out;
  }
  if (!OpenSslRefusesN(n, r)) {
    return absl::InvalidArgumentError(
        absl::StrCat("scrypt: OpenSSL rejected n=", n, " r=", r, " p=", p));
  }
  if (block * n > kMaxPortableScryptMemory) {
    return absl::InvalidArgumentError(absl::StrCat(
        "scrypt: n=", n, " r=", r, " p=", p, " needs more than 256 MiB of memory"));
  }
  return PortableScrypt(password, salt, n, static_cast<size_t>(r), static_cast<size_t>(p), dklen);
}

absl::StatusOr<SecretBytes> Pbkdf2HmacSha256(ByteView password, ByteView salt, uint32_t iterations,
                                             size_t dklen) {
  if (iterations == 0 || iterations > static_cast<uint32_t>(INT_MAX)) {
    return absl::InvalidArgumentError(
        absl::StrCat("pbkdf2: iterations must be 1..", INT_MAX, ", got ", iterations));
  }
  if (dklen == 0 || dklen > static_cast<size_t>(INT_MAX)) {
    return absl::InvalidArgumentError("pbkdf2: dklen must be positive");
  }
  if (password.size() > static_cast<size_t>(INT_MAX) || salt.size() > static_cast<size_t>(INT_MAX)) {
    return absl::InvalidArgumentError("pbkdf2: password or salt too large");
  }
  SecretBytes out(dklen);
  if (PKCS5_PBKDF2_HMAC(NonNullChars(password), static_cast<int>(password.size()), NonNull(salt),
                        static_cast<int>(salt.size()), static_cast<int>(iterations), EVP_sha256(),
                        static_cast<int>(dklen), out.data()) != 1) {
    return absl::InternalError("OpenSSL PKCS5_PBKDF2_HMAC failed");
  }
  return out;
}

}  // namespace chainkms
