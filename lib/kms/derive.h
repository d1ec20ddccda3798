// App key derivation, byte-compatible with dstack-kms (DESIGN §5.3). Pure: no I/O, no clock.
//
// Every app key is derived from the two root keys of a DstackKms deployment — the P-256 CA key
// and the secp256k1 key — and the app's identity, so every replica holding the same roots hands
// out the same keys:
//
//   ASSIGN_OR_RETURN(EnvKey env, DeriveEnvKey(root_ca, app_id));        // X25519 env key pair
//   ASSIGN_OR_RETURN(SecretBytes disk, DeriveDiskKey(root_ca, app_id, instance_id));
//   ASSIGN_OR_RETURN(Secp256k1PrivateKey app, DeriveAppK256Key(root_k256, app_id));
//   FixedBytes<65> proof = SignAppKey(root_k256, app_id, app.PublicKey().Compressed());
//
// Derived scalars are used as keys directly: a derived value of 0 or ≥ n is INVALID_ARGUMENT
// (never reduced). Secrets are SecretBytes, wiped when dropped. Signatures are 65 bytes
// r ‖ s ‖ v with v ∈ {0,1}, low-S, over keccak256 of the documented message.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>

#include "absl/status/statusor.h"
#include "lib/common/bytes.h"
#include "lib/common/secret_bytes.h"
#include "lib/crypto/p256.h"
#include "lib/crypto/secp256k1.h"

namespace chainkms::kms {

// HKDF-SHA256 with salt "RATLS" and info = the context parts concatenated (no separator).
absl::StatusOr<SecretBytes> DeriveKey(ByteView ikm, std::initializer_list<ByteView> context,
                                      size_t length);

// The P-256 key whose scalar is DeriveKey(root's scalar, context, 32).
absl::StatusOr<P256PrivateKey> DeriveP256Key(const P256PrivateKey& root,
                                             std::initializer_list<ByteView> context);

// SHA-256 of the derived P-256 key's 138-byte PKCS#8 DER.
absl::StatusOr<SecretBytes> DeriveDhSecret(const P256PrivateKey& root,
                                           std::initializer_list<ByteView> context);

// The key a CVM encrypts its disk with: DeriveDhSecret(root, [app_id, instance_id,
// "app-disk-crypt-key"]).
absl::StatusOr<SecretBytes> DeriveDiskKey(const P256PrivateKey& root_ca, const Address& app_id,
                                          const Address& instance_id);

// The env-encryption key pair: the private key is DeriveDhSecret(root, [app_id,
// "env-encrypt-key"]), the public key X25519(clamp(k), 9).
struct EnvKey {
  SecretBytes private_key;  // 32 bytes
  Hash32 public_key;
};
absl::StatusOr<EnvKey> DeriveEnvKey(const P256PrivateKey& root_ca, const Address& app_id);

// The app's secp256k1 key: DeriveKey(root_k256, [app_id, "app-key"], 32).
absl::StatusOr<Secp256k1PrivateKey> DeriveAppK256Key(const Secp256k1PrivateKey& root_k256,
                                                     const Address& app_id);

// The app's CA key: DeriveP256Key(root_ca, [app_id, "app-ca"]).
absl::StatusOr<P256PrivateKey> DeriveAppCaKey(const P256PrivateKey& root_ca, const Address& app_id);

// keccak256("dstack-kms-issued:" ‖ app_id ‖ compressed app public key), signed by the root k256.
FixedBytes<65> SignAppKey(const Secp256k1PrivateKey& root_k256, const Address& app_id,
                          const FixedBytes<33>& app_public_key);

// keccak256("dstack-env-encrypt-pubkey:" ‖ app_id ‖ public key) — the legacy signature.
FixedBytes<65> SignEnvPublicKeyLegacy(const Secp256k1PrivateKey& root_k256, const Address& app_id,
                                      const Hash32& public_key);

// keccak256("dstack-env-encrypt-pubkey:" ‖ app_id ‖ u64_be(timestamp) ‖ public key) — v1.
// Clients reject timestamps older than 300 s or more than 60 s ahead.
FixedBytes<65> SignEnvPublicKeyV1(const Secp256k1PrivateKey& root_k256, const Address& app_id,
                                  uint64_t timestamp, const Hash32& public_key);

// The messages the three signatures cover (for verifiers and tests).
Hash32 AppKeyDigest(const Address& app_id, const FixedBytes<33>& app_public_key);
Hash32 EnvPublicKeyDigestLegacy(const Address& app_id, const Hash32& public_key);
Hash32 EnvPublicKeyDigestV1(const Address& app_id, uint64_t timestamp, const Hash32& public_key);

}  // namespace chainkms::kms
