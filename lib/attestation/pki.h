// The X.509 side of DCAP verification (ATTESTATION.md §3 step 0/3, §4), over OpenSSL.
//
//   ASSIGN_OR_RETURN(CertChain chain, ParsePemChain(pem, "PCK chain"));
//   ASSIGN_OR_RETURN(Crl crl, ParseCrlDer(der, "root CA CRL"));
//   RETURN_IF_ERROR(VerifyChain(chain, IntelSgxRootCa(), {&root_crl, &pck_crl}, now, "PCK chain"));
//   RETURN_IF_ERROR(VerifyP256Signature(Pubkey(chain.leaf()), message, raw_rs, "qe_report"));
//
// The trust anchor is pinned (Intel SGX Root CA, compiled in); a chain's own root, when it carries
// one, must be that certificate byte for byte. Chains are verified by X509_verify_cert at an
// explicit time with CRL_CHECK|CRL_CHECK_ALL: every certificate below the anchor needs a CRL from
// its issuer, signed by it and not expired, and must not be listed in it. The anchor itself is
// checked separately (CheckRootAgainstCrls): within its validity, not listed in either CRL, and
// the root CRL signed by the root and current. Nothing here reads a clock.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/common/bytes.h"

namespace chainkms::attestation {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct CrlFree {
  void operator()(X509_CRL* c) const { X509_CRL_free(c); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using CrlPtr = std::unique_ptr<X509_CRL, CrlFree>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

// Leaf first, as PCS and the quote send them.
struct CertChain {
  std::vector<X509Ptr> certs;
  std::vector<Bytes> der;  // the DER of each certificate
  X509* leaf() const { return certs.front().get(); }
};

struct Crl {
  CrlPtr crl;
  Bytes der;
  absl::Time this_update;
  absl::Time next_update;
};

// The compiled-in Intel SGX Root CA ("CN=Intel SGX Root CA", SHA-256 of its DER in pki.cc).
X509* IntelSgxRootCa();
const Bytes& IntelSgxRootCaDer();

// Every PEM certificate in `pem`, in order; at least one; anything but whitespace (and the NUL a
// quote may append) outside the PEM blocks is refused. `what` names the chain in errors.
absl::StatusOr<CertChain> ParsePemChain(std::string_view pem, std::string_view what);
// One DER CRL with a nextUpdate; trailing bytes refused.
absl::StatusOr<Crl> ParseCrlDer(ByteView der, std::string_view what);

// X509_verify_cert of chain[0] with chain[1..] as intermediates to `anchor`, at `now`, with the
// CRLs; a self-signed certificate in the chain must be `anchor` itself. On failure the message
// carries OpenSSL's reason and the depth.
absl::Status VerifyChain(const CertChain& chain, X509* anchor, const std::vector<const Crl*>& crls,
                         absl::Time now, std::string_view what);

// The anchor at `now`: inside its validity, the root CRL issued and signed by it and current,
// and its serial listed in neither CRL.
absl::Status CheckRootAgainstCrls(X509* root, const Crl& root_crl, const Crl& pck_crl,
                                  absl::Time now);

// [max notBefore, min notAfter] over the chain.
std::pair<absl::Time, absl::Time> ChainValidity(const CertChain& chain);

// The subject's commonName, or "".
std::string CommonName(X509* cert);
std::string IssuerText(X509* cert);

// A P-256 public key from raw X ‖ Y (64 bytes); INVALID_ARGUMENT unless on the curve.
absl::StatusOr<PkeyPtr> P256KeyFromRaw(ByteView xy);
// ECDSA-P256-SHA256 of `message` with raw r ‖ s (64 bytes) under `key` (P-256 only).
bool VerifyP256(EVP_PKEY* key, ByteView message, ByteView raw_rs);

// The Intel SGX extension (OID 1.2.840.113741.1.13.1) of a PCK certificate.
struct SgxExtension {
  Bytes ppid;              // 16
  FixedBytes<16> cpu_svn;  // .2.18
  uint16_t pce_svn = 0;    // .2.17
  Bytes pce_id;            // .3, 2 bytes
  FixedBytes<6> fmspc;     // .4
  int sgx_type = -1;       // .5
};
absl::StatusOr<SgxExtension> ParseSgxExtension(X509* pck);

absl::Time Asn1TimeToAbsl(const ASN1_TIME* t);

}  // namespace chainkms::attestation
