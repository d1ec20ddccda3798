// Env encryption as clients do it (DESIGN §5.4) and as the CVM undoes it: X25519 ECDH with an
// ephemeral key, the raw 32-byte shared secret as the AES-256-GCM key (no KDF, no AAD), a random
// 12-byte IV; payload eph_pub(32) ‖ iv(12) ‖ ciphertext ‖ tag(16). Compatible with the dstack
// SDK's encryptEnvVars (its hex output, decoded).
//
//   ASSIGN_OR_RETURN(Bytes payload, EncryptEnv(env_public_key, AsBytes(json)));
//   ASSIGN_OR_RETURN(SecretBytes json, DecryptEnv(env_private_key, payload));
#pragma once

#include "absl/status/statusor.h"
#include "lib/common/bytes.h"
#include "lib/common/secret_bytes.h"

namespace chainkms::kms {

// INVALID_ARGUMENT for a low-order public key (all-zero shared secret).
absl::StatusOr<Bytes> EncryptEnv(const Hash32& env_public_key, ByteView plaintext);
// INVALID_ARGUMENT for a payload shorter than 60 bytes, a low-order ephemeral key or a failed
// authentication.
absl::StatusOr<SecretBytes> DecryptEnv(ByteView env_private_key, ByteView payload);

}  // namespace chainkms::kms
