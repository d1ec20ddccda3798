// Every key an app gets from the KMS, derived from one chain's root keys (DESIGN §5.3):
//
//   ASSIGN_OR_RETURN(AppKeySet keys, DeriveAppKeySet(root_keys, app_id, instance_id));
//
// Deterministic except for the app CA certificate's ECDSA signature bytes (x509.h): every
// replica holding the same root keys derives the same keys. Secrets are SecretBytes.
#pragma once

#include "absl/status/statusor.h"
#include "lib/common/bytes.h"
#include "lib/common/secret_bytes.h"
#include "lib/kms/root_keys.h"

namespace chainkms::kms {

struct AppKeySet {
  SecretBytes disk_crypt_key;  // 32 bytes
  SecretBytes env_crypt_key;   // 32 bytes, X25519 private key
  Hash32 env_public_key;
  SecretBytes k256_key;  // 32 bytes
  FixedBytes<33> k256_public_key;
  FixedBytes<65> k256_signature;  // "dstack-kms-issued:" signature by the root k256 key
  SecretBytes ca_key_der;         // app CA key, PKCS#8 DER
  Bytes ca_cert_der;              // app CA certificate, signed by the root CA
};

absl::StatusOr<AppKeySet> DeriveAppKeySet(const RootKeys& root, const Address& app_id,
                                          const Address& instance_id);

// The same set from a cached one of the same app: only the disk key (the one key that depends on
// the instance) is derived; the rest is copied from `app_level` (secrets cloned).
absl::StatusOr<AppKeySet> WithInstance(const RootKeys& root, const AppKeySet& app_level,
                                       const Address& app_id, const Address& instance_id);

}  // namespace chainkms::kms
