#include "lib/attestation/collateral.h"

#include <algorithm>
#include <array>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "lib/common/hex.h"
#include "lib/common/status_macros.h"
#include "nlohmann/json.hpp"

namespace chainkms::attestation {
namespace {

using nlohmann::json;

absl::Status Bad(std::string_view doc, std::string_view field, std::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat(std::string(doc), ".", std::string(field), ": ", std::string(what)));
}

// A typed view over one JSON object that names the document and field in every error.
class Obj {
 public:
  Obj(const json& j, std::string doc) : j_(j), doc_(std::move(doc)) {}
  static absl::StatusOr<Obj> Of(const json& j, std::string doc) {
    if (!j.is_object()) return absl::InvalidArgumentError(doc + ": not a JSON object");
    return Obj(j, std::move(doc));
  }
  bool Has(const char* f) const { return j_.contains(f); }
  absl::StatusOr<const json*> Get(const char* f) const {
    auto it = j_.find(f);
    if (it == j_.end()) return Bad(doc_, f, "missing");
    return &*it;
  }
  absl::StatusOr<std::string> Str(const char* f) const {
    ASSIGN_OR_RETURN(const json* v, Get(f));
    if (!v->is_string()) return Bad(doc_, f, "not a string");
    return v->get<std::string>();
  }
  absl::StatusOr<int64_t> Int(const char* f, int64_t lo, int64_t hi) const {
    ASSIGN_OR_RETURN(const json* v, Get(f));
    if (!v->is_number_integer()) return Bad(doc_, f, "not an integer");
    int64_t n = v->get<int64_t>();
    if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(hi)) n = hi + 1;
    if (n < lo || n > hi) return Bad(doc_, f, absl::StrCat("out of range [", lo, ", ", hi, "]"));
    return n;
  }
  absl::StatusOr<absl::Time> Time(const char* f) const {
    ASSIGN_OR_RETURN(std::string s, Str(f));
    absl::Time t;
    std::string err;
    if (!absl::ParseTime(absl::RFC3339_full, s, &t, &err)) {
      return Bad(doc_, f, absl::StrCat("not an RFC 3339 time: ", err));
    }
    return t;
  }
  template <size_t N>
  absl::StatusOr<FixedBytes<N>> Hex(const char* f) const {
    ASSIGN_OR_RETURN(std::string s, Str(f));
    absl::StatusOr<Bytes> b = HexDecode(s, HexPrefix::kForbidden, f);
    std::optional<FixedBytes<N>> fixed;
    if (b.ok()) fixed = FixedBytes<N>::TryFrom(*b);
    if (!fixed) return Bad(doc_, f, absl::StrCat("must be ", 2 * N, " hex digits"));
    return *fixed;
  }
  absl::StatusOr<const json*> Array(const char* f) const {
    ASSIGN_OR_RETURN(const json* v, Get(f));
    if (!v->is_array()) return Bad(doc_, f, "not an array");
    return v;
  }
  const std::string& doc() const { return doc_; }

 private:
  const json& j_;
  std::string doc_;
};

absl::StatusOr<json> ParseJson(std::string_view text, std::string_view doc) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded())
    return absl::InvalidArgumentError(absl::StrCat(std::string(doc), ": not JSON"));
  return j;
}

absl::StatusOr<TcbStatus> ParseStatus(const Obj& o) {
  TcbStatus s;
  ASSIGN_OR_RETURN(s.status, o.Str("tcbStatus"));
  if (StatusSeverity(s.status) < 0) return Bad(o.doc(), "tcbStatus", "unknown status " + s.status);
  if (o.Has("advisoryIDs")) {
    ASSIGN_OR_RETURN(const json* ids, o.Array("advisoryIDs"));
    for (const json& id : *ids) {
      if (!id.is_string()) return Bad(o.doc(), "advisoryIDs", "not a list of strings");
      s.advisory_ids.push_back(id.get<std::string>());
    }
  }
  return s;
}

absl::StatusOr<std::vector<uint8_t>> Components(const Obj& tcb, const char* f) {
  ASSIGN_OR_RETURN(const json* arr, tcb.Array(f));
  std::vector<uint8_t> out;
  for (const json& c : *arr) {
    ASSIGN_OR_RETURN(Obj co, Obj::Of(c, absl::StrCat(tcb.doc(), ".", f)));
    ASSIGN_OR_RETURN(int64_t svn, co.Int("svn", 0, 255));
    out.push_back(static_cast<uint8_t>(svn));
  }
  return out;
}

// tcbLevels of {tcb: {isvsvn}, tcbStatus, advisoryIDs?}, as the QE identity and the TDX module
// identities both carry them; isvsvn at most `max_svn`.
template <typename Level>
absl::Status ParseIsvLevels(const Obj& o, int64_t max_svn, std::vector<Level>* out) {
  ASSIGN_OR_RETURN(const json* levels, o.Array("tcbLevels"));
  for (const json& l : *levels) {
    ASSIGN_OR_RETURN(Obj lo, Obj::Of(l, o.doc() + ".tcbLevels[]"));
    ASSIGN_OR_RETURN(const json* tcb, lo.Get("tcb"));
    ASSIGN_OR_RETURN(Obj to, Obj::Of(*tcb, lo.doc() + ".tcb"));
    Level level;
    ASSIGN_OR_RETURN(int64_t svn, to.Int("isvsvn", 0, max_svn));
    level.isv_svn = static_cast<decltype(level.isv_svn)>(svn);
    ASSIGN_OR_RETURN(level.status, ParseStatus(lo));
    out->push_back(std::move(level));
  }
  return absl::OkStatus();
}

absl::StatusOr<TdxModuleIdentity> ParseModule(const Obj& o, bool with_levels) {
  TdxModuleIdentity m;
  if (with_levels) {
    ASSIGN_OR_RETURN(m.id, o.Str("id"));
  }
  ASSIGN_OR_RETURN(m.mr_signer, o.Hex<48>("mrsigner"));
  ASSIGN_OR_RETURN(m.attributes, o.Hex<8>("attributes"));
  ASSIGN_OR_RETURN(m.attributes_mask, o.Hex<8>("attributesMask"));
  if (with_levels) {
    RETURN_IF_ERROR(ParseIsvLevels(o, 0xff, &m.levels));
  }
  return m;
}

// id, version, issueDate, nextUpdate: what TCB info and QE identity both open with.
absl::Status ParseSignedHeader(const Obj& o, std::string* id, int* version, absl::Time* issue,
                               absl::Time* next) {
  ASSIGN_OR_RETURN(*id, o.Str("id"));
  ASSIGN_OR_RETURN(int64_t v, o.Int("version", 0, 1000));
  *version = static_cast<int>(v);
  ASSIGN_OR_RETURN(*issue, o.Time("issueDate"));
  ASSIGN_OR_RETURN(*next, o.Time("nextUpdate"));
  return absl::OkStatus();
}

}  // namespace

int StatusSeverity(std::string_view status) {
  static constexpr std::array<std::string_view, 7> kStatuses = {"UpToDate",
                                                                "SWHardeningNeeded",
                                                                "ConfigurationNeeded",
                                                                "ConfigurationAndSWHardeningNeeded",
                                                                "OutOfDate",
                                                                "OutOfDateConfigurationNeeded",
                                                                "Revoked"};
  for (size_t i = 0; i < kStatuses.size(); ++i) {
    if (kStatuses[i] == status) return static_cast<int>(i);
  }
  return -1;
}

absl::StatusOr<Collateral> ParseCollateralJson(std::string_view text) {
  ASSIGN_OR_RETURN(json j, ParseJson(text, "collateral"));
  ASSIGN_OR_RETURN(Obj o, Obj::Of(j, "collateral"));
  Collateral c;
  ASSIGN_OR_RETURN(c.pck_crl_issuer_chain, o.Str("pck_crl_issuer_chain"));
  ASSIGN_OR_RETURN(std::string root_crl, o.Str("root_ca_crl"));
  ASSIGN_OR_RETURN(c.root_ca_crl,
                   HexDecode(root_crl, HexPrefix::kForbidden, "collateral.root_ca_crl"));
  ASSIGN_OR_RETURN(std::string pck_crl, o.Str("pck_crl"));
  ASSIGN_OR_RETURN(c.pck_crl, HexDecode(pck_crl, HexPrefix::kForbidden, "collateral.pck_crl"));
  ASSIGN_OR_RETURN(c.tcb_info_issuer_chain, o.Str("tcb_info_issuer_chain"));
  ASSIGN_OR_RETURN(c.tcb_info, o.Str("tcb_info"));
  ASSIGN_OR_RETURN(c.tcb_info_signature, o.Hex<64>("tcb_info_signature"));
  ASSIGN_OR_RETURN(c.qe_identity_issuer_chain, o.Str("qe_identity_issuer_chain"));
  ASSIGN_OR_RETURN(c.qe_identity, o.Str("qe_identity"));
  ASSIGN_OR_RETURN(c.qe_identity_signature, o.Hex<64>("qe_identity_signature"));
  if (o.Has("pck_certificate_chain") && !j["pck_certificate_chain"].is_null()) {
    ASSIGN_OR_RETURN(c.pck_certificate_chain, o.Str("pck_certificate_chain"));
  }
  return c;
}

std::string CollateralToJson(const Collateral& c) {
  json j = {{"pck_crl_issuer_chain", c.pck_crl_issuer_chain},
            {"root_ca_crl", HexEncode(c.root_ca_crl)},
            {"pck_crl", HexEncode(c.pck_crl)},
            {"tcb_info_issuer_chain", c.tcb_info_issuer_chain},
            {"tcb_info", c.tcb_info},
            {"tcb_info_signature", HexEncode(c.tcb_info_signature.view())},
            {"qe_identity_issuer_chain", c.qe_identity_issuer_chain},
            {"qe_identity", c.qe_identity},
            {"qe_identity_signature", HexEncode(c.qe_identity_signature.view())}};
  if (c.pck_certificate_chain) j["pck_certificate_chain"] = *c.pck_certificate_chain;
  return j.dump();
}

void CanonicalizeTcbLevels(std::vector<TcbLevel>& levels) {
  std::stable_sort(levels.begin(), levels.end(), [](const TcbLevel& a, const TcbLevel& b) {
    return std::tie(a.sgx_components, a.pce_svn, a.tdx_components) >
           std::tie(b.sgx_components, b.pce_svn, b.tdx_components);
  });
}

absl::StatusOr<TcbInfo> ParseTcbInfo(std::string_view text) {
  ASSIGN_OR_RETURN(json j, ParseJson(text, "tcbInfo"));
  ASSIGN_OR_RETURN(Obj o, Obj::Of(j, "tcbInfo"));
  TcbInfo t;
  RETURN_IF_ERROR(ParseSignedHeader(o, &t.id, &t.version, &t.issue_date, &t.next_update));
  ASSIGN_OR_RETURN(t.fmspc, o.Hex<6>("fmspc"));
  ASSIGN_OR_RETURN(t.pce_id, o.Str("pceId"));
  ASSIGN_OR_RETURN(t.tcb_evaluation_data_number, o.Int("tcbEvaluationDataNumber", 0, INT32_MAX));
  if (o.Has("tdxModule")) {
    ASSIGN_OR_RETURN(const json* m, o.Get("tdxModule"));
    ASSIGN_OR_RETURN(Obj mo, Obj::Of(*m, "tcbInfo.tdxModule"));
    ASSIGN_OR_RETURN(t.tdx_module, ParseModule(mo, false));
  }
  if (o.Has("tdxModuleIdentities")) {
    ASSIGN_OR_RETURN(const json* ids, o.Array("tdxModuleIdentities"));
    for (const json& m : *ids) {
      ASSIGN_OR_RETURN(Obj mo, Obj::Of(m, "tcbInfo.tdxModuleIdentities[]"));
      ASSIGN_OR_RETURN(TdxModuleIdentity id, ParseModule(mo, true));
      t.tdx_module_identities.push_back(std::move(id));
    }
  }
  ASSIGN_OR_RETURN(const json* levels, o.Array("tcbLevels"));
  for (const json& l : *levels) {
    ASSIGN_OR_RETURN(Obj lo, Obj::Of(l, "tcbInfo.tcbLevels[]"));
    ASSIGN_OR_RETURN(const json* tcb, lo.Get("tcb"));
    ASSIGN_OR_RETURN(Obj to, Obj::Of(*tcb, "tcbInfo.tcbLevels[].tcb"));
    TcbLevel level;
    ASSIGN_OR_RETURN(level.sgx_components, Components(to, "sgxtcbcomponents"));
    ASSIGN_OR_RETURN(int64_t pcesvn, to.Int("pcesvn", 0, 0xffff));
    level.pce_svn = static_cast<uint16_t>(pcesvn);
    if (to.Has("tdxtcbcomponents")) {
      ASSIGN_OR_RETURN(level.tdx_components, Components(to, "tdxtcbcomponents"));
    }
    ASSIGN_OR_RETURN(level.status, ParseStatus(lo));
    t.levels.push_back(std::move(level));
  }
  CanonicalizeTcbLevels(t.levels);
  return t;
}

absl::StatusOr<QeIdentity> ParseQeIdentity(std::string_view text) {
  ASSIGN_OR_RETURN(json j, ParseJson(text, "enclaveIdentity"));
  ASSIGN_OR_RETURN(Obj o, Obj::Of(j, "enclaveIdentity"));
  QeIdentity q;
  RETURN_IF_ERROR(ParseSignedHeader(o, &q.id, &q.version, &q.issue_date, &q.next_update));
  auto u32le = [](const FixedBytes<4>& b) {
    return static_cast<uint32_t>(b[0]) | (static_cast<uint32_t>(b[1]) << 8) |
           (static_cast<uint32_t>(b[2]) << 16) | (static_cast<uint32_t>(b[3]) << 24);
  };
  ASSIGN_OR_RETURN(FixedBytes<4> misc, o.Hex<4>("miscselect"));
  ASSIGN_OR_RETURN(FixedBytes<4> misc_mask, o.Hex<4>("miscselectMask"));
  q.miscselect = u32le(misc);
  q.miscselect_mask = u32le(misc_mask);
  ASSIGN_OR_RETURN(q.attributes, o.Hex<16>("attributes"));
  ASSIGN_OR_RETURN(q.attributes_mask, o.Hex<16>("attributesMask"));
  ASSIGN_OR_RETURN(q.mr_signer, o.Hex<32>("mrsigner"));
  ASSIGN_OR_RETURN(int64_t prod, o.Int("isvprodid", 0, 0xffff));
  q.isv_prod_id = static_cast<uint16_t>(prod);
  RETURN_IF_ERROR(ParseIsvLevels(o, 0xffff, &q.levels));
  return q;
}

absl::StatusOr<std::shared_ptr<const PreparedCollateral>> PrepareCollateral(Collateral c) {
  auto p = std::make_shared<PreparedCollateral>();
  ASSIGN_OR_RETURN(p->tcb_info, ParseTcbInfo(c.tcb_info));
  ASSIGN_OR_RETURN(p->qe_identity, ParseQeIdentity(c.qe_identity));
  ASSIGN_OR_RETURN(p->tcb_chain, ParsePemChain(c.tcb_info_issuer_chain, "TCB info issuer chain"));
  ASSIGN_OR_RETURN(p->qe_chain,
                   ParsePemChain(c.qe_identity_issuer_chain, "QE identity issuer chain"));
  if (c.pck_certificate_chain) {
    ASSIGN_OR_RETURN(p->pck_chain,
                     ParsePemChain(*c.pck_certificate_chain, "PCK certificate chain"));
  }
  ASSIGN_OR_RETURN(p->root_ca_crl, ParseCrlDer(c.root_ca_crl, "root CA CRL"));
  ASSIGN_OR_RETURN(p->pck_crl, ParseCrlDer(c.pck_crl, "PCK CRL"));
  p->window_begin = std::max({p->tcb_info.issue_date, p->qe_identity.issue_date,
                              p->root_ca_crl.this_update, p->pck_crl.this_update});
  p->window_end = std::min({p->tcb_info.next_update, p->qe_identity.next_update,
                            p->root_ca_crl.next_update, p->pck_crl.next_update});
  p->raw = std::move(c);
  return std::shared_ptr<const PreparedCollateral>(std::move(p));
}

}  // namespace chainkms::attestation
