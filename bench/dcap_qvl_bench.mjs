// Baseline: full DCAP quote verification by the pure JavaScript port of dcap-qvl
// (@phala/dcap-qvl) in Node, to set against lib/attestation's verifier on the same quote.
//
//   node bench/dcap_qvl_bench.mjs <quote.bin> <collateral.json> <now unix s> <iterations>
//   e.g. node bench/dcap_qvl_bench.mjs ../shared/vectors/tdx/tdx_quote.bin \
//          ../shared/vectors/tdx/tdx_quote_collateral.json 1751624191 200
//
// The quote file is raw bytes; the collateral file has the shape of
// shared/vectors/tdx/tdx_quote_collateral.json. Both are read once; each timed operation is one
// verify(quote, collateral, now) call (quote parsing, collateral JSON parsing, every chain,
// CRL and signature check, TCB matching). The first result must verify, or the run fails. After a
// warm-up (JIT), prints {"impl":"dcap-qvl-js","iterations":N,"ns_per_op":X}.
// Exit 0 on success, 1 when verification fails, 2 on bad arguments.
import { readFileSync } from 'node:fs';
import dcap from '@phala/dcap-qvl';

function fail(code, msg) {
  process.stderr.write(`dcap_qvl_bench: ${msg}\n`);
  process.exit(code);
}

const [quotePath, collateralPath, nowArg, itersArg] = process.argv.slice(2);
if (!quotePath || !collateralPath || nowArg === undefined || itersArg === undefined) {
  fail(2, 'usage: node dcap_qvl_bench.mjs <quote.bin> <collateral.json> <now unix s> <iterations>');
}
const now = Number(nowArg);
if (!Number.isFinite(now)) fail(2, `now: not a number of unix seconds: ${nowArg}`);
const iterations = Number(itersArg);
if (!Number.isSafeInteger(iterations) || iterations < 1) {
  fail(2, `iterations: not a positive integer: ${itersArg}`);
}

let quote;
let collateral;
try {
  quote = new Uint8Array(readFileSync(quotePath));
  collateral = JSON.parse(readFileSync(collateralPath, 'utf8'));
} catch (e) {
  fail(2, e instanceof Error ? e.message : String(e));
}

function verifyOnce() {
  return dcap.verify(quote, collateral, now);
}

let first;
try {
  first = verifyOnce();
} catch (e) {
  fail(1, `verification failed: ${e instanceof Error ? e.message : String(e)}`);
}
if (typeof first.status !== 'string') fail(1, 'verification returned no status');

// Warm-up: a tenth of the run, at least 20 and at most 200 calls.
const warmup = Math.min(200, Math.max(20, Math.ceil(iterations / 10)));
let sink = 0;
for (let i = 0; i < warmup; i++) sink += verifyOnce().status.length;

const start = process.hrtime.bigint();
for (let i = 0; i < iterations; i++) sink += verifyOnce().status.length;
const elapsed = process.hrtime.bigint() - start;

if (sink === 0) fail(1, 'unreachable');
const nsPerOp = Math.round(Number(elapsed) / iterations);
console.log(JSON.stringify({ impl: 'dcap-qvl-js', iterations, ns_per_op: nsPerOp }));
