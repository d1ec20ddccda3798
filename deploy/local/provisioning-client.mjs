#!/usr/bin/env node
// A Node.js client of chainkms.v1.Provisioning and chainkms.v1.Registry built from proto/ alone
// (@grpc/grpc-js + @grpc/proto-loader): runs the deploy flow and both update flows against a
// running stack and checks every answer.
//
//   node provisioning-client.mjs --provisioning HOST:PORT --registry HOST:PORT --owner 0x<40 hex>
//     [--workspace W]
//
// 1. ProvisionCvm (kms "anvil") → compose hash, device id, kms contract;
// 2. Registry.DeployApp (server-signed by --owner) with that hash and device;
// 3. CommitCvmProvision → the CVM, RUNNING; a second commit is idempotent;
// 4. PatchCvm with a new compose (EOA) → requires_on_chain_hash; Registry.AddComposeHash;
//    ConfirmCvmPatch with its tx hash → updated;
// 5. PatchCvm prepare_only → commit token + URLs + status + calldata; CommitCvmUpdate before the
//    hash is on chain → HASH_REGISTRATION_REQUIRED; Registry.AddComposeHash; CommitCvmUpdate
//    (no workspace: the token is the credential) → updated; again → HASH_INVALID_OR_EXPIRED;
// 6. another workspace sees none of it (CVM_NOT_FOUND).
// Prints one JSON line per step; exit 0 when every check held, 1 otherwise.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const protobuf = require('protobufjs');

const protoDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'proto');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0 && i + 1 < process.argv.length) return process.argv[i + 1];
  if (fallback !== undefined) return fallback;
  console.error(`provisioning-client: --${name} is required`);
  process.exit(2);
}

const def = protoLoader.loadSync(['chainkms/v1/provisioning.proto', 'chainkms/v1/registry.proto'], {
  includeDirs: [protoDir], keepCase: false, longs: String, enums: String, defaults: true,
  oneofs: true,
});
const pkg = grpc.loadPackageDefinition(def).chainkms.v1;
const provisioning = new pkg.Provisioning(arg('provisioning'), grpc.credentials.createInsecure());
const registry = new pkg.Registry(arg('registry'), grpc.credentials.createInsecure());
const owner = Buffer.from(arg('owner').replace(/^0x/, ''), 'hex');
const workspace = arg('workspace', 'ws-demo');

const errorRoot = new protobuf.Root();
errorRoot.resolvePath = (_o, t) => (t.startsWith('google/protobuf/') ? t : join(protoDir, t));
errorRoot.loadSync('chainkms/v1/error_details.proto', { keepCase: false });
function reasonOf(err) {
  const raw = err.metadata?.get('grpc-status-details-bin')?.[0];
  if (!raw) return '';
  const status = errorRoot.lookupType('chainkms.v1.Status').decode(raw);
  for (const any of status.details) {
    const url = any.typeUrl ?? any.type_url ?? '';
    if (url.endsWith('.ErrorInfo')) {
      return errorRoot.lookupType('chainkms.v1.ErrorInfo').decode(any.value).reason;
    }
  }
  return '';
}

function call(client, method, request, ws = workspace) {
  const md = new grpc.Metadata();
  if (ws) md.set('x-chainkms-workspace', ws);
  return new Promise((resolve, reject) => {
    client[method](request, md, { deadline: new Date(Date.now() + 120_000) },
                   (err, resp) => (err ? reject(err) : resolve(resp)));
  });
}
async function refused(client, method, request, reason, ws = workspace) {
  try {
    await call(client, method, request, ws);
  } catch (err) {
    assert.equal(reasonOf(err), reason, `${method}: ${err.details}`);
    return err;
  }
  assert.fail(`${method} succeeded; expected ${reason}`);
}
const hex = (b) => '0x' + Buffer.from(b).toString('hex');
const write = { wait: true, confirmations: 1, waitTimeoutSeconds: 60 };
function step(name, fields) { console.log(JSON.stringify({ step: name, ...fields })); }

async function main() {
  const compose = 'services:\n  web:\n    image: nginx:1.27\n';
  const p = await call(provisioning, 'ProvisionCvm', {
    name: 'node-demo', compose: { dockerComposeFile: compose, allowedEnvs: ['API_KEY'] },
    kms: 'anvil',
  });
  assert.equal(p.composeHash.length, 32);
  assert.equal(hex(p.composeHash), hex(createHash('sha256').update(p.appCompose).digest()),
               'compose hash = sha256(app-compose.json)');
  assert.equal(p.kms.chainId, '31337');
  assert.equal(p.kms.kmsContract.length, 20);
  step('provision', { compose_hash: hex(p.composeHash), device_id: hex(p.deviceId) });

  const deployed = await call(registry, 'DeployApp', {
    chainId: '31337', from: owner, options: write, initialComposeHash: p.composeHash,
    initialDeviceId: p.deviceId,
  });
  assert.equal(deployed.appId.length, 20, 'DeployApp returned an app id');
  step('deploy-app', { app_id: hex(deployed.appId) });

  const commit = { appId: deployed.appId, composeHash: p.composeHash,
                   encryptedEnv: Buffer.from('00'.repeat(60), 'hex'), envKeys: ['API_KEY'] };
  const c = await call(provisioning, 'CommitCvmProvision', commit);
  assert.equal(c.cvm.status, 'CVM_STATUS_RUNNING');
  assert.equal(hex(c.cvm.appId), hex(deployed.appId));
  const again = await call(provisioning, 'CommitCvmProvision', commit);
  assert.equal(again.cvm.id, c.cvm.id, 'commit is idempotent');
  const cvmId = c.cvm.id;
  step('commit-provision', { cvm_id: cvmId, status: c.cvm.status });

  // EOA update: patch → addComposeHash → confirm.
  const eoa = await call(provisioning, 'PatchCvm', {
    cvmId, compose: { dockerComposeFile: compose + '    environment: [V=2]\n', allowedEnvs: ['API_KEY'] },
  });
  assert.equal(eoa.result, 'requiresOnChainHash');
  const need = eoa.requiresOnChainHash;
  assert.equal(need.onchainStatus.composeHashAllowed, false);
  assert.equal(need.onchainStatus.deviceIdAllowed, true);
  const added = await call(registry, 'AddComposeHash', {
    chainId: '31337', from: owner, options: write, appId: deployed.appId,
    composeHash: need.composeHash,
  });
  const confirmed = await call(provisioning, 'ConfirmCvmPatch', {
    cvmId, composeHash: need.composeHash, txHash: added.transaction.txHash,
  });
  assert.equal(hex(confirmed.cvm.composeHash), hex(need.composeHash));
  step('confirm-patch', { compose_hash: hex(need.composeHash), tx_hash: hex(added.transaction.txHash) });

  // Multisig-style update: prepare-only → commit-update with the token.
  const prep = await call(provisioning, 'PatchCvm', {
    cvmId, compose: { dockerComposeFile: compose + '    environment: [V=3]\n', allowedEnvs: ['API_KEY'] },
    encryptedEnv: Buffer.from('11'.repeat(60), 'hex'), envKeys: ['API_KEY'], prepareOnly: true,
  });
  const pending = prep.requiresOnChainHash;
  assert.match(pending.commitToken, /^ckt_[0-9a-f]{64}$/);
  assert.ok(pending.apiCommitUrl.includes(`/api/v1/cvms/${cvmId}/commit-update?token=`));
  assert.equal(pending.onchainAction.method, 'addComposeHash(bytes32)');
  assert.equal(hex(pending.onchainAction.calldata).slice(0, 10), '0xdfc77223');
  const commitUpdate = { cvmId, token: pending.commitToken, alreadyRegistered: true };
  await refused(provisioning, 'CommitCvmUpdate', commitUpdate, 'HASH_REGISTRATION_REQUIRED', '');
  const approved = await call(registry, 'AddComposeHash', {
    chainId: '31337', from: owner, options: write, appId: deployed.appId,
    composeHash: pending.composeHash,
  });
  const updated = await call(provisioning, 'CommitCvmUpdate',
                             { cvmId, token: pending.commitToken, txHash: approved.transaction.txHash }, '');
  assert.equal(hex(updated.cvm.composeHash), hex(pending.composeHash));
  assert.equal(updated.cvm.revision, '3');
  await refused(provisioning, 'CommitCvmUpdate', commitUpdate, 'HASH_INVALID_OR_EXPIRED', '');
  step('commit-update', { compose_hash: hex(pending.composeHash), revision: updated.cvm.revision });

  await refused(provisioning, 'GetCvm', { cvmId }, 'CVM_NOT_FOUND', 'ws-other');
  const file = await call(provisioning, 'GetComposeFile', { cvmId });
  assert.equal(hex(createHash('sha256').update(file.appCompose).digest()), hex(pending.composeHash));
  step('scoped', { other_workspace: 'CVM_NOT_FOUND' });
}

main().then(() => process.exit(0), (err) => {
  console.error(`provisioning-client: ${err.stack ?? err}`);
  process.exit(1);
});
