// Strict parsing of an Intel TDX DCAP quote (ATTESTATION.md §1): header, TD report 1.0 / 1.5,
// auth data v4, certification data type 6 (QE report, its signature, QE auth data) wrapping the
// type 5 PEM certificate chain. Pure: no I/O, no clock, no verification (that is verify.h's job).
//
//   ASSIGN_OR_RETURN(TdxQuote q, ParseTdxQuote(bytes));
//   q.report.report_data; q.qe_report; q.pck_chain_pem; q.signed_bytes (header ‖ body)
//
// Every length is checked before it is read and nothing is read past the end. Refused, with
// PERMISSION_DENIED / ATTESTATION_REJECTED and a detail naming the field: a version other than 4
// or 5, an attestation key type other than 2 (ECDSA-256-with-P-256), a TEE type other than TDX
// (0x81), a v5 body type other than TD 1.0 / 1.5 or a body size that disagrees with it, a
// certification data type other than 6 outside or 5 inside (types 2 and 3 need a PCCS), any length
// that overruns its container or exceeds 1 MiB, and bytes after the auth data other than zero
// padding (real quotes arrive zero-padded; dcap-qvl ignores whatever follows).
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "lib/common/bytes.h"

namespace chainkms::attestation {

inline constexpr uint16_t kQuoteV4 = 4;
inline constexpr uint16_t kQuoteV5 = 5;
inline constexpr uint32_t kTeeTypeTdx = 0x81;
inline constexpr size_t kMaxVariableField = 1 << 20;

struct QuoteHeader {
  uint16_t version = 0;
  uint16_t attestation_key_type = 0;
  uint32_t tee_type = 0;
  uint16_t qe_svn = 0;
  uint16_t pce_svn = 0;
  FixedBytes<16> qe_vendor_id;
  FixedBytes<20> user_data;
};

// TD report 1.0 (584 bytes) and, for TD 1.5, the two fields it appends (648 bytes).
struct TdReport {
  bool td15 = false;
  FixedBytes<16> tee_tcb_svn;
  FixedBytes<48> mr_seam;
  FixedBytes<48> mr_signer_seam;
  FixedBytes<8> seam_attributes;
  FixedBytes<8> td_attributes;
  FixedBytes<8> xfam;
  FixedBytes<48> mr_td;
  FixedBytes<48> mr_config_id;
  FixedBytes<48> mr_owner;
  FixedBytes<48> mr_owner_config;
  FixedBytes<48> rtmr0;
  FixedBytes<48> rtmr1;
  FixedBytes<48> rtmr2;
  FixedBytes<48> rtmr3;
  FixedBytes<64> report_data;
  FixedBytes<16> tee_tcb_svn2;   // TD 1.5 only
  FixedBytes<48> mr_service_td;  // TD 1.5 only
};

// An SGX EnclaveReport (the QE's report), 384 bytes.
struct EnclaveReport {
  FixedBytes<16> cpu_svn;
  uint32_t misc_select = 0;
  FixedBytes<16> attributes;
  FixedBytes<32> mr_enclave;
  FixedBytes<32> mr_signer;
  uint16_t isv_prod_id = 0;
  uint16_t isv_svn = 0;
  FixedBytes<64> report_data;
};

struct TdxQuote {
  QuoteHeader header;
  uint16_t body_type = 0;  // v5: 2 TD 1.0, 3 TD 1.5; v4: 0
  TdReport report;
  Bytes signed_bytes;        // header ‖ (v5 body descriptor ‖) report: what `signature` covers
  FixedBytes<64> signature;  // ECDSA r ‖ s by the attestation key
  FixedBytes<64> attestation_key;  // P-256 X ‖ Y
  EnclaveReport qe_report;
  Bytes qe_report_bytes;               // the 384 bytes the QE report signature covers
  FixedBytes<64> qe_report_signature;  // by the PCK key
  Bytes qe_auth_data;
  std::string pck_chain_pem;  // PCK leaf, intermediate CA, root
};

absl::StatusOr<TdxQuote> ParseTdxQuote(ByteView quote);

}  // namespace chainkms::attestation
