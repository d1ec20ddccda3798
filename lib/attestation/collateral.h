// DCAP collateral (ATTESTATION.md §2): what Intel's PCS / a PCCS serves for one FMSPC, in
// dcap-qvl's QuoteCollateralV3 JSON shape, and the parsed TCB info and QE identity.
//
//   ASSIGN_OR_RETURN(Collateral c, ParseCollateralJson(text));
//   ASSIGN_OR_RETURN(std::shared_ptr<const PreparedCollateral> p, PrepareCollateral(std::move(c)));
//
// PrepareCollateral parses once what every verification needs (certificates, CRLs, both JSON
// documents, their levels in Intel's canonical order); it checks no signature and no time, so a
// prepared collateral is only ever trusted through VerifyTdxQuote (verify.h). The signatures
// cover the exact bytes of `tcb_info` and `qe_identity`, which are therefore kept as text.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/attestation/pki.h"
#include "lib/common/bytes.h"
#include "lib/common/sync.h"

namespace chainkms::attestation {

struct Collateral {
  std::string pck_crl_issuer_chain;   // PEM (not used by verification, kept for completeness)
  Bytes root_ca_crl;                  // DER
  Bytes pck_crl;                      // DER
  std::string tcb_info_issuer_chain;  // PEM
  std::string tcb_info;               // the exact JSON text of `tcbInfo`
  FixedBytes<64> tcb_info_signature;  // r ‖ s
  std::string qe_identity_issuer_chain;
  std::string qe_identity;  // the exact JSON text of `enclaveIdentity`
  FixedBytes<64> qe_identity_signature;
  std::optional<std::string> pck_certificate_chain;  // PEM; else the quote's own chain
};

// {"pck_crl_issuer_chain": PEM, "root_ca_crl": hex, "pck_crl": hex, "tcb_info_issuer_chain": PEM,
//  "tcb_info": text, "tcb_info_signature": hex, "qe_identity_issuer_chain": PEM,
//  "qe_identity": text, "qe_identity_signature": hex, "pck_certificate_chain"?: PEM}.
// INVALID_ARGUMENT naming the field.
absl::StatusOr<Collateral> ParseCollateralJson(std::string_view json);
std::string CollateralToJson(const Collateral& c);

// A TCB level's status and advisories, as Intel spells them.
struct TcbStatus {
  std::string status;
  std::vector<std::string> advisory_ids;
  bool operator==(const TcbStatus&) const = default;
};

// Severity rank of dcap-qvl 0.5.2 (UpToDate 0 … Revoked 6); -1 for a string Intel does not use.
int StatusSeverity(std::string_view status);

struct TcbLevel {
  std::vector<uint8_t> sgx_components;  // svn of each sgxtcbcomponents entry
  uint16_t pce_svn = 0;
  std::vector<uint8_t> tdx_components;  // empty for SGX TCB info
  TcbStatus status;
};

struct ModuleLevel {
  uint8_t isv_svn = 0;
  TcbStatus status;
};

struct TdxModuleIdentity {
  std::string id;  // "TDX_03"
  FixedBytes<48> mr_signer;
  FixedBytes<8> attributes;
  FixedBytes<8> attributes_mask;
  std::vector<ModuleLevel> levels;
};

struct TcbInfo {
  std::string id;  // "TDX" | "SGX"
  int version = 0;
  absl::Time issue_date;
  absl::Time next_update;
  FixedBytes<6> fmspc;
  std::string pce_id;
  int64_t tcb_evaluation_data_number = 0;
  std::optional<TdxModuleIdentity> tdx_module;  // levels empty
  std::vector<TdxModuleIdentity> tdx_module_identities;
  std::vector<TcbLevel> levels;  // canonical order: descending (sgx, pcesvn, tdx)
};

struct QeLevel {
  uint16_t isv_svn = 0;
  TcbStatus status;
};

struct QeIdentity {
  std::string id;  // "TD_QE"
  int version = 0;
  absl::Time issue_date;
  absl::Time next_update;
  uint32_t miscselect = 0;
  uint32_t miscselect_mask = 0;
  FixedBytes<16> attributes;
  FixedBytes<16> attributes_mask;
  FixedBytes<32> mr_signer;
  uint16_t isv_prod_id = 0;
  std::vector<QeLevel> levels;  // JSON order
};

absl::StatusOr<TcbInfo> ParseTcbInfo(std::string_view json);
absl::StatusOr<QeIdentity> ParseQeIdentity(std::string_view json);
// Intel's ordering: descending by sgx components (lexicographic), then pcesvn, then tdx components.
void CanonicalizeTcbLevels(std::vector<TcbLevel>& levels);

// What verification has established for one prepared collateral, and the time windows in which
// it holds (verify.cc): the collateral-side checks (root vs CRLs, TCB info and QE identity with
// their chains) and each PCK chain seen. Every check memoized is a pure function of the bytes and
// of the time, so inside its window a repeat answers the same; outside it, everything runs again.
struct VerificationMemo {
  struct Pck {
    std::shared_ptr<const CertChain> chain;
    SgxExtension ext;
    absl::Time lo;
    absl::Time hi;
  };
  static constexpr size_t kMaxPckChains = 4096;
  mutable Mutex mu;
  std::optional<std::pair<absl::Time, absl::Time>> collateral ABSL_GUARDED_BY(mu);
  absl::flat_hash_map<std::string, Pck> pck ABSL_GUARDED_BY(mu);  // SHA-256 of the chain's PEM
  void Clear() {
    MutexLock l(&mu);
    collateral.reset();
    pck.clear();
  }
};

struct PreparedCollateral {
  Collateral raw;
  TcbInfo tcb_info;
  QeIdentity qe_identity;
  CertChain tcb_chain;
  CertChain qe_chain;
  std::optional<CertChain> pck_chain;
  Crl root_ca_crl;
  Crl pck_crl;
  // [latest issue, earliest next update] over TCB info, QE identity and both CRLs.
  absl::Time window_begin;
  absl::Time window_end;
  std::unique_ptr<VerificationMemo> memo = std::make_unique<VerificationMemo>();
};

absl::StatusOr<std::shared_ptr<const PreparedCollateral>> PrepareCollateral(Collateral c);

}  // namespace chainkms::attestation
