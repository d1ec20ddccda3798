#!/usr/bin/env node
// One gRPC call for the fault matrix, built from proto/ alone (@grpc/grpc-js + proto-loader), its
// outcome printed as one JSON line whatever it is, so the script can compare it with what the
// row expects. Bytes fields are 0x-hex both ways; field names are the proto's (snake_case).
//
//   node fault-client.mjs HOST:PORT Service Method '<json request>' [--workspace W] [--deadline-ms N]
//   node fault-client.mjs HOST:PORT kms-key '<json dev claims>' [--deadline-ms N]
//     (Kms.GetAppKey with a fresh X25519 recipient and a dev attestation binding it; the claims
//      are node_kms_client.mjs's; "released" says whether sealed keys came back)
// Prints {"ok":true,"resp":{…}} or {"ok":false,"code":"UNAVAILABLE","reason":"…","message":"…",
// "metadata":{…}}; exit 0 either way (2 on a usage error).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';

const protoDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../proto');
const files = fs.readdirSync(path.join(protoDir, 'chainkms/v1'))
  .filter((f) => f.endsWith('.proto')).map((f) => `chainkms/v1/${f}`);
const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(files, {
  includeDirs: [protoDir], keepCase: true, longs: String, enums: String, defaults: true,
  oneofs: true,
})).chainkms.v1;
const root = new protobuf.Root();
root.resolvePath = (_o, t) => (t.startsWith('google/protobuf/') ? t : path.join(protoDir, t));
root.loadSync(files, { keepCase: true });
root.resolveAll();

function usage(msg) {
  process.stderr.write(`fault-client: ${msg}\n`);
  process.exit(2);
}
function opt(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

// Request JSON → message object: 0x-hex strings in bytes fields become Buffers.
function toMessage(type, value) {
  if (value === null || typeof value !== 'object') return value;
  const out = {};
  for (const [k, v] of Object.entries(value)) {
    const field = type.fields[k];
    if (!field) usage(`${type.name} has no field ${k}`);
    const one = (x) => {
      if (field.type === 'bytes' && typeof x === 'string') return Buffer.from(x.replace(/^0x/, ''), 'hex');
      if (field.resolvedType instanceof protobuf.Type) return toMessage(field.resolvedType, x);
      return x;
    };
    out[k] = Array.isArray(v) ? v.map(one) : one(v);
  }
  return out;
}
// Response → JSON: Buffers become 0x-hex.
function toJson(value) {
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return `0x${Buffer.from(value).toString('hex')}`;
  if (Array.isArray(value)) return value.map(toJson);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJson(v)]));
  }
  return value;
}

function errorJson(err) {
  const out = { ok: false, code: grpc.status[err.code] ?? String(err.code), reason: '',
                message: err.details ?? String(err), metadata: {} };
  const raw = err.metadata?.get?.('grpc-status-details-bin')?.[0];
  if (raw) {
    try {
      for (const any of root.lookupType('chainkms.v1.Status').decode(raw).details) {
        if (any.type_url.endsWith('.ErrorInfo')) {
          const info = root.lookupType('chainkms.v1.ErrorInfo').decode(any.value);
          out.reason = info.reason;
          out.metadata = info.metadata;
        }
      }
    } catch { /* best effort */ }
  }
  if (!out.reason) out.reason = err.metadata?.get?.('chainkms-reason')?.[0] ?? '';
  return out;
}

function call(target, service, method, request, workspace, deadlineMs) {
  const client = new pkg[service](target, grpc.credentials.createInsecure());
  const md = new grpc.Metadata();
  if (workspace) md.set('x-chainkms-workspace', workspace);
  return new Promise((resolve) => {
    client[method](request, md, { deadline: Date.now() + deadlineMs }, (err, resp) => {
      client.close();
      resolve(err ? errorJson(err) : { ok: true, resp: toJson(resp) });
    });
  });
}

// Kms.GetAppKey with dev claims whose report data binds a fresh recipient key.
function keyRequest(claims) {
  const { publicKey } = crypto.generateKeyPairSync('x25519');
  const recipient = Buffer.from(publicKey.export({ format: 'jwk' }).x, 'base64url');
  const reportData = crypto.createHash('sha512')
    .update(Buffer.from('chainkms-key-request/v1:')).update(recipient).digest();
  const b = (h) => Buffer.from(String(h).replace(/^0x/, ''), 'hex');
  return {
    chain_id: String(claims.chain_id ?? 31337),
    recipient_public_key: recipient,
    dev: {
      boot_info: {
        app_id: b(claims.app_id), compose_hash: b(claims.compose_hash),
        instance_id: b(claims.instance_id), device_id: b(claims.device_id),
        mr_aggregated: b(claims.mr_aggregated), mr_system: b(claims.mr_system),
        os_image_hash: b(claims.os_image_hash), tcb_status: claims.tcb_status ?? 'UpToDate',
        advisory_ids: claims.advisory_ids ?? [],
      },
      key_provider_id: b(claims.key_provider_id),
      report_data: reportData,
    },
  };
}

const [target, service, method, body] = process.argv.slice(2);
if (!target || !service) usage('usage: fault-client.mjs HOST:PORT Service Method JSON | HOST:PORT kms-key CLAIMS');
const deadlineMs = Number(opt('deadline-ms', '30000'));
let out;
if (service === 'kms-key') {
  out = await call(target, 'Kms', 'GetAppKey', keyRequest(JSON.parse(method)), '', deadlineMs);
  if (out.ok) {
    out = { ok: true, released: (out.resp.sealed_keys ?? '0x').length > 2,
            block_number: out.resp.block_number };
  } else {
    out.released = false;
  }
} else {
  if (!pkg[service]?.service?.[method]) usage(`no method ${service}.${method}`);
  const type = root.lookupType(`chainkms.v1.${pkg[service].service[method].requestType.type.name}`);
  out = await call(target, service, method, toMessage(type, JSON.parse(body ?? '{}')),
                   opt('workspace', ''), deadlineMs);
}
console.log(JSON.stringify(out));
process.exit(0);
