#!/usr/bin/env node
// A minimal chainkms.v1.Registry client in Node.js: @grpc/grpc-js + @grpc/proto-loader, loading
// nothing but proto/ (the proof that other languages need only the .proto files).
//   node deploy/local/registry-client.mjs deploy-app --addr HOST:PORT --chain-id N --from 0x..
//        --compose-hash 0x.. --device-id 0x..                       → prints the new app id
//   node deploy/local/registry-client.mjs check-prerequisites --addr HOST:PORT --chain-id N
//        --app 0x.. --hash 0x.. [--hash 0x..] --device 0x.. [--device 0x..] → prints JSON
//   node deploy/local/registry-client.mjs get-app --addr HOST:PORT --chain-id N --app 0x..
//                                                                    → prints JSON
// bytes fields are raw bytes on the wire (Buffer here); this client speaks 0x hex on its CLI.
// On a gRPC error it prints the code, message and ErrorInfo reason (if any) and exits 1.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const protoDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'proto');

function usage(msg) {
  if (msg) console.error(`registry-client: ${msg}`);
  console.error('usage: registry-client.mjs deploy-app|check-prerequisites|get-app --addr HOST:PORT ' +
                '--chain-id N [...] (see the header of this file)');
  process.exit(2);
}

// --name value pairs; repeated names collect into arrays.
function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) usage(`unexpected argument ${a}`);
    let name = a.slice(2);
    let value;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    } else {
      if (i + 1 >= argv.length) usage(`--${name} needs a value`);
      value = argv[++i];
    }
    (out[name] ??= []).push(value);
  }
  return out;
}

function one(args, name) {
  const v = args[name];
  if (!v || v.length !== 1) usage(`exactly one --${name} is required`);
  return v[0];
}

function many(args, name) {
  return args[name] ?? [];
}

function hexToBytes(hex, name) {
  const h = hex.startsWith('0x') || hex.startsWith('0X') ? hex.slice(2) : hex;
  if (h.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(h)) usage(`--${name}: "${hex}" is not hex`);
  return Buffer.from(h, 'hex');
}

function bytesToHex(b) {
  return '0x' + Buffer.from(b ?? []).toString('hex');
}

// Every bytes field of a decoded message as 0x hex (recursively), for printing.
function hexify(v) {
  if (Buffer.isBuffer(v)) return bytesToHex(v);
  if (Array.isArray(v)) return v.map(hexify);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, hexify(x)]));
  }
  return v;
}

function loadRegistry() {
  const def = protoLoader.loadSync('chainkms/v1/registry.proto', {
    includeDirs: [protoDir],
    keepCase: false,  // chain_id → chainId
    longs: String,    // uint64 as decimal strings
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const pkg = grpc.loadPackageDefinition(def);
  return pkg.chainkms.v1.Registry;
}

// The ErrorInfo reason of a failed call: grpc-status-details-bin carries a google.rpc.Status,
// which chainkms.v1.Status in proto/chainkms/v1/error_details.proto is wire-compatible with.
// Decoded with protobufjs (what @grpc/proto-loader itself is built on).
function errorInfoReason(err) {
  try {
    const raw = err.metadata?.get('grpc-status-details-bin')?.[0];
    if (!raw) return '';
    const protobuf = require('protobufjs');
    const root = new protobuf.Root();
    root.resolvePath = (_origin, target) =>
      target.startsWith('google/protobuf/') ? target : join(protoDir, target);
    root.loadSync('chainkms/v1/error_details.proto', { keepCase: false });
    const status = root.lookupType('chainkms.v1.Status').decode(raw);
    const ErrorInfo = root.lookupType('chainkms.v1.ErrorInfo');
    for (const any of status.details) {
      const typeUrl = any.typeUrl ?? any.type_url ?? '';  // google/protobuf/any.proto keeps case
      if (typeUrl.endsWith('.ErrorInfo')) return ErrorInfo.decode(any.value).reason;
    }
  } catch {
    // Best effort: the code and message are printed anyway.
  }
  return '';
}

function call(client, method, request) {
  return new Promise((resolve, reject) => {
    const deadline = new Date(Date.now() + 120_000);
    client[method](request, { deadline }, (err, resp) => (err ? reject(err) : resolve(resp)));
  });
}

async function main() {
  const [cmd, ...rest] = process.argv.slice(2);
  if (!cmd || cmd === '--help' || cmd === '-h') usage();
  const args = parseArgs(rest);
  const Registry = loadRegistry();
  const client = new Registry(one(args, 'addr'), grpc.credentials.createInsecure());
  const chainId = one(args, 'chain-id');
  try {
    switch (cmd) {
      case 'deploy-app': {
        const req = {
          chainId,
          from: hexToBytes(one(args, 'from'), 'from'),
          options: { wait: true, confirmations: 1, waitTimeoutSeconds: 60 },
        };
        if (args['compose-hash']) req.initialComposeHash = hexToBytes(one(args, 'compose-hash'), 'compose-hash');
        if (args['device-id']) req.initialDeviceId = hexToBytes(one(args, 'device-id'), 'device-id');
        const resp = await call(client, 'DeployApp', req);
        if (!resp.appId || resp.appId.length === 0) {
          console.error('registry-client: DeployApp returned no app id; transaction:',
                        JSON.stringify(hexify(resp.transaction)));
          process.exit(1);
        }
        console.log(bytesToHex(resp.appId));
        break;
      }
      case 'check-prerequisites': {
        const resp = await call(client, 'CheckPrerequisites', {
          chainId,
          appId: hexToBytes(one(args, 'app'), 'app'),
          composeHashes: many(args, 'hash').map((h) => hexToBytes(h, 'hash')),
          deviceIds: many(args, 'device').map((d) => hexToBytes(d, 'device')),
        });
        console.log(JSON.stringify(hexify(resp)));
        break;
      }
      case 'get-app': {
        const resp = await call(client, 'GetApp', { chainId, appId: hexToBytes(one(args, 'app'), 'app') });
        console.log(JSON.stringify(hexify(resp)));
        break;
      }
      default:
        usage(`unknown subcommand ${cmd}`);
    }
  } catch (err) {
    const reason = errorInfoReason(err);
    console.error(`registry-client: ${cmd}: ${grpc.status[err.code] ?? err.code}: ${err.details ?? err.message}` +
                  (reason ? ` (reason ${reason})` : ''));
    process.exitCode = 1;
  } finally {
    client.close();
  }
}

main();
