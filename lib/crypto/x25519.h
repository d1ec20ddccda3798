// X25519 (RFC 7748) over OpenSSL.
#pragma once

#include "absl/status/statusor.h"
#include "lib/common/bytes.h"
#include "lib/common/secret_bytes.h"

namespace chainkms {

// X25519(clamp(k), 9).
Hash32 X25519PublicKey(std::span<const uint8_t, 32> private_key);
// Shared secret; INVALID_ARGUMENT if the result is all zeros (low-order peer key).
absl::StatusOr<SecretBytes> X25519SharedSecret(std::span<const uint8_t, 32> private_key,
                                               std::span<const uint8_t, 32> peer_public);

}  // namespace chainkms
