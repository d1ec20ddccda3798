// Runs webhook deliveries through Phala Cloud's own verifier (parseWebhookEvent from
// @phala/cloud/webhook, pinned in package.json), so tests can compare chainkms's webhook
// signing and checking with it.
//
//   node tests/webhook/verify_webhook.mjs <cases.json>
//
// cases.json is an array of
//   {"secret": "<string>", "headers": {"X-Webhook-Timestamp": "<unix s>",
//    "X-Webhook-Signature": "sha256=<hex>", ...}, "body": "<raw body>", "now": <unix s> | null}.
// Each case is checked and the body parsed by parseWebhookEvent; one line per case is printed:
//   {"ok": true|false, "error": "<message>" | null, "event": "<body's event>" | null}.
//
// What the verifier does (0.2.9): key = the secret string as UTF-8, used whole (no "whsec_"
// handling, no base64); signature header = "sha256=" + lower-case hex of
// HMAC-SHA256(key, "<timestamp header as sent>.<body>"), compared byte for byte; header names
// are case-insensitive and only X-Webhook-Timestamp and X-Webhook-Signature are read; the
// timestamp must be within 300 s of the clock either way; the body must then be JSON (its
// fields are not checked). The verifier reads only Date.now(), so a numeric "now" is applied
// by pinning Date.now() to it for that one synchronous call; null uses this machine's clock.
//
// Exit 0 when every case ran, 2 when the file cannot be read.
import { readFileSync } from 'node:fs';
import { parseWebhookEvent } from '@phala/cloud/webhook';

let cases;
try {
  cases = JSON.parse(readFileSync(process.argv[2], 'utf8'));
  if (!Array.isArray(cases)) throw new Error('expected a JSON array of cases');
} catch (e) {
  process.stderr.write(`verify_webhook: ${e.message}\n`);
  process.exit(2);
}

// Calls fn with Date.now() reporting `now` (unix seconds) when it is a number.
function atTime(now, fn) {
  if (typeof now !== 'number') return fn();
  const realNow = Date.now;
  Date.now = () => now * 1000;
  try {
    return fn();
  } finally {
    Date.now = realNow;
  }
}

function check(c) {
  if (c === null || typeof c !== 'object') throw new Error('case is not an object');
  const parsed = atTime(c.now, () => parseWebhookEvent({
    headers: c.headers,
    body: c.body,
    secret: c.secret,
  }));
  const event = parsed !== null && typeof parsed === 'object' && typeof parsed.event === 'string'
    ? parsed.event : null;
  return { ok: true, error: null, event };
}

for (const c of cases) {
  let result;
  try {
    result = check(c);
  } catch (e) {
    result = { ok: false, error: String(e?.message ?? e), event: null };
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
