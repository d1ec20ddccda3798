// Proof that another language needs nothing but proto/: load the API with @grpc/proto-loader
// from that folder alone (well-known google/protobuf types come with every protobuf runtime),
// build a client class with @grpc/grpc-js, and check every Registry RPC and its streaming flags.
// Usage: node node_client_load_test.mjs <repo>/proto
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

const here = path.dirname(fileURLToPath(import.meta.url));
const protoDir = path.resolve(process.argv[2] ?? path.join(here, '../../proto'));
const files = fs.readdirSync(path.join(protoDir, 'chainkms/v1'))
  .filter((f) => f.endsWith('.proto'))
  .map((f) => `chainkms/v1/${f}`);
assert.ok(files.includes('chainkms/v1/registry.proto'), 'registry.proto present');

const def = protoLoader.loadSync(files, {
  includeDirs: [protoDir],
  keepCase: true, longs: String, enums: String, defaults: true, oneofs: true,
});
const pkg = grpc.loadPackageDefinition(def);
const Registry = pkg.chainkms.v1.Registry;
assert.equal(typeof Registry, 'function', 'chainkms.v1.Registry is a service client class');

const unary = [
  'DeployApp', 'AddComposeHash', 'RemoveComposeHash', 'AddDevice', 'RemoveDevice',
  'SetAllowAnyDevice', 'SetRequireTcbUpToDate', 'DisableUpgrades', 'TransferOwnership',
  'AcceptOwnership', 'GetApp', 'CheckPrerequisites', 'IsAppAllowed', 'CheckDeviceAllowed',
  'VerifyComposeHashTransaction', 'PrepareTransaction', 'SubmitSignedTransaction',
  'GetTransaction',
  // KMS administration.
  'RegisterApp', 'AddOsImageHash', 'RemoveOsImageHash', 'AddKmsAggregatedMr',
  'RemoveKmsAggregatedMr', 'AddKmsDevice', 'RemoveKmsDevice', 'SetKmsInfo',
  'SetAppImplementation', 'SetGatewayAppId', 'GetKmsInfo', 'CheckKmsAllowlists', 'IsKmsAllowed',
];
const serverStreaming = ['WatchPolicyEvents'];
const service = Registry.service;
for (const name of unary) {
  const m = service[name];
  assert.ok(m, `Registry.${name} exists`);
  assert.equal(m.path, `/chainkms.v1.Registry/${name}`);
  assert.equal(m.requestStream, false, `${name} request not streamed`);
  assert.equal(m.responseStream, false, `${name} response not streamed`);
  assert.equal(m.requestType.type.name, `${name}Request`);
  assert.equal(m.responseType.type.name, `${name}Response`);
}
for (const name of serverStreaming) {
  const m = service[name];
  assert.ok(m, `Registry.${name} exists`);
  assert.equal(m.requestStream, false, `${name} request not streamed`);
  assert.equal(m.responseStream, true, `${name} is a server stream`);
}
assert.equal(Object.keys(service).length, unary.length + serverStreaming.length,
  `no unlisted RPCs: ${Object.keys(service).join(', ')}`);

// Every request names its chain.
for (const name of [...unary, ...serverStreaming]) {
  const fields = service[name].requestType.type.field.map((f) => f.name);
  assert.ok(fields.includes('chain_id'), `${name}Request has chain_id`);
}

// Messages round-trip as a Node client would send them (bytes as Buffer).
const req = service.AddComposeHash.requestSerialize({
  chain_id: '31337', from: Buffer.alloc(20, 1), options: { confirmations: 2, wait: true },
  app_id: Buffer.alloc(20, 2), compose_hash: Buffer.alloc(32, 3),
});
const back = service.AddComposeHash.requestDeserialize(req);
assert.equal(back.chain_id, '31337');
assert.deepEqual(back.compose_hash, Buffer.alloc(32, 3));
assert.equal(back.options.wait, true);

// The error model's types and the enums clients switch on are there.
assert.ok(pkg.chainkms.v1.ErrorInfo, 'ErrorInfo');
assert.ok(pkg.chainkms.v1.Status, 'Status');
const reasons = pkg.chainkms.v1.ErrorReason.type.value.map((v) => v.name);
for (const r of ['INVALID_FIELD', 'NOT_OWNER', 'EXECUTION_REVERTED', 'CHAIN_UNAVAILABLE',
  'UNKNOWN_CHAIN', 'HASH_NOT_ALLOWED']) {
  assert.ok(reasons.includes(`ERROR_REASON_${r}`), `ErrorReason ${r}`);
}
const states = pkg.chainkms.v1.TransactionState.type.value.map((v) => v.name);
for (const s of ['PENDING', 'CONFIRMED', 'FAILED', 'REPLACED', 'DROPPED']) {
  assert.ok(states.includes(`TRANSACTION_STATE_${s}`), `TransactionState ${s}`);
}

// A client object can be constructed (no connection is made until a call).
const client = new Registry('127.0.0.1:1', grpc.credentials.createInsecure());
assert.equal(typeof client.CheckPrerequisites, 'function');
assert.equal(typeof client.WatchPolicyEvents, 'function');
client.close();
console.log(`ok: chainkms.v1.Registry with ${Object.keys(service).length} RPCs loaded from ${protoDir}`);
