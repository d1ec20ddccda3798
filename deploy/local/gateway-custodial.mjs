#!/usr/bin/env node
// chainkms.v1.Gateway's custodial flows through the gateway's gRPC port, from a client built from
// proto/ alone (@grpc/grpc-js + @grpc/proto-loader), against a running stack on anvil:
//   DeployCvm (provision → DeployApp signed by the registry's key → commit) reports its steps and
//   the deploy transaction; calling it again with the same flow_id resumes (no second app);
//   UpdateCvm (patch → addComposeHash → confirm) updates the CVM with one transaction;
//   an UpdateCvm whose hash the owner already registered (an interrupted run) sends no
//   transaction and commits it as already registered;
//   workspace B, not listed in --custodial-signers, is refused (PERMISSION_DENIED).
//   node gateway-custodial.mjs --gateway HOST:PORT --key-a K --key-b K --owner 0x<40 hex>
//     --rpc URL --private-key 0x…   (the owner's key, for the out-of-band cast send)
//     [--registry-metrics http://HOST:PORT/metrics]  (then DeployCvm's chain JSON-RPC calls are
//     counted from the registry's chainkms_chain_rpc_latency_seconds_count, by method)
// Prints one JSON line per check (with the round trips and wall time); exit 0 when all held.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const protoDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'proto');
function arg(name) {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0 || i + 1 >= process.argv.length) {
    console.error(`gateway-custodial: --${name} is required`);
    process.exit(2);
  }
  return process.argv[i + 1];
}
const def = protoLoader.loadSync(['chainkms/v1/gateway.proto', 'chainkms/v1/provisioning.proto'], {
  includeDirs: [protoDir], keepCase: false, longs: String, enums: String, defaults: true, oneofs: true,
});
const pkg = grpc.loadPackageDefinition(def).chainkms.v1;
const target = arg('gateway');
const flows = new pkg.Gateway(target, grpc.credentials.createInsecure());
const provisioning = new pkg.Provisioning(target, grpc.credentials.createInsecure());
const owner = Buffer.from(arg('owner').replace(/^0x/, ''), 'hex');
function call(client, method, request, key) {
  const md = new grpc.Metadata();
  md.set('x-api-key', key);
  return new Promise((resolve, reject) => {
    client[method](request, md, { deadline: new Date(Date.now() + 120_000) },
                   (err, resp) => (err ? reject(err) : resolve(resp)));
  });
}
const hex = (b) => `0x${Buffer.from(b).toString('hex')}`;
const compose = (tag) => ({ dockerComposeFile: `services:\n  app:\n    image: busybox:${tag}\n`, allowedEnvs: ['TOKEN'] });

function optArg(name) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : '';
}
// Chain JSON-RPC calls the registry made so far, by method.
async function chainCalls() {
  const url = optArg('registry-metrics');
  if (!url) return null;
  const text = await (await fetch(url)).text();
  const out = {};
  for (const m of text.matchAll(/^chainkms_chain_rpc_latency_seconds_count\{([^}]*)\} (\S+)$/gm)) {
    const method = /method="([^"]+)"/.exec(m[1])?.[1] ?? '?';
    out[method] = (out[method] ?? 0) + Number(m[2]);
  }
  return out;
}
function delta(after, before) {
  if (!after) return undefined;
  const d = {};
  for (const [k, v] of Object.entries(after)) if (v - (before[k] ?? 0) > 0) d[k] = v - (before[k] ?? 0);
  return d;
}

const callsBefore = await chainCalls();
const t0 = Date.now();
const deployed = await call(flows, 'DeployCvm', {
  name: 'custodial-app', compose: compose('1'), kms: 'anvil', owner, flowId: 'e2e-deploy-1',
}, arg('key-a'));
const deployMs = Date.now() - t0;
const chainRoundTrips = delta(await chainCalls(), callsBefore);
assert.deepEqual(deployed.steps.map((s) => `${s.name}:${s.outcome}`),
                 ['provision:done', 'deploy_app:done', 'commit:done']);
assert.equal(deployed.steps[1].txHash.length, 32);
assert.equal(deployed.cvm.status, 'CVM_STATUS_RUNNING');
console.log(JSON.stringify({ step: 'DeployCvm', cvm_id: deployed.cvm.id, app_id: hex(deployed.cvm.appId),
                             deploy_tx: hex(deployed.steps[1].txHash), wall_ms: deployMs,
                             chain_rpc_calls: chainRoundTrips }));

const resumed = await call(flows, 'DeployCvm', {
  name: 'custodial-app', compose: compose('1'), kms: 'anvil', owner, flowId: 'e2e-deploy-1',
}, arg('key-a'));
assert.equal(resumed.cvm.id, deployed.cvm.id, 'a resumed deploy commits the same CVM');
assert.equal(hex(resumed.steps[1].txHash), hex(deployed.steps[1].txHash), 'no second deploy transaction');
console.log(JSON.stringify({ step: 'DeployCvm resumed', same_cvm: true, same_tx: true }));

const t1 = Date.now();
const updated = await call(flows, 'UpdateCvm', {
  cvmId: deployed.cvm.id, compose: compose('2'), owner, flowId: 'e2e-update-1',
}, arg('key-a'));
assert.deepEqual(updated.steps.map((s) => `${s.name}:${s.outcome}`),
                 ['patch:done', 'add_compose_hash:done', 'confirm:done']);
assert.notEqual(hex(updated.cvm.composeHash), hex(deployed.cvm.composeHash));
const got = await call(provisioning, 'GetCvm', { cvmId: deployed.cvm.id }, arg('key-a'));
assert.equal(hex(got.cvm.composeHash), hex(updated.cvm.composeHash));
console.log(JSON.stringify({ step: 'UpdateCvm', compose_hash: hex(updated.cvm.composeHash),
                             add_tx: hex(updated.steps[1].txHash), wall_ms: Date.now() - t1 }));

// Resume after the chain step: the owner registers the next hash out of band (cast), then
// UpdateCvm finds it allowed and commits without a transaction.
const pending = await call(provisioning, 'PatchCvm', { cvmId: deployed.cvm.id, compose: compose('3') }, arg('key-a'));
const nextHash = hex(pending.requiresOnChainHash.composeHash);
const cast = join(dirname(require.resolve('@foundry-rs/cast-linux-amd64/package.json')), 'bin', 'cast');
execFileSync(cast, ['send', '--private-key', arg('private-key'), '--rpc-url', arg('rpc'),
                    hex(deployed.cvm.appId), 'addComposeHash(bytes32)', nextHash], { stdio: 'ignore' });
const resumedUpdate = await call(flows, 'UpdateCvm', {
  cvmId: deployed.cvm.id, compose: compose('3'), owner, flowId: 'e2e-update-2',
}, arg('key-a'));
assert.deepEqual(resumedUpdate.steps.map((s) => `${s.name}:${s.outcome}`),
                 ['patch:done', 'add_compose_hash:skipped', 'confirm:done']);
assert.equal(hex(resumedUpdate.cvm.composeHash), nextHash);
console.log(JSON.stringify({ step: 'UpdateCvm resumed (hash already on chain)', compose_hash: nextHash }));

await assert.rejects(call(flows, 'DeployCvm', {
  name: 'intruder', compose: compose('9'), kms: 'anvil', owner, flowId: 'b-1',
}, arg('key-b')), (err) => err.code === grpc.status.PERMISSION_DENIED);
await assert.rejects(call(flows, 'UpdateCvm', {
  cvmId: deployed.cvm.id, compose: compose('9'), owner, flowId: 'b-2',
}, arg('key-b')), (err) => err.code === grpc.status.PERMISSION_DENIED);
console.log(JSON.stringify({ step: 'custodial flows refused to workspace B', ok: true }));
