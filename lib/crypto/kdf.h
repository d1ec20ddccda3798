// Password KDFs for V3 keystores, over OpenSSL.
#pragma once

#include "absl/status/statusor.h"
#include "lib/common/bytes.h"
#include "lib/common/secret_bytes.h"

namespace chainkms {

struct ScryptParams {
  uint64_t n = 262144;  // power of two > 1
  uint32_t r = 8;
  uint32_t p = 1;
};
// INVALID_ARGUMENT for bad parameters (n not a power of two, r, p or dklen 0, memory over 2 GiB).
// OpenSSL computes it; parameters OpenSSL refuses because n >= 2^(16·r) (geth writes such files,
// e.g. n=2^18, r=1) use a portable implementation instead, limited to 256 MiB for 128·r·n.
absl::StatusOr<SecretBytes> Scrypt(ByteView password, ByteView salt, const ScryptParams& params,
                                   size_t dklen);
// PBKDF2-HMAC-SHA256. INVALID_ARGUMENT for iterations 0 or dklen 0.
absl::StatusOr<SecretBytes> Pbkdf2HmacSha256(ByteView password, ByteView salt, uint32_t iterations,
                                             size_t dklen);

}  // namespace chainkms
