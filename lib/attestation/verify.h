// Intel TDX DCAP quote verification to Intel's root (ATTESTATION.md §3), then policy.
//
//   ASSIGN_OR_RETURN(VerifiedQuote v, VerifyTdxQuote(quote_bytes, *collateral, now));
//   RETURN_IF_ERROR(CheckTcbPolicy(v, TcbPolicy{}));  // UpToDate, no advisories
//
// The steps run in dcap-qvl's order with its checks, and refuse with its message
// (PERMISSION_DENIED, reason ATTESTATION_REJECTED, metadata `step` naming the check and `detail`):
//   header → tcb_info (window, chain, signature) → qe_identity (same, id/version) → pck_chain
//   (to the pinned root, CRLs) → qe_report_signature → qe_report_data → qe_identity_policy →
//   quote_signature → fmspc → platform_tcb → tdx_module → tcb_status (Revoked) → td_attributes.
// `now` is always the caller's: nothing here reads a clock, so a verdict is reproducible.
//
// Stricter than dcap-qvl 0.5.2 where it is safer: the root's own validity and the root CRL's
// issuer/signature/expiry are checked explicitly; CRLs must parse; PEM chains may not carry text
// outside their blocks; a self-signed certificate in a chain must be the pinned root.
//
// Versioned TDX modules (tee_tcb_svn[1] > 0): Intel's QVL grades tee_tcb_svn[0..1] only through
// tdxModuleIdentities and compares tdxtcbcomponents from index 2; dcap-qvl 0.5.2 compares all 16.
// We follow Intel (`TdxComponentsFrom`), since bytes 0–1 then hold the module's SVN and version,
// which the module identity's own levels grade; the module status is merged into the platform
// status, so a module below its level is still reported. See verify_test.cc.
//
// Status merge: dcap-qvl 0.5.2's (the worse of platform, module and QE by severity; advisory ids
// in order, deduplicated), since that is what dstack's KMS forwards to the contract.
#pragma once

#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/attestation/collateral.h"
#include "lib/attestation/quote.h"

namespace chainkms::attestation {

// One check, for operators asking why a quote was refused (`attestation verify`).
struct VerifyStep {
  std::string step;
  bool ok = false;
  std::string detail;
};

struct VerifiedQuote {
  std::string status;  // the merged status, byte-exact as forwarded to the contract
  std::vector<std::string> advisory_ids;
  TcbStatus platform_status;  // platform level merged with the TDX module's
  TcbStatus qe_status;
  FixedBytes<6> fmspc;
  Bytes ppid;
  TdReport report;
  absl::Time collateral_not_before;  // latest issue date / thisUpdate of the collateral
  absl::Time collateral_not_after;   // earliest nextUpdate
};

// `trace`, when given, receives every step run (the last one failed if the quote is refused).
absl::StatusOr<VerifiedQuote> VerifyTdxQuote(ByteView quote, const PreparedCollateral& collateral,
                                             absl::Time now,
                                             std::vector<VerifyStep>* trace = nullptr);
absl::StatusOr<VerifiedQuote> VerifyTdxQuote(const TdxQuote& quote,
                                             const PreparedCollateral& collateral, absl::Time now,
                                             std::vector<VerifyStep>* trace = nullptr);

// The worse status; advisories unioned in order.
TcbStatus MergeStatus(const TcbStatus& a, const TcbStatus& b);

// The first canonical level the platform meets; `tdx_from` is the first tdxtcbcomponents index
// compared (TdxComponentsFrom). nullopt when none; INVALID_ARGUMENT for a count other than 16.
absl::StatusOr<std::optional<TcbStatus>> MatchPlatformTcb(const std::vector<TcbLevel>& levels,
                                                          const FixedBytes<16>& cpu_svn,
                                                          uint16_t pce_svn,
                                                          const FixedBytes<16>& tee_tcb_svn,
                                                          size_t tdx_from, bool tdx);
// 2 when the module is versioned (tee_tcb_svn[1] > 0), else 0.
size_t TdxComponentsFrom(const FixedBytes<16>& tee_tcb_svn);

// Which verdicts a deployment accepts. Revoked is refused whatever the lists say.
struct TcbPolicy {
  absl::flat_hash_set<std::string> accepted_statuses = {"UpToDate"};
  absl::flat_hash_set<std::string> accepted_advisories;  // upper-case ids
};
absl::Status CheckTcbPolicy(const VerifiedQuote& verified, const TcbPolicy& policy);

}  // namespace chainkms::attestation
