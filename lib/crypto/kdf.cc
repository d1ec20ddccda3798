#include "lib/crypto/kdf.h"

#include <openssl/evp.h>

#include <climits>

#include "absl/strings/str_cat.h"

namespace chainkms {
namespace {

constexpr uint64_t kMaxScryptMemory = uint64_t{2} << 30;

const char* NonNullChars(ByteView v) {
  static const char kEmpty = 0;
  return v.data() != nullptr ? reinterpret_cast<const char*>(v.data()) : &kEmpty;
}

const uint8_t* NonNull(ByteView v) {
  static const uint8_t kEmpty = 0;
  return v.data() != nullptr ? v.data() : &kEmpty;
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
                     p, maxmem, out.data(), dklen) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("scrypt: OpenSSL rejected n=", n, " r=", r, " p=", p));
  }
  return out;
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
