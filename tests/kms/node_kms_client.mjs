// A Node client of chainkms.v1.Kms built from proto/ alone: fetches an app's env-encrypt public
// key, asks for the app's keys with a dev attestation, unseals them and checks them.
//
//   node node_kms_client.mjs <host:port> <chain_id> '<json-dev-claims>'
//     json-dev-claims = {"app_id":"hex40","compose_hash":"hex64","instance_id":"hex40",
//       "device_id":"hex64","mr_aggregated":"hex64","mr_system":"hex64","os_image_hash":"hex64",
//       "tcb_status":"UpToDate","advisory_ids":[],"key_provider_id":"hex"}
//
// Steps: GetAppEnvEncryptPubKey (public_key 32 bytes, signatures 65); a fresh X25519 recipient
// key; GetAppKey with DevAttestation{boot_info, key_provider_id,
// report_data = SHA-512("chainkms-key-request/v1:" ‖ recipient_pub)}; unseal sealed_keys =
// kms_eph_pub(32) ‖ nonce(12) ‖ AES-256-GCM ciphertext ‖ tag(16) with key = HKDF-SHA256(
// X25519(recipient, kms_eph_pub), salt "chainkms-sealed-keys/v1", info recipient_pub ‖ kms_eph_pub)
// and AAD = app_id(20) ‖ u64_be(chain_id); decode chainkms.v1.AppKeys and check it.
// Prints {"env_public_key":hex,"k256_key_public":hex,"block_number":"..","dev":true}; exit 0.
// Any failure: a message on stderr (with the ErrorInfo reason for gRPC errors), exit 1.
// Insecure (plaintext) channel: local test servers only.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import { SigningKey, hexlify } from 'ethers';

const protoDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../proto');

function fail(msg) {
  process.stderr.write(`node_kms_client: ${msg}\n`);
  process.exit(1);
}
function check(ok, msg) { if (!ok) fail(msg); }

// Raw bytes of a hex string (0x optional); `bytes` = required length, or undefined for any.
function hexBytes(value, name, bytes) {
  check(typeof value === 'string', `${name}: not a string`);
  const h = value.replace(/^0x/i, '');
  check(h.length % 2 === 0 && /^[0-9a-fA-F]*$/.test(h), `${name}: not hex`);
  const b = Buffer.from(h, 'hex');
  check(bytes === undefined || b.length === bytes, `${name}: ${b.length} bytes, want ${bytes}`);
  return b;
}

// X25519 public key (32 raw bytes) of a KeyObject, or of a raw 32-byte private key.
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const X25519_SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');
function x25519Public(keyObject) {
  const pub = keyObject.type === 'public' ? keyObject : crypto.createPublicKey(keyObject);
  return Buffer.from(pub.export({ format: 'jwk' }).x, 'base64url');
}
function x25519PrivateFromRaw(raw) {
  return crypto.createPrivateKey({
    key: Buffer.concat([X25519_PKCS8_PREFIX, raw]), format: 'der', type: 'pkcs8',
  });
}

// Opens sealed_keys (layout above); returns the plaintext or throws.
export function unsealKeys(sealed, recipientPrivate, recipientPub, appId, chainId) {
  if (sealed.length < 32 + 12 + 16) throw new Error(`sealed_keys too short (${sealed.length} bytes)`);
  const kmsEphPub = sealed.subarray(0, 32);
  const nonce = sealed.subarray(32, 44);
  const ciphertext = sealed.subarray(44, sealed.length - 16);
  const tag = sealed.subarray(sealed.length - 16);
  const ikm = crypto.diffieHellman({
    privateKey: recipientPrivate,
    publicKey: crypto.createPublicKey({
      key: Buffer.concat([X25519_SPKI_PREFIX, kmsEphPub]), format: 'der', type: 'spki',
    }),
  });
  const key = Buffer.from(crypto.hkdfSync('sha256', ikm, Buffer.from('chainkms-sealed-keys/v1'),
    Buffer.concat([recipientPub, kmsEphPub]), 32));
  const aad = Buffer.alloc(28);
  Buffer.from(appId).copy(aad, 0);
  aad.writeBigUInt64BE(BigInt(chainId), 20);
  const d = crypto.createDecipheriv('aes-256-gcm', key, nonce);
  d.setAAD(aad);
  d.setAuthTag(tag);
  return Buffer.concat([d.update(ciphertext), d.final()]);
}

function loadProtos() {
  const files = fs.readdirSync(path.join(protoDir, 'chainkms/v1'))
    .filter((f) => f.endsWith('.proto')).map((f) => `chainkms/v1/${f}`);
  const def = protoLoader.loadSync(files, {
    includeDirs: [protoDir], keepCase: true, longs: String, defaults: true, oneofs: true,
  });
  const Kms = grpc.loadPackageDefinition(def).chainkms.v1.Kms;
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => path.join(protoDir, target);
  root.loadSync(['chainkms/v1/kms.proto', 'chainkms/v1/error_details.proto'], { keepCase: true });
  return { Kms, root };
}

// "code details [reason {metadata}]" from a gRPC error, using the grpc-status-details-bin trailer.
function describeError(err, root) {
  let text = `${grpc.status[err.code] ?? err.code}: ${err.details}`;
  try {
    const bin = err.metadata?.get('grpc-status-details-bin')?.[0];
    if (bin) {
      const ErrorInfo = root.lookupType('chainkms.v1.ErrorInfo');
      for (const any of root.lookupType('chainkms.v1.Status').decode(bin).details) {
        // chainkms sends type.googleapis.com/google.rpc.ErrorInfo (wire-compatible mirror).
        if (any.type_url.endsWith('.ErrorInfo')) {
          const info = ErrorInfo.decode(any.value);
          text += ` [${info.reason} ${JSON.stringify(info.metadata)}]`;
        }
      }
    }
  } catch { /* details are best effort */ }
  const reason = err.metadata?.get('chainkms-reason')?.[0];
  if (reason && !text.includes(`[${reason} `)) text += ` [${reason}]`;
  return text;
}

function call(client, method, request, root) {
  return new Promise((resolve) => {
    client[method](request, { deadline: Date.now() + 30_000 }, (err, resp) => {
      if (err) fail(`${method}: ${describeError(err, root)}`);
      resolve(resp);
    });
  });
}

async function main() {
  const [target, chainIdArg, claimsJson] = process.argv.slice(2);
  check(target && chainIdArg && claimsJson,
    "usage: node node_kms_client.mjs <host:port> <chain_id> '<json-dev-claims>'");
  check(/^[0-9]+$/.test(chainIdArg), 'chain_id: want a decimal integer');
  const chainId = BigInt(chainIdArg).toString();
  let c;
  try { c = JSON.parse(claimsJson); } catch (e) { fail(`claims: bad json: ${e.message}`); }
  const appId = hexBytes(c.app_id, 'app_id', 20);
  // Other sizes are the server's to enforce (and to reject); only their hex form is checked here.
  const bootInfo = {
    app_id: appId,
    compose_hash: hexBytes(c.compose_hash, 'compose_hash'),
    instance_id: hexBytes(c.instance_id, 'instance_id'),
    device_id: hexBytes(c.device_id, 'device_id'),
    mr_aggregated: hexBytes(c.mr_aggregated, 'mr_aggregated'),
    mr_system: hexBytes(c.mr_system, 'mr_system'),
    os_image_hash: hexBytes(c.os_image_hash, 'os_image_hash'),
    tcb_status: String(c.tcb_status ?? ''),
    advisory_ids: (c.advisory_ids ?? []).map(String),
  };
  const keyProviderId = hexBytes(c.key_provider_id, 'key_provider_id');

  const { Kms, root } = loadProtos();
  const client = new Kms(target, grpc.credentials.createInsecure());

  const env = await call(client, 'GetAppEnvEncryptPubKey', { chain_id: chainId, app_id: appId }, root);
  check(env.public_key.length === 32, `public_key: ${env.public_key.length} bytes, want 32`);
  check(env.signature.length === 65, `signature: ${env.signature.length} bytes, want 65`);
  check(env.signature_v1.length === 65, `signature_v1: ${env.signature_v1.length} bytes, want 65`);

  const { privateKey: recipientPrivate, publicKey } = crypto.generateKeyPairSync('x25519');
  const recipientPub = x25519Public(publicKey);
  const reportData = crypto.createHash('sha512')
    .update(Buffer.from('chainkms-key-request/v1:')).update(recipientPub).digest();
  const resp = await call(client, 'GetAppKey', {
    chain_id: chainId,
    recipient_public_key: recipientPub,
    dev: { boot_info: bootInfo, key_provider_id: keyProviderId, report_data: reportData },
  }, root);
  client.close();
  check(resp.dev === true, 'GetAppKey: dev is not true for a dev attestation');
  check(Buffer.from(resp.app_id).equals(appId), 'GetAppKey: app_id differs from the request');
  check(resp.chain_id === chainId, `GetAppKey: chain_id ${resp.chain_id}, want ${chainId}`);

  let plain;
  try {
    plain = unsealKeys(resp.sealed_keys, recipientPrivate, recipientPub, appId, chainId);
  } catch (e) { fail(`sealed_keys do not open: ${e.message}`); }
  let keys;
  try { keys = root.lookupType('chainkms.v1.AppKeys').decode(plain); } catch (e) {
    fail(`sealed_keys plaintext is not AppKeys: ${e.message}`);
  }
  const len = (b) => (b ? b.length : 0);
  check(len(keys.env_crypt_key) === 32, `env_crypt_key: ${len(keys.env_crypt_key)} bytes, want 32`);
  const envPub = x25519Public(x25519PrivateFromRaw(Buffer.from(keys.env_crypt_key)));
  check(envPub.equals(Buffer.from(env.public_key)),
    `env_crypt_key's public key ${envPub.toString('hex')} != GetAppEnvEncryptPubKey ` +
    `${Buffer.from(env.public_key).toString('hex')}`);
  check(len(keys.k256_key) === 32, `k256_key: ${len(keys.k256_key)} bytes, want 32`);
  check(len(keys.disk_crypt_key) === 32, `disk_crypt_key: ${len(keys.disk_crypt_key)} bytes, want 32`);
  check(len(keys.k256_signature) === 65, `k256_signature: ${len(keys.k256_signature)} bytes, want 65`);
  check(len(keys.ca_cert) > 0, 'ca_cert is empty');
  const k256Public = new SigningKey(hexlify(keys.k256_key)).compressedPublicKey.slice(2);

  console.log(JSON.stringify({
    env_public_key: envPub.toString('hex'),
    k256_key_public: k256Public,
    block_number: resp.block_number,
    dev: resp.dev,
  }));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try { await main(); } catch (e) { fail(e.stack ?? String(e)); }
}
