#include "lib/attestation/pki.h"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "lib/common/hex.h"
#include "lib/common/status_macros.h"
#include "lib/crypto/hash.h"

namespace chainkms::attestation {
namespace {

// Intel SGX Root CA, serial 22650CD65A9D3489F383B49552BF501B392706AC, valid 2018-05-21 to
// 2049-12-31; SHA-256 of its DER 44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3
// (the fingerprint Intel publishes for IntelSGXRootCA.der).
constexpr std::string_view kIntelRootPem = R"(-----BEGIN CERTIFICATE-----
MIICjzCCAjSgAwIBAgIUImUM1lqdNInzg7SVUr9QGzknBqwwCgYIKoZIzj0EAwIw
aDEaMBgGA1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENv
cnBvcmF0aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJ
BgNVBAYTAlVTMB4XDTE4MDUyMTEwNDUxMFoXDTQ5MTIzMTIzNTk1OVowaDEaMBgG
A1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENvcnBvcmF0
aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJBgNVBAYT
AlVTMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEC6nEwMDIYZOj/iPWsCzaEKi7
1OiOSLRFhWGjbnBVJfVnkY4u3IjkDYYL0MxO4mqsyYjlBalTVYxFP2sJBK5zlKOB
uzCBuDAfBgNVHSMEGDAWgBQiZQzWWp00ifODtJVSv1AbOScGrDBSBgNVHR8ESzBJ
MEegRaBDhkFodHRwczovL2NlcnRpZmljYXRlcy50cnVzdGVkc2VydmljZXMuaW50
ZWwuY29tL0ludGVsU0dYUm9vdENBLmRlcjAdBgNVHQ4EFgQUImUM1lqdNInzg7SV
Ur9QGzknBqwwDgYDVR0PAQH/BAQDAgEGMBIGA1UdEwEB/wQIMAYBAf8CAQEwCgYI
KoZIzj0EAwIDSQAwRgIhAOW/5QkR+S9CiSDcNoowLuPRLsWGf/Yi7GSX94BgwTwg
AiEA4J0lrHoMs+Xo5o/sX6O9QWxHRAvZUGOdRQ7cvqRXaqI=
-----END CERTIFICATE-----
)";
constexpr std::string_view kIntelRootSha256 =
    "44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3";

struct Root {
  X509Ptr cert;
  Bytes der;
};

const Root& LoadRoot() {
  static const Root* root = [] {
    absl::StatusOr<CertChain> chain = ParsePemChain(kIntelRootPem, "Intel SGX Root CA");
    if (!chain.ok() || chain->certs.size() != 1 ||
        HexEncode(Sha256(chain->der[0]).view()) != kIntelRootSha256) {
      std::abort();  // the compiled-in anchor is corrupt: nothing can be trusted
    }
    return new Root{std::move(chain->certs[0]), std::move(chain->der[0])};
  }();
  return *root;
}

std::string OpenSslError() {
  unsigned long e = ERR_get_error();  // NOLINT(google-runtime-int): OpenSSL's type
  ERR_clear_error();
  if (e == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  return buf;
}

absl::Status Bad(std::string_view what, std::string_view detail) {
  return absl::InvalidArgumentError(absl::StrCat(std::string(what), ": ", std::string(detail)));
}

Bytes ToDer(X509* cert) {
  unsigned char* out = nullptr;
  int n = i2d_X509(cert, &out);
  if (n <= 0) return {};
  Bytes der(out, out + n);
  OPENSSL_free(out);
  return der;
}

// DER of a nested TLV; returns the value bytes of an element with `tag` at `*p`.
bool ReadTlv(const uint8_t*& p, const uint8_t* end, uint8_t tag, ByteView* value) {
  if (end - p < 2 || *p != tag) return false;
  ++p;
  size_t len = *p++;
  if (len & 0x80) {
    size_t n = len & 0x7f;
    if (n == 0 || n > 3 || static_cast<size_t>(end - p) < n) return false;
    len = 0;
    for (size_t i = 0; i < n; ++i) len = (len << 8) | *p++;
  }
  if (static_cast<size_t>(end - p) < len) return false;
  *value = ByteView(p, len);
  p += len;
  return true;
}

// Intel SGX extension OIDs, DER content bytes of 1.2.840.113741.1.13.1 and its children.
constexpr uint8_t kSgxOid[] = {0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01};

bool OidIs(ByteView oid, std::initializer_list<uint8_t> suffix) {
  if (oid.size() != sizeof(kSgxOid) + suffix.size()) return false;
  if (std::memcmp(oid.data(), kSgxOid, sizeof(kSgxOid)) != 0) return false;
  return std::equal(suffix.begin(), suffix.end(), oid.begin() + sizeof(kSgxOid));
}

}  // namespace

X509* IntelSgxRootCa() { return LoadRoot().cert.get(); }
const Bytes& IntelSgxRootCaDer() { return LoadRoot().der; }

absl::Time Asn1TimeToAbsl(const ASN1_TIME* t) {
  struct tm tm {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return absl::InfinitePast();
  return absl::FromCivil(absl::CivilSecond(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                                           tm.tm_min, tm.tm_sec),
                         absl::UTCTimeZone());
}

absl::StatusOr<CertChain> ParsePemChain(std::string_view pem, std::string_view what) {
  constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
  constexpr std::string_view kEnd = "-----END CERTIFICATE-----";
  CertChain chain;
  size_t at = 0;
  auto only_space = [](std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) {
      return c == '\n' || c == '\r' || c == ' ' || c == '\t' || c == '\0';
    });
  };
  while (true) {
    size_t begin = pem.find(kBegin, at);
    if (begin == std::string_view::npos) {
      if (!only_space(pem.substr(at)))
        return Bad(what, "unexpected text after the last certificate");
      break;
    }
    if (!only_space(pem.substr(at, begin - at))) {
      return Bad(what, "unexpected text between certificates");
    }
    size_t end = pem.find(kEnd, begin);
    if (end == std::string_view::npos) return Bad(what, "unterminated PEM certificate");
    end += kEnd.size();
    std::string_view block = pem.substr(begin, end - begin);
    BIO* bio = BIO_new_mem_buf(block.data(), static_cast<int>(block.size()));
    X509Ptr cert(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
    BIO_free(bio);
    if (!cert) {
      return Bad(what, absl::StrCat("certificate ", chain.certs.size() + 1,
                                    " does not parse: ", OpenSslError()));
    }
    chain.der.push_back(ToDer(cert.get()));
    chain.certs.push_back(std::move(cert));
    at = end;
  }
  if (chain.certs.empty()) return Bad(what, "no PEM certificate");
  return chain;
}

absl::StatusOr<Crl> ParseCrlDer(ByteView der, std::string_view what) {
  const unsigned char* p = der.data();
  CrlPtr crl(
      d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size())));  // NOLINT(google-runtime-int)
  if (!crl) return Bad(what, absl::StrCat("does not parse: ", OpenSslError()));
  if (p != der.data() + der.size()) return Bad(what, "trailing bytes after the CRL");
  if (X509_CRL_get0_nextUpdate(crl.get()) == nullptr) return Bad(what, "has no nextUpdate");
  Crl out;
  out.this_update = Asn1TimeToAbsl(X509_CRL_get0_lastUpdate(crl.get()));
  out.next_update = Asn1TimeToAbsl(X509_CRL_get0_nextUpdate(crl.get()));
  out.der.assign(der.begin(), der.end());
  out.crl = std::move(crl);
  return out;
}

absl::Status VerifyChain(const CertChain& chain, X509* anchor, const std::vector<const Crl*>& crls,
                         absl::Time now, std::string_view what) {
  const Bytes anchor_der = ToDer(anchor);
  for (size_t i = 0; i < chain.certs.size(); ++i) {
    X509* c = chain.certs[i].get();
    if (X509_check_issued(c, c) == X509_V_OK && chain.der[i] != anchor_der) {
      return Bad(what, absl::StrCat("self-signed certificate at depth ", i,
                                    " is not the pinned Intel SGX Root CA"));
    }
  }
  X509_STORE* store = X509_STORE_new();
  STACK_OF(X509)* untrusted = sk_X509_new_null();
  STACK_OF(X509_CRL)* crl_stack = sk_X509_CRL_new_null();
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_add_cert(store, anchor);
  for (size_t i = 1; i < chain.certs.size(); ++i) {
    if (chain.der[i] != anchor_der) sk_X509_push(untrusted, chain.certs[i].get());
  }
  for (const Crl* crl : crls) sk_X509_CRL_push(crl_stack, crl->crl.get());
  std::string failure;
  if (X509_STORE_CTX_init(ctx, store, chain.leaf(), untrusted) != 1) {
    failure = OpenSslError();
  } else {
    X509_STORE_CTX_set0_crls(ctx, crl_stack);
    X509_STORE_CTX_set_flags(
        ctx, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL | X509_V_FLAG_X509_STRICT);
    X509_STORE_CTX_set_time(ctx, 0, absl::ToTimeT(now));
    if (X509_verify_cert(ctx) != 1) {
      int err = X509_STORE_CTX_get_error(ctx);
      failure = absl::StrCat(X509_verify_cert_error_string(err), " at depth ",
                             X509_STORE_CTX_get_error_depth(ctx));
    } else {
      // Every certificate given must be on the path OpenSSL built (leaf … anchor, the anchor
      // optional): nothing unverified rides along.
      STACK_OF(X509)* built = X509_STORE_CTX_get0_chain(ctx);
      const size_t n = static_cast<size_t>(sk_X509_num(built));
      const size_t given = chain.certs.size();
      bool same = given == n || given + 1 == n;
      for (size_t i = 0; same && i < given; ++i) {
        same = X509_cmp(sk_X509_value(built, static_cast<int>(i)), chain.certs[i].get()) == 0 &&
               ToDer(sk_X509_value(built, static_cast<int>(i))) == chain.der[i];
      }
      if (!same) failure = "the chain carries certificates that are not on its verified path";
    }
  }
  X509_STORE_CTX_free(ctx);
  sk_X509_CRL_free(crl_stack);
  sk_X509_free(untrusted);
  X509_STORE_free(store);
  ERR_clear_error();
  if (!failure.empty()) return Bad(what, failure);
  return absl::OkStatus();
}

absl::Status CheckRootAgainstCrls(X509* root, const Crl& root_crl, const Crl& pck_crl,
                                  absl::Time now) {
  const absl::Time not_before = Asn1TimeToAbsl(X509_get0_notBefore(root));
  const absl::Time not_after = Asn1TimeToAbsl(X509_get0_notAfter(root));
  if (now < not_before || now > not_after) {
    return Bad("Intel SGX Root CA", "outside its validity period");
  }
  if (X509_NAME_cmp(X509_CRL_get_issuer(root_crl.crl.get()), X509_get_subject_name(root)) != 0) {
    return Bad("root CA CRL", "not issued by the Intel SGX Root CA");
  }
  EVP_PKEY* key = X509_get0_pubkey(root);
  if (key == nullptr || X509_CRL_verify(root_crl.crl.get(), key) != 1) {
    ERR_clear_error();
    return Bad("root CA CRL", "signature does not verify under the Intel SGX Root CA");
  }
  if (now < root_crl.this_update) return Bad("root CA CRL", "issued in the future");
  if (now >= root_crl.next_update) return Bad("root CA CRL", "expired");
  for (const Crl* crl : {&root_crl, &pck_crl}) {
    X509_REVOKED* revoked = nullptr;
    if (X509_CRL_get0_by_cert(crl->crl.get(), &revoked, root) == 1) {
      return Bad("Intel SGX Root CA", "listed as revoked in a CRL");
    }
  }
  return absl::OkStatus();
}

std::pair<absl::Time, absl::Time> ChainValidity(const CertChain& chain) {
  absl::Time lo = absl::InfinitePast();
  absl::Time hi = absl::InfiniteFuture();
  for (const X509Ptr& c : chain.certs) {
    lo = std::max(lo, Asn1TimeToAbsl(X509_get0_notBefore(c.get())));
    hi = std::min(hi, Asn1TimeToAbsl(X509_get0_notAfter(c.get())));
  }
  return {lo, hi};
}

std::string CommonName(X509* cert) {
  char buf[256] = {0};
  int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, sizeof(buf));
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

std::string IssuerText(X509* cert) {
  char* s = X509_NAME_oneline(X509_get_issuer_name(cert), nullptr, 0);
  std::string out = s != nullptr ? s : "";
  OPENSSL_free(s);
  return out;
}

absl::StatusOr<PkeyPtr> P256KeyFromRaw(ByteView xy) {
  if (xy.size() != 64) return absl::InvalidArgumentError("P-256 public key must be 64 bytes");
  uint8_t point[65];
  point[0] = 0x04;
  std::memcpy(point + 1, xy.data(), 64);
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
  OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point));
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
  EVP_PKEY* key = nullptr;
  bool ok = ctx != nullptr && params != nullptr && EVP_PKEY_fromdata_init(ctx) == 1 &&
            EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) == 1;
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  PkeyPtr out(key);
  if (ok) {
    EVP_PKEY_CTX* check = EVP_PKEY_CTX_new(key, nullptr);
    ok = check != nullptr && EVP_PKEY_public_check(check) == 1;
    EVP_PKEY_CTX_free(check);
  }
  ERR_clear_error();
  if (!ok) return absl::InvalidArgumentError("not a point on P-256");
  return out;
}

bool VerifyP256(EVP_PKEY* key, ByteView message, ByteView raw_rs) {
  if (key == nullptr || raw_rs.size() != 64 || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC)
    return false;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(raw_rs.data(), 32, nullptr);
  BIGNUM* s = BN_bin2bn(raw_rs.data() + 32, 32, nullptr);
  ECDSA_SIG_set0(sig, r, s);
  unsigned char* der = nullptr;
  int der_len = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  bool ok = false;
  if (der_len > 0) {
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    ok = md != nullptr && EVP_DigestVerifyInit(md, nullptr, EVP_sha256(), nullptr, key) == 1 &&
         EVP_DigestVerify(md, der, static_cast<size_t>(der_len), message.data(), message.size()) ==
             1;
    EVP_MD_CTX_free(md);
    OPENSSL_free(der);
  }
  ERR_clear_error();
  return ok;
}

absl::StatusOr<SgxExtension> ParseSgxExtension(X509* pck) {
  ASN1_OBJECT* oid = OBJ_txt2obj("1.2.840.113741.1.13.1", 1);
  int index = X509_get_ext_by_OBJ(pck, oid, -1);
  ASN1_OBJECT_free(oid);
  if (index < 0) return Bad("PCK certificate", "no Intel SGX extension");
  const ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(X509_get_ext(pck, index));
  const uint8_t* p = ASN1_STRING_get0_data(data);
  const uint8_t* end = p + ASN1_STRING_length(data);
  ByteView outer;
  if (!ReadTlv(p, end, 0x30, &outer) || p != end) return Bad("SGX extension", "not a SEQUENCE");
  SgxExtension ext;
  bool have_ppid = false, have_tcb = false, have_cpusvn = false, have_pcesvn = false,
       have_pceid = false, have_fmspc = false;
  const uint8_t* q = outer.data();
  const uint8_t* qend = q + outer.size();
  while (q < qend) {
    ByteView entry, id;
    if (!ReadTlv(q, qend, 0x30, &entry)) return Bad("SGX extension", "malformed entry");
    const uint8_t* e = entry.data();
    const uint8_t* eend = e + entry.size();
    if (!ReadTlv(e, eend, 0x06, &id)) return Bad("SGX extension", "entry without an OID");
    ByteView value;
    if (OidIs(id, {0x01})) {
      if (!ReadTlv(e, eend, 0x04, &value) || value.size() != 16)
        return Bad("SGX extension", "PPID");
      ext.ppid.assign(value.begin(), value.end());
      have_ppid = true;
    } else if (OidIs(id, {0x02})) {
      ByteView tcb;
      if (!ReadTlv(e, eend, 0x30, &tcb)) return Bad("SGX extension", "TCB");
      have_tcb = true;
      const uint8_t* t = tcb.data();
      const uint8_t* tend = t + tcb.size();
      while (t < tend) {
        ByteView comp, cid, cval;
        if (!ReadTlv(t, tend, 0x30, &comp)) return Bad("SGX extension", "TCB component");
        const uint8_t* c = comp.data();
        const uint8_t* cend = c + comp.size();
        if (!ReadTlv(c, cend, 0x06, &cid)) return Bad("SGX extension", "TCB component OID");
        if (OidIs(cid, {0x02, 0x12})) {
          if (!ReadTlv(c, cend, 0x04, &cval) || cval.size() != 16) {
            return Bad("SGX extension", "CPUSVN");
          }
          ext.cpu_svn = *FixedBytes<16>::TryFrom(cval);
          have_cpusvn = true;
        } else if (OidIs(cid, {0x02, 0x11})) {
          if (!ReadTlv(c, cend, 0x02, &cval) || cval.empty() || cval.size() > 3 ||
              (cval[0] & 0x80) != 0) {
            return Bad("SGX extension", "PCESVN");
          }
          uint32_t v = 0;
          for (uint8_t b : cval) v = (v << 8) | b;
          if (v > 0xffff) return Bad("SGX extension", "PCESVN out of range");
          ext.pce_svn = static_cast<uint16_t>(v);
          have_pcesvn = true;
        }
      }
    } else if (OidIs(id, {0x03})) {
      if (!ReadTlv(e, eend, 0x04, &value) || value.size() != 2)
        return Bad("SGX extension", "PCEID");
      ext.pce_id.assign(value.begin(), value.end());
      have_pceid = true;
    } else if (OidIs(id, {0x04})) {
      if (!ReadTlv(e, eend, 0x04, &value) || value.size() != 6)
        return Bad("SGX extension", "FMSPC");
      ext.fmspc = *FixedBytes<6>::TryFrom(value);
      have_fmspc = true;
    } else if (OidIs(id, {0x05})) {
      if (!ReadTlv(e, eend, 0x0a, &value) || value.size() != 1) {
        return Bad("SGX extension", "SGX type");
      }
      ext.sgx_type = value[0];
    }
  }
  if (!have_ppid || !have_tcb || !have_cpusvn || !have_pcesvn || !have_pceid || !have_fmspc) {
    return Bad("SGX extension", "missing PPID, TCB (CPUSVN, PCESVN), PCEID or FMSPC");
  }
  return ext;
}

}  // namespace chainkms::attestation
