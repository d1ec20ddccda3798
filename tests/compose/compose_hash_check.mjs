// Runs app-compose objects through the dstack SDK's own getComposeHash (@phala/dstack-sdk, pinned
// in package.json), so tests can compare chainkms's compose hashes with it.
//
//   node tests/compose/compose_hash_check.mjs <cases.json>
//
// cases.json is an array of {"text": "<an app-compose.json document>", "normalize": bool}. Each
// text is parsed with JSON.parse (as an app or the SDK's caller would) and hashed; one line per
// case is printed: {"hash": "<64 hex>"} or {"error": "<message>"}. Exit 0 when every case ran,
// 2 when the file cannot be read.
import { readFileSync } from 'node:fs';
import { getComposeHash } from '@phala/dstack-sdk/get-compose-hash';

let cases;
try {
  cases = JSON.parse(readFileSync(process.argv[2], 'utf8'));
} catch (e) {
  process.stderr.write(`compose_hash_check: ${e.message}\n`);
  process.exit(2);
}
for (const c of cases) {
  try {
    process.stdout.write(`${JSON.stringify({ hash: getComposeHash(JSON.parse(c.text), c.normalize) })}\n`);
  } catch (e) {
    process.stdout.write(`${JSON.stringify({ error: String(e && e.message) })}\n`);
  }
}
