#include "lib/attestation/verify.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "lib/common/hex.h"
#include "lib/common/reason.h"
#include "lib/common/status_macros.h"
#include "lib/crypto/hash.h"

namespace chainkms::attestation {
namespace {

constexpr uint8_t kIntelQeVendorId[16] = {0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
                                          0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07};

// Runs the steps, records each in the trace, and turns a failure into the refusal.
class Steps {
 public:
  explicit Steps(std::vector<VerifyStep>* trace) : trace_(trace) {}
  absl::Status Fail(const std::string& step, const std::string& detail) {
    if (trace_ != nullptr) trace_->push_back({step, false, detail});
    return WithReason(
        absl::PermissionDeniedError(absl::StrCat("TDX quote refused (", step, "): ", detail)),
        Reason::kAttestationRejected, {{"detail", detail}, {"step", step}});
  }
  absl::Status FailWith(const std::string& step, const absl::Status& s) {
    return Fail(step, std::string(s.message()));
  }
  void Ok(const std::string& step, std::string detail = "") {
    if (trace_ != nullptr) trace_->push_back({step, true, std::move(detail)});
  }

 private:
  std::vector<VerifyStep>* trace_;
};

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

// Steps 1 and 2: validity window, issuer chain (leaf + more, to the root, CRLs), signature over
// the exact JSON bytes.
absl::Status VerifySignedDocument(Steps& steps, const std::string& step, const std::string& name,
                                  absl::Time issue, absl::Time next, const CertChain& chain,
                                  std::string_view text, const FixedBytes<64>& sig,
                                  const PreparedCollateral& c, absl::Time now) {
  if (now < issue) return steps.Fail(step, absl::StrCat(name, " issue date is in the future"));
  if (now > next) return steps.Fail(step, absl::StrCat(name, " expired"));
  if (chain.certs.size() < 2) {
    return steps.Fail(step, absl::StrCat("Certificate chain is too short for ", name));
  }
  absl::Status chain_ok = VerifyChain(chain, IntelSgxRootCa(), {&c.root_ca_crl, &c.pck_crl}, now,
                                      absl::StrCat(name, " issuer chain"));
  if (!chain_ok.ok()) return steps.FailWith(step, chain_ok);
  if (!VerifyP256(X509_get0_pubkey(chain.leaf()), AsBytes(text), sig.view())) {
    std::string doc = name == "TCBInfo" ? "tcb_info" : "qe_identity";
    return steps.Fail(step, absl::StrCat("Signature is invalid for ", doc, " in quote_collateral"));
  }
  steps.Ok(step, absl::StrCat("signed by ", CommonName(chain.leaf()), ", valid ", Rfc3339(issue),
                              " to ", Rfc3339(next)));
  return absl::OkStatus();
}

uint64_t U64Le(const FixedBytes<8>& b) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v |= static_cast<uint64_t>(b[i]) << (8 * i);
  return v;
}

}  // namespace

TcbStatus MergeStatus(const TcbStatus& a, const TcbStatus& b) {
  TcbStatus out;
  out.status = StatusSeverity(b.status) > StatusSeverity(a.status) ? b.status : a.status;
  out.advisory_ids = a.advisory_ids;
  for (const std::string& id : b.advisory_ids) {
    if (std::find(out.advisory_ids.begin(), out.advisory_ids.end(), id) == out.advisory_ids.end()) {
      out.advisory_ids.push_back(id);
    }
  }
  return out;
}

size_t TdxComponentsFrom(const FixedBytes<16>& tee_tcb_svn) { return tee_tcb_svn[1] > 0 ? 2 : 0; }

absl::StatusOr<std::optional<TcbStatus>> MatchPlatformTcb(const std::vector<TcbLevel>& levels,
                                                          const FixedBytes<16>& cpu_svn,
                                                          uint16_t pce_svn,
                                                          const FixedBytes<16>& tee_tcb_svn,
                                                          size_t tdx_from, bool tdx) {
  for (const TcbLevel& level : levels) {
    if (level.sgx_components.size() != 16) {
      return absl::InvalidArgumentError(absl::StrCat("TCB level has ", level.sgx_components.size(),
                                                     " sgxtcbcomponents, expected 16"));
    }
    if (tdx && level.tdx_components.size() != 16) {
      return absl::InvalidArgumentError(absl::StrCat("TCB level has ", level.tdx_components.size(),
                                                     " tdxtcbcomponents, expected 16"));
    }
    if (pce_svn < level.pce_svn) continue;
    bool meets = true;
    for (size_t i = 0; i < 16 && meets; ++i) meets = cpu_svn[i] >= level.sgx_components[i];
    for (size_t i = tdx_from; tdx && i < 16 && meets; ++i) {
      meets = tee_tcb_svn[i] >= level.tdx_components[i];
    }
    if (meets) return std::optional<TcbStatus>(level.status);
  }
  return std::optional<TcbStatus>();
}

absl::StatusOr<VerifiedQuote> VerifyTdxQuote(ByteView quote, const PreparedCollateral& collateral,
                                             absl::Time now, std::vector<VerifyStep>* trace) {
  absl::StatusOr<TdxQuote> parsed = ParseTdxQuote(quote);
  if (!parsed.ok()) {
    Steps steps(trace);
    return steps.FailWith("parse", parsed.status());
  }
  return VerifyTdxQuote(*parsed, collateral, now, trace);
}

absl::StatusOr<VerifiedQuote> VerifyTdxQuote(const TdxQuote& q, const PreparedCollateral& c,
                                             absl::Time now, std::vector<VerifyStep>* trace) {
  Steps steps(trace);
  VerificationMemo& memo = *c.memo;
  bool collateral_known = false;
  {
    MutexLock l(&memo.mu);
    collateral_known =
        memo.collateral && memo.collateral->first <= now && now < memo.collateral->second;
  }
  // 0. The anchor against the CRLs, then the header.
  if (!collateral_known) {
    if (absl::Status s = CheckRootAgainstCrls(IntelSgxRootCa(), c.root_ca_crl, c.pck_crl, now);
        !s.ok()) {
      return steps.FailWith("root_ca", s);
    }
  }
  steps.Ok("root_ca", "Intel SGX Root CA valid and not revoked; root CA CRL signed and current");
  if (std::memcmp(q.header.qe_vendor_id.data(), kIntelQeVendorId, 16) != 0) {
    return steps.Fail("header", "Unknown QE vendor ID");
  }
  steps.Ok("header", absl::StrCat("version ", q.header.version, ", TDX, ECDSA-256-with-P-256, ",
                                  q.report.td15 ? "TD 1.5" : "TD 1.0"));

  const QeIdentity& qe_id = c.qe_identity;
  if (!collateral_known) {
    // 1. TCB info.
    RETURN_IF_ERROR(VerifySignedDocument(steps, "tcb_info", "TCBInfo", c.tcb_info.issue_date,
                                         c.tcb_info.next_update, c.tcb_chain, c.raw.tcb_info,
                                         c.raw.tcb_info_signature, c, now));
    // 2. QE identity.
    RETURN_IF_ERROR(VerifySignedDocument(
        steps, "qe_identity", "QE Identity", c.qe_identity.issue_date, c.qe_identity.next_update,
        c.qe_chain, c.raw.qe_identity, c.raw.qe_identity_signature, c, now));
    if (qe_id.id != "TD_QE" || (qe_id.version != 2 && qe_id.version != 3)) {
      return steps.Fail(
          "qe_identity",
          absl::StrCat("Unsupported QE Identity id/version for the quote TEE type: ", qe_id.id,
                       " version ", qe_id.version, " (expected TD_QE version [2, 3])"));
    }
    // Every check so far holds wherever all of its inputs are current.
    X509* root = IntelSgxRootCa();
    const auto [tcb_lo, tcb_hi] = ChainValidity(c.tcb_chain);
    const auto [qe_lo, qe_hi] = ChainValidity(c.qe_chain);
    const absl::Time lo =
        std::max({Asn1TimeToAbsl(X509_get0_notBefore(root)), c.root_ca_crl.this_update,
                  c.tcb_info.issue_date, c.qe_identity.issue_date, tcb_lo, qe_lo});
    const absl::Time hi =
        std::min({Asn1TimeToAbsl(X509_get0_notAfter(root)), c.root_ca_crl.next_update,
                  c.tcb_info.next_update, c.qe_identity.next_update, tcb_hi, qe_hi});
    MutexLock l(&memo.mu);
    memo.collateral = std::make_pair(lo, hi);
  } else {
    steps.Ok("tcb_info", "verified earlier for this collateral, still current");
    steps.Ok("qe_identity", "verified earlier for this collateral, still current");
  }

  // 3. PCK chain: the collateral's when it carries one, else the quote's own (type 5).
  const std::string& pem = c.pck_chain ? *c.raw.pck_certificate_chain : q.pck_chain_pem;
  const std::string pem_key(reinterpret_cast<const char*>(Sha256(AsBytes(pem)).data()), 32);
  VerificationMemo::Pck entry;
  bool pck_known = false;
  {
    MutexLock l(&memo.mu);
    auto it = memo.pck.find(pem_key);
    if (it != memo.pck.end() && it->second.lo <= now && now < it->second.hi) {
      entry = it->second;
      pck_known = true;
    }
  }
  if (!pck_known) {
    absl::StatusOr<CertChain> chain = ParsePemChain(pem, "PCK chain");
    if (!chain.ok()) return steps.FailWith("pck_chain", chain.status());
    if (chain->certs.size() < 2) {
      return steps.Fail("pck_chain", "Certificate chain is too short in quote");
    }
    if (absl::Status s =
            VerifyChain(*chain, IntelSgxRootCa(), {&c.root_ca_crl, &c.pck_crl}, now, "PCK chain");
        !s.ok()) {
      return steps.FailWith("pck_chain", s);
    }
    absl::StatusOr<SgxExtension> parsed_ext = ParseSgxExtension(chain->leaf());
    if (!parsed_ext.ok()) return steps.FailWith("pck_chain", parsed_ext.status());
    const auto [chain_lo, chain_hi] = ChainValidity(*chain);
    entry.lo = std::max({chain_lo, c.root_ca_crl.this_update, c.pck_crl.this_update});
    entry.hi = std::min({chain_hi, c.root_ca_crl.next_update, c.pck_crl.next_update});
    entry.ext = *std::move(parsed_ext);
    entry.chain = std::make_shared<const CertChain>(*std::move(chain));
    MutexLock l(&memo.mu);
    if (memo.pck.size() >= VerificationMemo::kMaxPckChains) memo.pck.clear();
    memo.pck[pem_key] = entry;
  }
  const CertChain* pck = entry.chain.get();
  const SgxExtension* ext = &entry.ext;
  steps.Ok("pck_chain",
           absl::StrCat(CommonName(pck->leaf()), " issued by ", CommonName(pck->certs[1].get()),
                        ", FMSPC ", absl::AsciiStrToUpper(HexEncode(ext->fmspc.view()))));

  // 4. QE report signed by the PCK key.
  if (!VerifyP256(X509_get0_pubkey(pck->leaf()), q.qe_report_bytes, q.qe_report_signature.view())) {
    return steps.Fail("qe_report_signature", "Signature is invalid for qe_report in quote");
  }
  steps.Ok("qe_report_signature", "QE report signed by the PCK key");

  // 5. QE report data binds the attestation key.
  if (q.qe_auth_data.size() != 32)
    return steps.Fail("qe_report_data", "Invalid QE auth data length");
  const Hash32 bound = Sha256(Concat({q.attestation_key.view(), q.qe_auth_data}));
  if (std::memcmp(bound.data(), q.qe_report.report_data.data(), 32) != 0) {
    return steps.Fail("qe_report_data", "QE report hash mismatch");
  }
  steps.Ok("qe_report_data", "SHA-256(attestation key ‖ QE auth data) = QE report data");

  // 6. QE identity policy and the QE's TCB level.
  const EnclaveReport& qe = q.qe_report;
  if (qe.mr_signer != qe_id.mr_signer) {
    return steps.Fail(
        "qe_identity_policy",
        absl::StrCat("QE MRSIGNER mismatch: expected ",
                     absl::AsciiStrToUpper(HexEncode(qe_id.mr_signer.view())), ", got ",
                     absl::AsciiStrToUpper(HexEncode(qe.mr_signer.view()))));
  }
  if ((qe.attributes[0] & 0x02) != 0) {
    return steps.Fail("qe_identity_policy", "QE report validation failed: Debug mode is enabled");
  }
  if (qe.isv_prod_id != qe_id.isv_prod_id) {
    return steps.Fail("qe_identity_policy",
                      absl::StrCat("QE ISVPRODID mismatch: expected ", qe_id.isv_prod_id, ", got ",
                                   qe.isv_prod_id));
  }
  if ((qe.misc_select & qe_id.miscselect_mask) != (qe_id.miscselect & qe_id.miscselect_mask)) {
    return steps.Fail("qe_identity_policy",
                      absl::StrFormat("QE MISCSELECT mismatch: expected %08X (masked), got %08X "
                                      "(masked)",
                                      qe_id.miscselect & qe_id.miscselect_mask,
                                      qe.misc_select & qe_id.miscselect_mask));
  }
  for (size_t i = 0; i < 16; ++i) {
    const uint8_t want = qe_id.attributes[i] & qe_id.attributes_mask[i];
    const uint8_t got = qe.attributes[i] & qe_id.attributes_mask[i];
    if (want != got) {
      return steps.Fail(
          "qe_identity_policy",
          absl::StrFormat("QE ATTRIBUTES mismatch at byte %d: expected %02X (masked), "
                          "got %02X (masked)",
                          i, want, got));
    }
  }
  std::optional<TcbStatus> qe_status;
  for (const QeLevel& level : qe_id.levels) {
    if (qe.isv_svn >= level.isv_svn) {
      qe_status = level.status;
      break;
    }
  }
  if (!qe_status) {
    if (qe_id.levels.empty())
      return steps.Fail("qe_identity_policy", "No TCB levels found in QE Identity");
    return steps.Fail("qe_identity_policy",
                      absl::StrCat("QE ISVSVN ", qe.isv_svn, " is below minimum required ",
                                   qe_id.levels.back().isv_svn, " from QE Identity"));
  }
  steps.Ok("qe_identity_policy", absl::StrCat("QE matches TD_QE identity; ISVSVN ", qe.isv_svn,
                                              " → ", qe_status->status));

  // 7. The quote (header ‖ body) signed by the attestation key.
  absl::StatusOr<PkeyPtr> att_key = P256KeyFromRaw(q.attestation_key.view());
  if (!att_key.ok() || !VerifyP256(att_key->get(), q.signed_bytes, q.signature.view())) {
    return steps.Fail("quote_signature", "ISV enclave report signature is invalid");
  }
  steps.Ok("quote_signature", "header and TD report signed by the attestation key");

  // 8. Platform TCB.
  const TcbInfo& tcb = c.tcb_info;
  if (ext->fmspc != tcb.fmspc) return steps.Fail("fmspc", "Fmspc mismatch");
  steps.Ok("fmspc", absl::AsciiStrToUpper(HexEncode(tcb.fmspc.view())));
  if (tcb.version < 3 || tcb.id != "TDX") {
    return steps.Fail("platform_tcb", "TDX quote with non-TDX TCB info in the collateral");
  }
  const FixedBytes<16>& tee_svn = q.report.tee_tcb_svn;
  absl::StatusOr<std::optional<TcbStatus>> platform = MatchPlatformTcb(
      tcb.levels, ext->cpu_svn, ext->pce_svn, tee_svn, TdxComponentsFrom(tee_svn), true);
  if (!platform.ok()) return steps.FailWith("platform_tcb", platform.status());
  if (!platform->has_value()) return steps.Fail("platform_tcb", "No matching TCB level found");
  TcbStatus platform_status = **platform;
  steps.Ok("platform_tcb", absl::StrCat("PCESVN ", ext->pce_svn, ", CPUSVN ",
                                        HexEncode(ext->cpu_svn.view()), ", TEE TCB SVN ",
                                        HexEncode(tee_svn.view()), " → ", platform_status.status));

  // 8b. TDX module identity.
  if (!tcb.tdx_module) return steps.Fail("tdx_module", "TDX TCB Info is missing tdxModule field");
  const uint8_t module_svn = tee_svn[0];
  const uint8_t module_version = tee_svn[1];
  const TdxModuleIdentity* identity = nullptr;
  FixedBytes<48> want_signer = tcb.tdx_module->mr_signer;
  FixedBytes<8> want_attrs = tcb.tdx_module->attributes;
  FixedBytes<8> mask = tcb.tdx_module->attributes_mask;
  if (module_version > 0 && !tcb.tdx_module_identities.empty()) {
    const std::string wanted = absl::StrFormat("TDX_%02X", module_version);
    for (const TdxModuleIdentity& m : tcb.tdx_module_identities) {
      if (absl::EqualsIgnoreCase(m.id, wanted)) {
        identity = &m;
        break;
      }
    }
    if (identity == nullptr) {
      return steps.Fail("tdx_module", absl::StrCat("No TDX module identity with id ", wanted,
                                                   " found in TCB Info"));
    }
    want_signer = identity->mr_signer;
    want_attrs = identity->attributes;
    mask = identity->attributes_mask;
  }
  if (q.report.mr_signer_seam != want_signer) {
    return steps.Fail(
        "tdx_module",
        absl::StrCat("TDX module MRSIGNER mismatch: expected ",
                     absl::AsciiStrToUpper(HexEncode(want_signer.view())), ", got ",
                     absl::AsciiStrToUpper(HexEncode(q.report.mr_signer_seam.view()))));
  }
  for (size_t i = 0; i < 8; ++i) {
    const uint8_t actual = q.report.seam_attributes[i];
    if ((actual & mask[i]) != (want_attrs[i] & mask[i])) {
      return steps.Fail("tdx_module",
                        absl::StrFormat("TDX module SEAMATTRIBUTES mismatch at byte %d: expected "
                                        "%02X (masked), got %02X (masked)",
                                        i, want_attrs[i] & mask[i], actual & mask[i]));
    }
    if ((actual & ~mask[i]) != 0) {
      return steps.Fail("tdx_module", absl::StrFormat("TDX module SEAMATTRIBUTES has bits set "
                                                      "outside mask at byte %d",
                                                      i));
    }
  }
  std::string module_detail = "TDX module identity matches";
  if (identity != nullptr) {
    const ModuleLevel* matched = nullptr;
    for (const ModuleLevel& level : identity->levels) {
      if (module_svn >= level.isv_svn) {
        matched = &level;
        break;
      }
    }
    if (matched == nullptr) {
      return steps.Fail("tdx_module", absl::StrCat("TDX module ISVSVN ", module_svn,
                                                   " is below minimum required from TDX module "
                                                   "TCB levels"));
    }
    platform_status = MergeStatus(platform_status, matched->status);
    module_detail =
        absl::StrCat(identity->id, " ISVSVN ", module_svn, " → ", matched->status.status);
  }
  steps.Ok("tdx_module", module_detail);

  // 9–10. Merge; Revoked is never valid.
  const TcbStatus final_status = MergeStatus(platform_status, *qe_status);
  if (final_status.status == "Revoked") {
    return steps.Fail("tcb_status", "TCB status is invalid: Revoked");
  }
  steps.Ok("tcb_status",
           absl::StrCat(final_status.status, final_status.advisory_ids.empty() ? "" : " ",
                        absl::StrJoin(final_status.advisory_ids, ",")));

  // 11. TD attributes.
  const uint64_t attrs = U64Le(q.report.td_attributes);
  if ((attrs & 0xff) != 0) return steps.Fail("td_attributes", "Debug mode is enabled");
  constexpr uint64_t kSecReserved = ((uint64_t{1} << 28) - 1) & ~uint64_t{0xff};  // bits 8..27
  constexpr uint64_t kOtherReserved = ((uint64_t{1} << 63) - 1) & ~((uint64_t{1} << 32) - 1);
  if ((attrs & kSecReserved) != 0 || (attrs & (uint64_t{1} << 29)) != 0 ||
      (attrs & kOtherReserved) != 0) {
    return steps.Fail("td_attributes", "Reserved bits in TD attributes are set");
  }
  if ((attrs & (uint64_t{1} << 28)) == 0) {
    return steps.Fail("td_attributes", "SEPT_VE_DISABLE is not enabled");
  }
  if (q.report.td15 && !std::all_of(q.report.mr_service_td.begin(), q.report.mr_service_td.end(),
                                    [](uint8_t b) { return b == 0; })) {
    return steps.Fail("td_attributes", "Invalid MR service TD");
  }
  steps.Ok("td_attributes", absl::StrCat("not a debug TD, SEPT_VE_DISABLE set (",
                                         HexEncode(q.report.td_attributes.view()), ")"));

  VerifiedQuote out;
  out.status = final_status.status;
  out.advisory_ids = final_status.advisory_ids;
  out.platform_status = platform_status;
  out.qe_status = *qe_status;
  out.fmspc = ext->fmspc;
  out.ppid = ext->ppid;
  out.report = q.report;
  out.collateral_not_before = c.window_begin;
  out.collateral_not_after = c.window_end;
  return out;
}

absl::Status CheckTcbPolicy(const VerifiedQuote& v, const TcbPolicy& policy) {
  auto refuse = [](std::string detail) {
    return WithReason(
        absl::PermissionDeniedError(absl::StrCat("TDX quote refused (tcb_policy): ", detail)),
        Reason::kAttestationRejected, {{"detail", detail}, {"step", "tcb_policy"}});
  };
  if (v.status == "Revoked") return refuse("TCB status Revoked is never accepted");
  if (!policy.accepted_statuses.contains(v.status)) {
    return refuse(absl::StrCat("TCB status ", v.status, " is not accepted (accepted: ",
                               absl::StrJoin(policy.accepted_statuses, ","), ")"));
  }
  for (const std::string& id : v.advisory_ids) {
    if (!policy.accepted_advisories.contains(absl::AsciiStrToUpper(id))) {
      return refuse(absl::StrCat("advisory ", id, " is not accepted"));
    }
  }
  return absl::OkStatus();
}

}  // namespace chainkms::attestation
