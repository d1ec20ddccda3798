#include "lib/kms/x509.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "lib/common/hex.h"
#include "lib/common/status_macros.h"
#include "lib/crypto/hash.h"

namespace chainkms::kms {
namespace {

// SubjectPublicKeyInfo { AlgorithmIdentifier { ecPublicKey, prime256v1 }, BIT STRING 04‖X‖Y }.
constexpr uint8_t kSpkiPrefix[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
                                   0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
                                   0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00};

struct Free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(BIGNUM* p) const { BN_clear_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
};
template <typename T>
using Ptr = std::unique_ptr<T, Free>;

absl::Status OpenSslError(std::string_view what) {
  return absl::InternalError(absl::StrCat("OpenSSL: ", std::string(what), " failed"));
}

absl::StatusOr<Ptr<EVP_PKEY>> ToEvp(const P256PrivateKey& key) {
  SecretBytes der = key.Pkcs8Der();
  const unsigned char* p = der.data();
  Ptr<EVP_PKEY> pkey(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(der.size())));
  if (!pkey) return OpenSslError("loading a P-256 key");
  return pkey;
}

// An EVP_PKEY of a P-256 public key from its point, without the DER decoders.
absl::StatusOr<Ptr<EVP_PKEY>> PublicEvp(const FixedBytes<65>& pub) {
  char group[] = "prime256v1";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
                         OSSL_PARAM_construct_octet_string(
                             OSSL_PKEY_PARAM_PUB_KEY, const_cast<uint8_t*>(pub.data()), pub.size()),
                         OSSL_PARAM_construct_end()};
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr), &EVP_PKEY_CTX_free);
  EVP_PKEY* out = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &out, EVP_PKEY_PUBLIC_KEY, params) != 1) {
    return OpenSslError("loading a P-256 public key");
  }
  return Ptr<EVP_PKEY>(out);
}

absl::StatusOr<Ptr<X509>> ParseCert(ByteView der) {
  const unsigned char* p = der.data();
  Ptr<X509> cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert || p != der.data() + der.size()) {
    return absl::InvalidArgumentError("not a DER X.509 certificate");
  }
  return cert;
}

absl::Status AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  Ptr<X509_EXTENSION> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) return OpenSslError("adding an extension");
  return absl::OkStatus();
}

absl::Status SetSerial(X509* cert, ByteView serial) {
  Ptr<BIGNUM> bn(BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr));
  if (!bn || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) == nullptr) {
    return OpenSslError("setting the serial");
  }
  return absl::OkStatus();
}

absl::Status SetName(X509_NAME* name, std::string_view common_name) {
  const std::string cn(common_name);
  if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>("chainkms"), -1, -1,
                                 0) != 1 ||
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                                 0) != 1) {
    return OpenSslError("setting a name");
  }
  return absl::OkStatus();
}

absl::StatusOr<Bytes> SignAndEncode(X509* cert, EVP_PKEY* issuer_key) {
  if (X509_sign(cert, issuer_key, EVP_sha256()) <= 0) return OpenSslError("signing");
  const int n = i2d_X509(cert, nullptr);
  if (n <= 0) return OpenSslError("encoding");
  Bytes out(static_cast<size_t>(n));
  unsigned char* p = out.data();
  i2d_X509(cert, &p);
  return out;
}

}  // namespace

Bytes P256SpkiDer(const FixedBytes<65>& pub) {
  // memcpy into a sized buffer: GCC 12 at -O3 misreads an insert after the prefix as out of bounds.
  Bytes out(sizeof(kSpkiPrefix) + pub.size());
  std::memcpy(out.data(), kSpkiPrefix, sizeof(kSpkiPrefix));
  std::memcpy(out.data() + sizeof(kSpkiPrefix), pub.data(), pub.size());
  return out;
}

SecretBytes P256Pkcs8Pem(const P256PrivateKey& key) {
  SecretBytes der = key.Pkcs8Der();
  Ptr<BIO> bio(BIO_new(BIO_s_secmem()));
  if (!bio ||
      PEM_write_bio(bio.get(), "PRIVATE KEY", "", der.data(), static_cast<long>(der.size())) <= 0) {
    return SecretBytes();
  }
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return SecretBytes::FromView(ByteView(reinterpret_cast<const uint8_t*>(data), n));
}

absl::StatusOr<P256PrivateKey> ParseP256PrivateKeyPem(ByteView pem) {
  Ptr<BIO> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return OpenSslError("BIO_new_mem_buf");
  Ptr<EVP_PKEY> pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!pkey) return absl::InvalidArgumentError("not a PEM private key");
  char group[32] = {};
  size_t group_len = 0;
  if (EVP_PKEY_get_base_id(pkey.get()) != EVP_PKEY_EC ||
      EVP_PKEY_get_utf8_string_param(pkey.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                     &group_len) != 1 ||
      std::string_view(group, group_len) != "prime256v1") {
    return absl::InvalidArgumentError("not a P-256 (prime256v1) key");
  }
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(pkey.get(), OSSL_PKEY_PARAM_PRIV_KEY, &raw) != 1) {
    return absl::InvalidArgumentError("the key has no private scalar");
  }
  Ptr<BIGNUM> d(raw);
  SecretBytes scalar(32);
  if (BN_bn2binpad(d.get(), scalar.data(), 32) != 32) {
    return absl::InvalidArgumentError("private scalar out of range");
  }
  return P256PrivateKey::FromScalar(scalar.view());
}

absl::StatusOr<Bytes> MakeRootCaCert(const P256PrivateKey& root, const RootCaOptions& options) {
  ASSIGN_OR_RETURN(Ptr<EVP_PKEY> key, ToEvp(root));
  Ptr<X509> cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) return OpenSslError("X509_new");
  // Serial: the first 16 bytes of SHA-256(public key), top bit clear (positive).
  Hash32 h = Sha256(root.PublicKeyUncompressed().view());
  h[0] &= 0x7f;
  RETURN_IF_ERROR(SetSerial(cert.get(), ByteView(h.data(), 16)));
  RETURN_IF_ERROR(SetName(X509_get_subject_name(cert.get()), options.common_name));
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get())) != 1 ||
      ASN1_TIME_set(X509_getm_notBefore(cert.get()), absl::ToTimeT(options.not_before)) ==
          nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert.get()),
                    absl::ToTimeT(options.not_before + options.validity)) == nullptr ||
      X509_set_pubkey(cert.get(), key.get()) != 1) {
    return OpenSslError("filling the root certificate");
  }
  RETURN_IF_ERROR(AddExtension(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE"));
  RETURN_IF_ERROR(AddExtension(cert.get(), cert.get(), NID_key_usage,
                               "critical,keyCertSign,cRLSign,digitalSignature"));
  RETURN_IF_ERROR(AddExtension(cert.get(), cert.get(), NID_subject_key_identifier, "hash"));
  return SignAndEncode(cert.get(), key.get());
}

struct CaIssuer::Impl {
  Ptr<X509> root_cert;
  Ptr<EVP_PKEY> root_key;
  // DER pieces of the root certificate every app certificate repeats.
  Bytes issuer_name;  // the root's subject Name
  Bytes validity;     // Validity { notBefore, notAfter }
  Bytes root_key_id;  // the root's subjectKeyIdentifier (20 bytes)
};

namespace {

// DER: tag ‖ length ‖ content.
void PutTlv(Bytes& out, uint8_t tag, ByteView content) {
  out.push_back(tag);
  const size_t n = content.size();
  if (n < 0x80) {
    out.push_back(static_cast<uint8_t>(n));
  } else if (n <= 0xff) {
    out.push_back(0x81);
    out.push_back(static_cast<uint8_t>(n));
  } else {
    out.push_back(0x82);
    out.push_back(static_cast<uint8_t>(n >> 8));
    out.push_back(static_cast<uint8_t>(n));
  }
  out.insert(out.end(), content.begin(), content.end());
}
Bytes Tlv(uint8_t tag, ByteView content) {
  Bytes out;
  PutTlv(out, tag, content);
  return out;
}
template <typename T>
Bytes I2d(const T* v, int (*i2d)(const T*, unsigned char**)) {
  const int n = i2d(v, nullptr);
  if (n <= 0) return {};
  Bytes out(static_cast<size_t>(n));
  unsigned char* p = out.data();
  i2d(v, &p);
  return out;
}

constexpr uint8_t kEcdsaWithSha256[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
                                        0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
// Extension { basicConstraints, critical, CA:TRUE pathlen:0 } and { keyUsage, critical,
// digitalSignature keyCertSign cRLSign }.
constexpr uint8_t kBasicConstraints[] = {0x30, 0x12, 0x06, 0x03, 0x55, 0x1d, 0x13,
                                         0x01, 0x01, 0xff, 0x04, 0x08, 0x30, 0x06,
                                         0x01, 0x01, 0xff, 0x02, 0x01, 0x00};
constexpr uint8_t kKeyUsage[] = {0x30, 0x0e, 0x06, 0x03, 0x55, 0x1d, 0x0f, 0x01,
                                 0x01, 0xff, 0x04, 0x04, 0x03, 0x02, 0x01, 0x86};

// Name { O=chainkms, CN=<common_name> } with UTF8Strings, as X509_NAME_add_entry_by_txt makes it.
Bytes NameDer(std::string_view common_name) {
  auto rdn = [](std::initializer_list<uint8_t> oid, std::string_view value) {
    Bytes atv = Tlv(0x06, Bytes(oid));
    PutTlv(atv, 0x0c, AsBytes(value));
    return Tlv(0x31, Tlv(0x30, atv));
  };
  Bytes rdns = rdn({0x55, 0x04, 0x0a}, "chainkms");
  const Bytes cn = rdn({0x55, 0x04, 0x03}, common_name);
  rdns.insert(rdns.end(), cn.begin(), cn.end());
  return Tlv(0x30, rdns);
}

}  // namespace

CaIssuer::CaIssuer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CaIssuer::~CaIssuer() = default;

absl::StatusOr<std::shared_ptr<const CaIssuer>> CaIssuer::Create(const P256PrivateKey& root,
                                                                 ByteView root_cert_der) {
  auto impl = std::make_unique<Impl>();
  ASSIGN_OR_RETURN(impl->root_cert, ParseCert(root_cert_der));
  ASSIGN_OR_RETURN(impl->root_key, ToEvp(root));
  if (X509_check_private_key(impl->root_cert.get(), impl->root_key.get()) != 1) {
    return absl::InvalidArgumentError("the root certificate is not for the root CA key");
  }
  X509* root_cert = impl->root_cert.get();
  impl->issuer_name = I2d<X509_NAME>(X509_get_subject_name(root_cert), i2d_X509_NAME);
  Bytes validity = I2d<ASN1_TIME>(X509_get0_notBefore(root_cert), i2d_ASN1_TIME);
  const Bytes not_after = I2d<ASN1_TIME>(X509_get0_notAfter(root_cert), i2d_ASN1_TIME);
  validity.insert(validity.end(), not_after.begin(), not_after.end());
  impl->validity = Tlv(0x30, validity);
  const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(root_cert);
  if (ski == nullptr || impl->issuer_name.empty() || not_after.empty()) {
    return absl::InvalidArgumentError("the root certificate has no subjectKeyIdentifier");
  }
  impl->root_key_id.assign(ASN1_STRING_get0_data(ski),
                           ASN1_STRING_get0_data(ski) + ASN1_STRING_length(ski));
  return std::shared_ptr<const CaIssuer>(new CaIssuer(std::move(impl)));
}

absl::StatusOr<Bytes> CaIssuer::IssueAppCa(const FixedBytes<65>& app_ca_public,
                                           const Address& app_id) const {
  // The TBSCertificate encoded directly (byte-identical to IssueAppCaWithX509Api's, which
  // x509_test checks): OpenSSL 3.0's X509_set_pubkey round-trips the key through its encoder and
  // decoder, costing several signatures' worth of time per certificate.
  Hash32 h = Sha256(app_id.view());
  h[0] = static_cast<uint8_t>((h[0] & 0x3f) | 0x40);  // positive, 16 bytes, minimal
  Bytes tbs = {0xa0, 0x03, 0x02, 0x01, 0x02};         // [0] version v3
  PutTlv(tbs, 0x02, ByteView(h.data(), 16));
  tbs.insert(tbs.end(), std::begin(kEcdsaWithSha256), std::end(kEcdsaWithSha256));
  tbs.insert(tbs.end(), impl_->issuer_name.begin(), impl_->issuer_name.end());
  tbs.insert(tbs.end(), impl_->validity.begin(), impl_->validity.end());
  const Bytes subject = NameDer(absl::StrCat(Hex0x(app_id.view()), " App CA"));
  tbs.insert(tbs.end(), subject.begin(), subject.end());
  const Bytes spki = P256SpkiDer(app_ca_public);
  tbs.insert(tbs.end(), spki.begin(), spki.end());
  // subjectKeyIdentifier: SHA-1 of the public key bits (RFC 5280 §4.2.1.2 method 1).
  uint8_t key_id[20];
  unsigned int key_id_len = 0;
  if (EVP_Digest(app_ca_public.data(), app_ca_public.size(), key_id, &key_id_len, EVP_sha1(),
                 nullptr) != 1) {
    return OpenSslError("SHA-1");
  }
  Bytes exts(std::begin(kBasicConstraints), std::end(kBasicConstraints));
  exts.insert(exts.end(), std::begin(kKeyUsage), std::end(kKeyUsage));
  Bytes ski = {0x06, 0x03, 0x55, 0x1d, 0x0e};
  PutTlv(ski, 0x04, Tlv(0x04, ByteView(key_id, 20)));
  PutTlv(exts, 0x30, ski);
  Bytes aki = {0x06, 0x03, 0x55, 0x1d, 0x23};
  PutTlv(aki, 0x04, Tlv(0x30, Tlv(0x80, impl_->root_key_id)));
  PutTlv(exts, 0x30, aki);
  PutTlv(tbs, 0xa3, Tlv(0x30, exts));
  const Bytes tbs_der = Tlv(0x30, tbs);

  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  uint8_t sig[80];
  size_t sig_len = sizeof(sig);
  if (!md ||
      EVP_DigestSignInit_ex(md.get(), nullptr, "SHA256", nullptr, nullptr, impl_->root_key.get(),
                            nullptr) != 1 ||
      EVP_DigestSign(md.get(), sig, &sig_len, tbs_der.data(), tbs_der.size()) != 1) {
    return OpenSslError("signing the app certificate");
  }
  Bytes cert = tbs_der;
  cert.insert(cert.end(), std::begin(kEcdsaWithSha256), std::end(kEcdsaWithSha256));
  Bytes bits = {0x00};
  bits.insert(bits.end(), sig, sig + sig_len);
  PutTlv(cert, 0x03, bits);
  return Tlv(0x30, cert);
}

absl::StatusOr<Bytes> CaIssuer::IssueAppCaWithX509Api(const FixedBytes<65>& app_ca_public,
                                                      const Address& app_id) const {
  X509* issuer = impl_->root_cert.get();
  ASSIGN_OR_RETURN(Ptr<EVP_PKEY> app_key, PublicEvp(app_ca_public));
  Ptr<X509> cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) return OpenSslError("X509_new");
  Hash32 h = Sha256(app_id.view());
  h[0] = static_cast<uint8_t>((h[0] & 0x3f) | 0x40);
  RETURN_IF_ERROR(SetSerial(cert.get(), ByteView(h.data(), 16)));
  RETURN_IF_ERROR(
      SetName(X509_get_subject_name(cert.get()), absl::StrCat(Hex0x(app_id.view()), " App CA")));
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer)) != 1 ||
      X509_set1_notBefore(cert.get(), X509_get0_notBefore(issuer)) != 1 ||
      X509_set1_notAfter(cert.get(), X509_get0_notAfter(issuer)) != 1 ||
      X509_set_pubkey(cert.get(), app_key.get()) != 1) {
    return OpenSslError("filling the app certificate");
  }
  RETURN_IF_ERROR(
      AddExtension(cert.get(), issuer, NID_basic_constraints, "critical,CA:TRUE,pathlen:0"));
  RETURN_IF_ERROR(AddExtension(cert.get(), issuer, NID_key_usage,
                               "critical,keyCertSign,cRLSign,digitalSignature"));
  RETURN_IF_ERROR(AddExtension(cert.get(), issuer, NID_subject_key_identifier, "hash"));
  RETURN_IF_ERROR(AddExtension(cert.get(), issuer, NID_authority_key_identifier, "keyid:always"));
  return SignAndEncode(cert.get(), impl_->root_key.get());
}

absl::StatusOr<Bytes> MakeAppCaCert(const P256PrivateKey& app_ca, const Address& app_id,
                                    const P256PrivateKey& root, ByteView root_cert_der) {
  ASSIGN_OR_RETURN(std::shared_ptr<const CaIssuer> issuer, CaIssuer::Create(root, root_cert_der));
  return issuer->IssueAppCa(app_ca.PublicKeyUncompressed(), app_id);
}

std::string CertDerToPem(ByteView der) {
  Ptr<BIO> bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio(bio.get(), "CERTIFICATE", "", der.data(), static_cast<long>(der.size())) <= 0) {
    return "";
  }
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

absl::StatusOr<Bytes> CertPemToDer(ByteView pem) {
  Ptr<BIO> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return OpenSslError("BIO_new_mem_buf");
  Ptr<X509> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return absl::InvalidArgumentError("not a PEM certificate");
  const int n = i2d_X509(cert.get(), nullptr);
  if (n <= 0) return OpenSslError("encoding");
  Bytes out(static_cast<size_t>(n));
  unsigned char* p = out.data();
  i2d_X509(cert.get(), &p);
  return out;
}

absl::StatusOr<FixedBytes<65>> CertP256PublicKey(ByteView cert_der) {
  ASSIGN_OR_RETURN(Ptr<X509> cert, ParseCert(cert_der));
  EVP_PKEY* key = X509_get0_pubkey(cert.get());
  const int n = key == nullptr ? 0 : i2d_PUBKEY(key, nullptr);
  if (n != 91) return absl::InvalidArgumentError("the certificate's key is not P-256");
  Bytes spki(91);
  unsigned char* p = spki.data();
  i2d_PUBKEY(key, &p);
  if (std::memcmp(spki.data(), kSpkiPrefix, sizeof(kSpkiPrefix)) != 0) {
    return absl::InvalidArgumentError("the certificate's key is not P-256");
  }
  FixedBytes<65> out;
  std::copy(spki.begin() + sizeof(kSpkiPrefix), spki.end(), out.begin());
  return out;
}

absl::StatusOr<bool> CertIssuedBy(ByteView cert_der, ByteView issuer_der) {
  ASSIGN_OR_RETURN(Ptr<X509> cert, ParseCert(cert_der));
  ASSIGN_OR_RETURN(Ptr<X509> issuer, ParseCert(issuer_der));
  if (X509_check_issued(issuer.get(), cert.get()) != X509_V_OK) return false;
  return X509_verify(cert.get(), X509_get0_pubkey(issuer.get())) == 1;
}

}  // namespace chainkms::kms
