// Checks the KMS against dstack's own client code (@phala/dstack-sdk), with no network.
//
//   node dstack_sdk_check.mjs verify '<json>'
//     json = {"app_id":"<40 hex>","public_key":"<64 hex>","signature":"<130 hex>",
//             "signature_v1":"<130 hex>","timestamp":<unix s>,"k256_public_key":"<66 hex>"}
//     (a GetAppEnvEncryptPubKey answer plus the chain's root k256 key, compressed). Runs the
//     SDK's verifyEnvEncryptPublicKeyLegacy and verifyEnvEncryptPublicKey (which also enforces
//     the timestamp window: at most 300 s old, 60 s ahead of this machine's clock) and requires
//     both to recover k256_public_key. Also requires that each signature with one byte flipped,
//     and the v1 signature under timestamp+1, do NOT recover it. Prints {"legacy":"ok","v1":"ok"}.
//
//   node dstack_sdk_check.mjs encrypt <public_key_hex>
//     Encrypts a fixed env list (unicode, multi-line value) with the SDK's encryptEnvVars for the
//     X25519 public key and prints {"encrypted":"<hex as the SDK returned it>","env":[...]}.
//     The hex is eph_pub(32) ‖ iv(12) ‖ AES-256-GCM(JSON {"env":[...]}) ‖ tag(16).
//
// Exit 0 on success, 1 with a message on stderr otherwise. Hex may carry a 0x prefix.
import {
  verifyEnvEncryptPublicKey, verifyEnvEncryptPublicKeyLegacy,
} from '@phala/dstack-sdk/verify-env-encrypt-public-key';
import { encryptEnvVars } from '@phala/dstack-sdk/encrypt-env-vars';

const ENVS = [
  { key: 'API_KEY', value: 's3cr3t' },
  { key: 'GREETING', value: 'héllo 世界' },
  { key: 'MULTI', value: 'line1\nline2' },
];

function fail(msg) {
  process.stderr.write(`dstack_sdk_check: ${msg}\n`);
  process.exit(1);
}

// Lower-case hex of exactly `bytes` bytes (0x prefix dropped), or fail naming the field.
function hexField(value, bytes, name) {
  if (typeof value !== 'string') fail(`${name}: not a string`);
  const h = value.replace(/^0x/i, '').toLowerCase();
  if (h.length !== 2 * bytes || !/^[0-9a-f]*$/.test(h)) fail(`${name}: want ${bytes} bytes of hex`);
  return h;
}

// The SDK logs to console.error when recovery throws; keep that out of expected-failure probes.
function quietly(fn) {
  const saved = console.error;
  console.error = () => {};
  try { return fn(); } finally { console.error = saved; }
}

function flipped(sig, index) {
  const out = Uint8Array.from(sig);
  out[index] ^= 0x01;
  return out;
}

function verify(json) {
  let c;
  try { c = JSON.parse(json); } catch (e) { fail(`bad json: ${e.message}`); }
  const appId = hexField(c.app_id, 20, 'app_id');
  const pub = Buffer.from(hexField(c.public_key, 32, 'public_key'), 'hex');
  const sig = Buffer.from(hexField(c.signature, 65, 'signature'), 'hex');
  const sigV1 = Buffer.from(hexField(c.signature_v1, 65, 'signature_v1'), 'hex');
  const want = '0x' + hexField(c.k256_public_key, 33, 'k256_public_key');
  if (c.timestamp === undefined || !/^[0-9]+$/.test(String(c.timestamp))) fail('timestamp: want unix seconds');
  const ts = BigInt(c.timestamp);

  // The SDK returns the recovered signer as "0x" + compressed secp256k1 hex, or null.
  const legacy = verifyEnvEncryptPublicKeyLegacy(pub, sig, appId);
  if (legacy !== want) fail(`legacy signature recovers ${legacy}, want ${want}`);
  const v1 = verifyEnvEncryptPublicKey(pub, sigV1, appId, ts);
  if (v1 !== want) {
    fail(`v1 signature recovers ${v1}, want ${want} (null: bad signature, or timestamp ${ts} ` +
      `outside [now-300s, now+60s], now=${Math.floor(Date.now() / 1000)})`);
  }

  // Negative controls: the checks above must be able to fail.
  for (const i of [5, 40]) {  // one byte of r, one of s
    if (quietly(() => verifyEnvEncryptPublicKeyLegacy(pub, flipped(sig, i), appId)) === want) {
      fail(`legacy signature with byte ${i} flipped still recovers the root key`);
    }
    if (quietly(() => verifyEnvEncryptPublicKey(pub, flipped(sigV1, i), appId, ts)) === want) {
      fail(`v1 signature with byte ${i} flipped still recovers the root key`);
    }
  }
  if (quietly(() => verifyEnvEncryptPublicKey(pub, sigV1, appId, ts + 1n)) === want) {
    fail('v1 signature still recovers the root key under timestamp+1');
  }
  if (quietly(() => verifyEnvEncryptPublicKeyLegacy(flipped(pub, 0), sig, appId)) === want) {
    fail('legacy signature still recovers the root key for another public key');
  }
  console.log(JSON.stringify({ legacy: 'ok', v1: 'ok' }));
}

async function encrypt(pubHex) {
  const pub = hexField(pubHex, 32, 'public_key');
  const encrypted = await encryptEnvVars(ENVS, pub);
  console.log(JSON.stringify({ encrypted, env: ENVS }));
}

const [cmd, arg] = process.argv.slice(2);
if (cmd === 'verify' && arg !== undefined) verify(arg);
else if (cmd === 'encrypt' && arg !== undefined) await encrypt(arg);
else fail('usage: node dstack_sdk_check.mjs verify <json> | encrypt <public_key_hex>');
