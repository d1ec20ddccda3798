// X.509 for the KMS's P-256 keys (OpenSSL): the self-signed root CA certificate `keys init`
// writes, the app CA certificates GetAppKey issues under it, and the SubjectPublicKeyInfo DER
// that is the root's on-chain identity (DstackKms.kmsInfo().caPubkey, the CVM's key-provider id).
//
//   ASSIGN_OR_RETURN(Bytes root_cert, MakeRootCaCert(root_ca, {.not_before = now}));
//   ASSIGN_OR_RETURN(Bytes app_cert, MakeAppCaCert(app_ca, app_id, root_ca, root_cert));
//
// Certificates are DER. An app CA certificate's content is a function of (app key, app id,
// root certificate) only — same subject, serial and validity on every replica; only the ECDSA
// signature bytes differ (OpenSSL 3.0 signs with a random nonce).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/common/bytes.h"
#include "lib/common/secret_bytes.h"
#include "lib/crypto/p256.h"

namespace chainkms::kms {

// SubjectPublicKeyInfo DER of a P-256 public key (0x04 ‖ X ‖ Y): 91 bytes.
Bytes P256SpkiDer(const FixedBytes<65>& public_key_uncompressed);

// PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----") of the key, as dstack-kms writes root-ca.key.
SecretBytes P256Pkcs8Pem(const P256PrivateKey& key);
// Parses a PKCS#8 (or SEC1 "EC PRIVATE KEY") PEM P-256 key. INVALID_ARGUMENT for anything
// else (another curve, RSA, garbage), never echoing the input.
absl::StatusOr<P256PrivateKey> ParseP256PrivateKeyPem(ByteView pem);

struct RootCaOptions {
  absl::Time not_before;
  absl::Duration validity = absl::Hours(24 * 365 * 20);
  std::string common_name = "chainkms Root CA";
};
// A self-signed CA certificate (basicConstraints CA, keyCertSign/cRLSign, SKI) of `root`.
absl::StatusOr<Bytes> MakeRootCaCert(const P256PrivateKey& root, const RootCaOptions& options);

// Issues app CA certificates under one root: the root's key and parsed certificate are built
// once (OpenSSL 3.0's decoders cost far more than the signature), then each certificate costs
// about one ECDSA signature. Immutable after Create; safe to share across threads.
class CaIssuer {
 public:
  // INVALID_ARGUMENT when `root_cert_der` is not a certificate for `root`.
  static absl::StatusOr<std::shared_ptr<const CaIssuer>> Create(const P256PrivateKey& root,
                                                                ByteView root_cert_der);
  ~CaIssuer();

  // The app CA certificate of the P-256 public key `app_ca_public` (0x04 ‖ X ‖ Y) for `app_id`:
  // subject O=chainkms CN="<0x app id> App CA", serial = the first 16 bytes of SHA-256(app id)
  // with the top bits 01, the root's validity window, CA with pathlen 0, keyUsage
  // digitalSignature/keyCertSign/cRLSign, subject and authority key ids; ECDSA-SHA256 by the root.
  absl::StatusOr<Bytes> IssueAppCa(const FixedBytes<65>& app_ca_public,
                                   const Address& app_id) const;
  // The same certificate built with OpenSSL's X509 API (slow; the tests check that its
  // to-be-signed bytes equal IssueAppCa's, which encodes them directly).
  absl::StatusOr<Bytes> IssueAppCaWithX509Api(const FixedBytes<65>& app_ca_public,
                                              const Address& app_id) const;

 private:
  struct Impl;
  explicit CaIssuer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// CaIssuer::Create(root, root_cert_der) then IssueAppCa (tests and one-off use).
absl::StatusOr<Bytes> MakeAppCaCert(const P256PrivateKey& app_ca, const Address& app_id,
                                    const P256PrivateKey& root, ByteView root_cert_der);

// PEM <-> DER for "CERTIFICATE".
std::string CertDerToPem(ByteView der);
absl::StatusOr<Bytes> CertPemToDer(ByteView pem);

// The certificate's public key as uncompressed 0x04 ‖ X ‖ Y (INVALID_ARGUMENT unless P-256).
absl::StatusOr<FixedBytes<65>> CertP256PublicKey(ByteView cert_der);
// True when `cert_der` is signed by the key of `issuer_der` and names it as issuer.
absl::StatusOr<bool> CertIssuedBy(ByteView cert_der, ByteView issuer_der);

}  // namespace chainkms::kms
