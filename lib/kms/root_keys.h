// The root keys of one DstackKms deployment, in a key directory laid out as dstack-kms does:
//
//   root-ca.key     the P-256 CA key, PKCS#8 PEM                          (0600)
//   root-k256.key   the secp256k1 key, exactly 32 raw bytes               (0600)
//   root-ca.crt     the self-signed root CA certificate, PEM              (public)
//
//   ASSIGN_OR_RETURN(RootKeys keys, InitKeyDir("/keys/8453", absl::Now()));   // keys init
//   ASSIGN_OR_RETURN(RootKeys keys, LoadKeyDir("/keys/8453"));                // at startup
//   Bytes payload = keys.KmsInfo().k256_pubkey;                               // keys show
//
// LoadKeyDir refuses (INVALID_ARGUMENT naming the file, never its content) a missing key, a key
// file readable by group or others, a k256 key that is not exactly 32 bytes or not a valid
// scalar, a CA key that is not P-256, and a certificate that is not for the CA key. InitKeyDir
// creates the directory (0700) when needed and never overwrites: if any of the three files
// exists it fails with ALREADY_EXISTS naming it. Every replica mounting the same directory serves
// the same keys.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/chain/contracts.h"
#include "lib/common/bytes.h"
#include "lib/crypto/p256.h"
#include "lib/crypto/secp256k1.h"
#include "lib/kms/x509.h"

namespace chainkms::kms {

inline constexpr char kRootCaKeyFile[] = "root-ca.key";
inline constexpr char kRootK256KeyFile[] = "root-k256.key";
inline constexpr char kRootCaCertFile[] = "root-ca.crt";

struct RootKeys {
  P256PrivateKey ca;
  Secp256k1PrivateKey k256;
  Bytes ca_cert_der;  // the root CA certificate
  // Issues app CA certificates under this root; set by LoadKeyDir / InitKeyDir (null when the
  // struct is filled by hand: DeriveAppKeySet then builds one per call).
  std::shared_ptr<const CaIssuer> ca_issuer;

  // Public material.
  FixedBytes<33> K256PublicKey() const { return k256.PublicKey().Compressed(); }
  Bytes CaSpkiDer() const;
  // What DstackKms.setKmsInfo registers: k256Pubkey (33 bytes compressed), caPubkey (SPKI DER),
  // and an empty quote and event log (no TDX KMS attestation yet).
  KmsInfo OnChainInfo() const;
};

absl::StatusOr<RootKeys> LoadKeyDir(const std::string& dir);

// Fresh random root keys and their certificate (valid from `now` for 20 years), written with
// mode 0600 (the certificate 0644).
absl::StatusOr<RootKeys> InitKeyDir(const std::string& dir, absl::Time now);

// Keeps secrets out of core dumps and away from same-user ptrace for the whole process
// (PR_SET_DUMPABLE 0, RLIMIT_CORE 0). The root keys live on the ordinary heap (OpenSSL and
// libsecp256k1 copy them there too), so the process, not a page range, is protected.
absl::Status ProtectProcessSecrets();

}  // namespace chainkms::kms
