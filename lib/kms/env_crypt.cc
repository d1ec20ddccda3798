#include "lib/kms/env_crypt.h"

#include "lib/common/status_macros.h"
#include "lib/crypto/aes.h"
#include "lib/crypto/random.h"
#include "lib/crypto/x25519.h"

namespace chainkms::kms {

absl::StatusOr<Bytes> EncryptEnv(const Hash32& env_public_key, ByteView plaintext) {
  SecretBytes eph = RandomSecret(32);
  const std::span<const uint8_t, 32> eph_key(eph.data(), 32);
  ASSIGN_OR_RETURN(SecretBytes shared, X25519SharedSecret(eph_key, std::span<const uint8_t, 32>(
                                                                       env_public_key.data(), 32)));
  const Bytes iv = RandomBytes(12);
  ASSIGN_OR_RETURN(Bytes ct, Aes256GcmEncrypt(shared.view(), iv, plaintext));
  const Hash32 eph_pub = X25519PublicKey(eph_key);
  return Concat({eph_pub.view(), iv, ct});
}

absl::StatusOr<SecretBytes> DecryptEnv(ByteView env_private_key, ByteView payload) {
  if (env_private_key.size() != 32) return absl::InvalidArgumentError("env key: 32 bytes");
  if (payload.size() < 32 + 12 + 16) {
    return absl::InvalidArgumentError("encrypted env: shorter than eph_pub ‖ iv ‖ tag");
  }
  ASSIGN_OR_RETURN(SecretBytes shared,
                   X25519SharedSecret(std::span<const uint8_t, 32>(env_private_key.data(), 32),
                                      std::span<const uint8_t, 32>(payload.data(), 32)));
  return Aes256GcmDecrypt(shared.view(), payload.subspan(32, 12), payload.subspan(44));
}

}  // namespace chainkms::kms
