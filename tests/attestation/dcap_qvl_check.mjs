// Runs Intel TDX/SGX DCAP quote cases through the pure JavaScript port of dcap-qvl
// (@phala/dcap-qvl) so that its verdicts can be compared with lib/attestation's.
//
//   node tests/attestation/dcap_qvl_check.mjs <cases.json>
//
// cases.json is an array of
//   {"name": "...", "quote_hex": "<hex, 0x prefix allowed>",
//    "collateral": {pck_crl_issuer_chain, root_ca_crl, pck_crl, tcb_info_issuer_chain, tcb_info,
//                   tcb_info_signature, qe_identity_issuer_chain, qe_identity,
//                   qe_identity_signature[, pck_certificate_chain]},
//    "now": <unix seconds>}
// with the collateral in the shape of shared/vectors/tdx/tdx_quote_collateral.json (CRLs and
// signatures as hex, tcb_info and qe_identity as the signed JSON text). The collateral is handed
// to the library unchanged; only quote_hex and now are checked here (a non-numeric time would
// make every one of the library's date comparisons false, i.e. pass).
//
// Prints one JSON line per case, in input order:
//   {"name":..., "ok":true|false, "status":"UpToDate"|...|null, "advisory_ids":[...],
//    "error":"<the library's Error message>"|null}
// A case never aborts the run: every exception is caught and reported as that case's error.
// Errors found by this script before the library is called start with "input: ".
// Exit 0 when every case ran; 2 when the cases file cannot be read or is not a JSON array.
import { readFileSync } from 'node:fs';
import dcap from '@phala/dcap-qvl';

function fail(msg) {
  process.stderr.write(`dcap_qvl_check: ${msg}\n`);
  process.exit(2);
}

// Bytes of a hex string (optional 0x prefix), or null when it is not whole-byte hex.
function hexBytes(value) {
  if (typeof value !== 'string') return null;
  const h = value.replace(/^0x/i, '');
  if (h.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(h)) return null;
  return Buffer.from(h, 'hex');
}

function errorMessage(e) {
  if (e instanceof Error) return e.message;
  try {
    return `non-Error thrown: ${String(e)}`;
  } catch {
    return 'non-Error thrown';
  }
}

function runCase(c, index) {
  const out = { name: `#${index}`, ok: false, status: null, advisory_ids: [], error: null };
  try {
    if (c === null || typeof c !== 'object' || Array.isArray(c)) {
      out.error = 'input: case is not an object';
      return out;
    }
    if (typeof c.name === 'string') out.name = c.name;
    const quote = hexBytes(c.quote_hex);
    if (quote === null) {
      out.error = 'input: quote_hex is not a hex string of whole bytes';
      return out;
    }
    if (typeof c.now !== 'number' || !Number.isFinite(c.now)) {
      out.error = 'input: now is not a finite number of unix seconds';
      return out;
    }
    const report = dcap.verify(quote, c.collateral, c.now);
    out.ok = true;
    out.status = typeof report.status === 'string' ? report.status : null;
    out.advisory_ids = Array.isArray(report.advisory_ids) ? [...report.advisory_ids] : [];
  } catch (e) {
    out.ok = false;
    out.status = null;
    out.advisory_ids = [];
    out.error = errorMessage(e);
  }
  return out;
}

const path = process.argv[2];
if (!path) fail('usage: node dcap_qvl_check.mjs <cases.json>');
let cases;
try {
  cases = JSON.parse(readFileSync(path, 'utf8'));
} catch (e) {
  fail(`cannot read ${path}: ${errorMessage(e)}`);
}
if (!Array.isArray(cases)) fail(`${path}: top level is not a JSON array`);

const lines = cases.map((c, i) => JSON.stringify(runCase(c, i)));
process.stdout.write(lines.length ? `${lines.join('\n')}\n` : '');
process.exitCode = 0;
