#include "lib/attestation/quote.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "lib/common/reason.h"
#include "lib/common/status_macros.h"

namespace chainkms::attestation {
namespace {

absl::Status Refused(std::string_view detail) {
  return WithReason(
      absl::PermissionDeniedError(absl::StrCat("TDX quote refused: ", std::string(detail))),
      Reason::kAttestationRejected, {{"detail", std::string(detail)}});
}

// A bounds-checked little-endian reader over one container (the quote, the auth data, ...).
class Reader {
 public:
  Reader(ByteView data, std::string_view what) : data_(data), what_(what) {}

  absl::StatusOr<ByteView> Take(size_t n, std::string_view field) {
    if (n > data_.size() - pos_) {
      return Refused(absl::StrCat(std::string(what_), ": ", std::string(field), " needs ", n,
                                  " bytes at offset ", pos_, ", ", data_.size() - pos_, " left"));
    }
    ByteView out = data_.subspan(pos_, n);
    pos_ += n;
    return out;
  }
  template <size_t N>
  absl::StatusOr<FixedBytes<N>> Fixed(std::string_view field) {
    ASSIGN_OR_RETURN(ByteView b, Take(N, field));
    return *FixedBytes<N>::TryFrom(b);
  }
  absl::StatusOr<uint16_t> U16(std::string_view field) {
    ASSIGN_OR_RETURN(ByteView b, Take(2, field));
    return static_cast<uint16_t>(b[0] | (b[1] << 8));
  }
  absl::StatusOr<uint32_t> U32(std::string_view field) {
    ASSIGN_OR_RETURN(ByteView b, Take(4, field));
    return static_cast<uint32_t>(b[0]) | (static_cast<uint32_t>(b[1]) << 8) |
           (static_cast<uint32_t>(b[2]) << 16) | (static_cast<uint32_t>(b[3]) << 24);
  }
  // A length-prefixed field: at most 1 MiB and within what is left.
  absl::StatusOr<ByteView> Sized(uint32_t n, std::string_view field) {
    if (n > kMaxVariableField) {
      return Refused(absl::StrCat(std::string(what_), ": ", std::string(field), " of ", n,
                                  " bytes exceeds 1 MiB"));
    }
    return Take(n, field);
  }
  // certification_data{type u16, size u32, body}: the body, when the type is `want`.
  absl::StatusOr<ByteView> Certification(const std::string& field, const std::string& name,
                                         uint16_t want, const std::string& what,
                                         const std::string& hint = "") {
    ASSIGN_OR_RETURN(uint16_t type, U16(field + ".type"));
    if (type != want) {
      return Refused(absl::StrCat(name, " type ", type, " is not ", want, " (", what, ")", hint));
    }
    ASSIGN_OR_RETURN(uint32_t size, U32(field + ".size"));
    return Sized(size, field);
  }
  size_t pos() const { return pos_; }
  size_t left() const { return data_.size() - pos_; }
  absl::Status End() const {
    if (left() != 0) {
      return Refused(absl::StrCat(std::string(what_), ": ", left(), " unexpected trailing bytes"));
    }
    return absl::OkStatus();
  }

 private:
  ByteView data_;
  std::string_view what_;
  size_t pos_ = 0;
};

absl::StatusOr<TdReport> ParseReport(Reader& r, bool td15) {
  TdReport t;
  t.td15 = td15;
  ASSIGN_OR_RETURN(t.tee_tcb_svn, r.Fixed<16>("tee_tcb_svn"));
  ASSIGN_OR_RETURN(t.mr_seam, r.Fixed<48>("mr_seam"));
  ASSIGN_OR_RETURN(t.mr_signer_seam, r.Fixed<48>("mr_signer_seam"));
  ASSIGN_OR_RETURN(t.seam_attributes, r.Fixed<8>("seam_attributes"));
  ASSIGN_OR_RETURN(t.td_attributes, r.Fixed<8>("td_attributes"));
  ASSIGN_OR_RETURN(t.xfam, r.Fixed<8>("xfam"));
  ASSIGN_OR_RETURN(t.mr_td, r.Fixed<48>("mr_td"));
  ASSIGN_OR_RETURN(t.mr_config_id, r.Fixed<48>("mr_config_id"));
  ASSIGN_OR_RETURN(t.mr_owner, r.Fixed<48>("mr_owner"));
  ASSIGN_OR_RETURN(t.mr_owner_config, r.Fixed<48>("mr_owner_config"));
  ASSIGN_OR_RETURN(t.rtmr0, r.Fixed<48>("rtmr0"));
  ASSIGN_OR_RETURN(t.rtmr1, r.Fixed<48>("rtmr1"));
  ASSIGN_OR_RETURN(t.rtmr2, r.Fixed<48>("rtmr2"));
  ASSIGN_OR_RETURN(t.rtmr3, r.Fixed<48>("rtmr3"));
  ASSIGN_OR_RETURN(t.report_data, r.Fixed<64>("report_data"));
  if (td15) {
    ASSIGN_OR_RETURN(t.tee_tcb_svn2, r.Fixed<16>("tee_tcb_svn2"));
    ASSIGN_OR_RETURN(t.mr_service_td, r.Fixed<48>("mr_service_td"));
  }
  return t;
}

absl::StatusOr<EnclaveReport> ParseEnclaveReport(ByteView b) {
  Reader r(b, "qe_report");
  EnclaveReport e;
  ASSIGN_OR_RETURN(e.cpu_svn, r.Fixed<16>("cpu_svn"));
  ASSIGN_OR_RETURN(e.misc_select, r.U32("misc_select"));
  RETURN_IF_ERROR(r.Take(28, "reserved1").status());
  ASSIGN_OR_RETURN(e.attributes, r.Fixed<16>("attributes"));
  ASSIGN_OR_RETURN(e.mr_enclave, r.Fixed<32>("mr_enclave"));
  RETURN_IF_ERROR(r.Take(32, "reserved2").status());
  ASSIGN_OR_RETURN(e.mr_signer, r.Fixed<32>("mr_signer"));
  RETURN_IF_ERROR(r.Take(96, "reserved3").status());
  ASSIGN_OR_RETURN(e.isv_prod_id, r.U16("isv_prod_id"));
  ASSIGN_OR_RETURN(e.isv_svn, r.U16("isv_svn"));
  RETURN_IF_ERROR(r.Take(60, "reserved4").status());
  ASSIGN_OR_RETURN(e.report_data, r.Fixed<64>("report_data"));
  RETURN_IF_ERROR(r.End());
  return e;
}

}  // namespace

absl::StatusOr<TdxQuote> ParseTdxQuote(ByteView quote) {
  Reader r(quote, "quote");
  TdxQuote q;
  QuoteHeader& h = q.header;
  ASSIGN_OR_RETURN(h.version, r.U16("version"));
  if (h.version != kQuoteV4 && h.version != kQuoteV5) {
    return Refused(absl::StrCat("unsupported quote version ", h.version, " (4 and 5 are)"));
  }
  ASSIGN_OR_RETURN(h.attestation_key_type, r.U16("attestation_key_type"));
  if (h.attestation_key_type != 2) {
    return Refused(absl::StrCat("unsupported attestation key type ", h.attestation_key_type,
                                " (2: ECDSA-256-with-P-256)"));
  }
  ASSIGN_OR_RETURN(h.tee_type, r.U32("tee_type"));
  if (h.tee_type != kTeeTypeTdx) {
    return Refused(absl::StrCat("TEE type 0x", absl::Hex(h.tee_type), " is not TDX (0x81)"));
  }
  ASSIGN_OR_RETURN(h.qe_svn, r.U16("qe_svn"));
  ASSIGN_OR_RETURN(h.pce_svn, r.U16("pce_svn"));
  ASSIGN_OR_RETURN(h.qe_vendor_id, r.Fixed<16>("qe_vendor_id"));
  ASSIGN_OR_RETURN(h.user_data, r.Fixed<20>("user_data"));
  bool td15 = false;
  if (h.version == kQuoteV5) {
    ASSIGN_OR_RETURN(q.body_type, r.U16("body.type"));
    ASSIGN_OR_RETURN(uint32_t body_size, r.U32("body.size"));
    if (q.body_type != 2 && q.body_type != 3) {
      return Refused(
          absl::StrCat("unsupported v5 body type ", q.body_type, " (2: TD 1.0, 3: TD 1.5)"));
    }
    td15 = q.body_type == 3;
    if (body_size != (td15 ? 648u : 584u)) {
      return Refused(
          absl::StrCat("v5 body size ", body_size, " does not match body type ", q.body_type));
    }
  }
  ASSIGN_OR_RETURN(q.report, ParseReport(r, td15));
  q.signed_bytes.assign(quote.begin(), quote.begin() + static_cast<std::ptrdiff_t>(r.pos()));

  ASSIGN_OR_RETURN(uint32_t auth_len, r.U32("auth_data.size"));
  ASSIGN_OR_RETURN(ByteView auth_bytes, r.Sized(auth_len, "auth_data"));
  // Real quotes come in a zero-padded buffer (the sample has 70 zero bytes after its auth data):
  // zeros are accepted, anything else is not.
  ASSIGN_OR_RETURN(ByteView padding, r.Take(r.left(), "padding"));
  if (!std::all_of(padding.begin(), padding.end(), [](uint8_t b) { return b == 0; })) {
    return Refused(absl::StrCat("quote: ", padding.size(),
                                " bytes after the auth data that are not zero padding"));
  }

  Reader a(auth_bytes, "auth_data");
  ASSIGN_OR_RETURN(q.signature, a.Fixed<64>("ecdsa_signature"));
  ASSIGN_OR_RETURN(q.attestation_key, a.Fixed<64>("ecdsa_attestation_key"));
  ASSIGN_OR_RETURN(ByteView cert_body, a.Certification("certification_data", "certification data",
                                                       6, "QE report certification data"));
  RETURN_IF_ERROR(a.End());

  Reader c(cert_body, "certification_data");
  ASSIGN_OR_RETURN(ByteView qe_report, c.Take(384, "qe_report"));
  q.qe_report_bytes.assign(qe_report.begin(), qe_report.end());
  ASSIGN_OR_RETURN(q.qe_report, ParseEnclaveReport(qe_report));
  ASSIGN_OR_RETURN(q.qe_report_signature, c.Fixed<64>("qe_report_signature"));
  ASSIGN_OR_RETURN(uint16_t qe_auth_len, c.U16("qe_auth_data.size"));
  ASSIGN_OR_RETURN(ByteView qe_auth, c.Take(qe_auth_len, "qe_auth_data"));
  q.qe_auth_data.assign(qe_auth.begin(), qe_auth.end());
  ASSIGN_OR_RETURN(ByteView pem,
                   c.Certification("qe_certification_data", "QE certification data", 5,
                                   "PCK certificate chain", "; types 2 and 3 need a PCCS"));
  RETURN_IF_ERROR(c.End());
  // The chain is PEM text; a NUL padding byte at its end is tolerated, nothing else.
  size_t pem_len = pem.size();
  while (pem_len > 0 && pem[pem_len - 1] == 0) --pem_len;
  q.pck_chain_pem.assign(reinterpret_cast<const char*>(pem.data()), pem_len);
  if (q.pck_chain_pem.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    return Refused("the PCK certificate chain holds no PEM certificate");
  }
  return q;
}

}  // namespace chainkms::attestation
