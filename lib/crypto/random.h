// Cryptographically secure randomness (OpenSSL RAND_bytes). Aborts if the CSPRNG fails: no
// caller can do anything sensible with weak randomness.
#pragma once

#include "lib/common/bytes.h"
#include "lib/common/secret_bytes.h"

namespace chainkms {

void SecureRandom(std::span<uint8_t> out);
Bytes RandomBytes(size_t n);
SecretBytes RandomSecret(size_t n);

}  // namespace chainkms
