#!/usr/bin/env node
// The real @phala/cloud SDK (pinned in package.json) against chainkms-gateway's HTTP API on a
// local anvil, unchanged: only its baseURL and API key point here, and its on-chain helpers get the
// anvil chain object the SDK itself attaches to kms_info (chain_id 31337) plus --rpc.
//
//   node gateway-sdk.mjs --api http://127.0.0.1:PORT/api/v1 --key-a K --key-b K --rpc URL
//     --private-key 0x… --k256 0x<33-byte compressed root key>
//
// 1. getKmsList; provisionCvm → deployAppAuth (hash + device in the deploy) →
//    getAppEnvEncryptPubKey (signature verified against the root k256 key) → encryptEnvVars →
//    commitCvmProvision (again: idempotent) → getCvmInfo;
// 2. patchCvm (new compose) → requiresOnChainHash → addComposeHash → confirmCvmPatch;
// 3. patchCvm prepareOnly → commit token/URLs, status NOT registered → commitCvmUpdate too early
//    refused → addComposeHash (the owner approves) → commitCvmUpdate without an API key → updated;
//    the token again → 466;
// 4. devices: addDevice → checkDeviceAllowed, setAllowAnyDevice → getAppDeviceAllowlist,
//    checkCvmIsAllowed, checkOnChainPrerequisites;
// 5. workspace B's key cannot read, patch or commit workspace A's CVM.
// checkOnChainPrerequisites reads through viem's multicall, which needs Multicall3 on the chain:
// viem's anvil chain has none, so the script deploys viem's own Multicall3 bytecode on anvil and
// hands the SDK the chain with `contracts.multicall3` set. That is the one adaptation; the SDK
// itself runs unpatched.
// Prints one line per step; exit 0 when every check held.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  addComposeHash, addDevice, checkCvmIsAllowed, checkDeviceAllowed, checkOnChainPrerequisites,
  commitCvmUpdate, confirmCvmPatch, createClient, deployAppAuth, encryptEnvVars,
  getAppDeviceAllowlist, patchCvm, setAllowAnyDevice, verifyEnvEncryptPublicKey,
} from '@phala/cloud';

function arg(name) {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0 || i + 1 >= process.argv.length) {
    console.error(`gateway-sdk: --${name} is required`);
    process.exit(2);
  }
  return process.argv[i + 1];
}
const api = arg('api');
const rpcUrl = arg('rpc');
const privateKey = arg('private-key');
const k256 = arg('k256').toLowerCase();
const a = createClient({ baseURL: api, apiKey: arg('key-a') });
const b = createClient({ baseURL: api, apiKey: arg('key-b') });
const anon = createClient({ baseURL: api, apiKey: '' });
const step = (name, extra = {}) => console.log(JSON.stringify({ step: name, ...extra }));
const hexBytes = (h) => Uint8Array.from(Buffer.from(h.replace(/^0x/, ''), 'hex'));
async function status(promise) {
  try {
    await promise;
  } catch (err) {
    return err.status ?? err.statusCode ?? err.response?.status ?? -1;
  }
  return 200;
}

const compose = (tag) => ({
  name: 'sdk-app',
  docker_compose_file: `services:\n  web:\n    image: nginx:${tag}\n`,
  allowed_envs: ['API_KEY'],
  kms_enabled: true,
  public_logs: true,
  public_sysinfo: true,
});

// 1. Deploy.
const kmsList = await a.getKmsList();
assert.equal(kmsList.items.length, 1);
const kmsSlug = kmsList.items[0].slug;
const provision = await a.provisionCvm({ name: 'sdk-app', compose_file: compose('1'), kms_id: kmsSlug });
assert.match(provision.compose_hash, /^0x[0-9a-f]{64}$/);
const chain = provision.kms_info.chain;
assert.equal(chain?.id, 31337, 'the SDK attaches the anvil chain for chain_id 31337');
step('provisionCvm', { compose_hash: provision.compose_hash, device_id: provision.device_id });

const deployed = await deployAppAuth({
  chain, rpcUrl, privateKey, kmsContractAddress: provision.kms_info.kms_contract_address,
  deviceId: provision.device_id, composeHash: provision.compose_hash,
});
const appId = deployed.appId;
step('deployAppAuth', { app_id: appId, tx: deployed.transactionHash ?? deployed.txHash });

const pub = await a.getAppEnvEncryptPubKey({ kms: kmsSlug, app_id: appId });
const signer = verifyEnvEncryptPublicKey(hexBytes(pub.public_key), hexBytes(pub.signature), appId);
assert.equal(String(signer).toLowerCase(), k256, 'the env key is signed by the root k256 key');
const encrypted = await encryptEnvVars([{ key: 'API_KEY', value: 'sdk-secret' }], pub.public_key);
step('getAppEnvEncryptPubKey', { signer });

const commit = {
  app_id: appId.replace(/^0x/, ''), compose_hash: provision.compose_hash, encrypted_env: encrypted,
  env_keys: ['API_KEY'], kms_id: kmsSlug, contract_address: deployed.appAuthAddress,
  deployer_address: deployed.deployer,
};
const cvm = await a.commitCvmProvision(commit);
const again = await a.commitCvmProvision(commit);
assert.equal(again.cvm_id, cvm.cvm_id, 'commit is idempotent');
const id = cvm.cvm_id;
let info = await a.getCvmInfo({ id });
assert.equal(info.compose_hash, provision.compose_hash);
const composeFile = await a.getCvmComposeFile({ id });
assert.match(composeFile.docker_compose_file, /nginx:1/);
step('commitCvmProvision', { cvm_id: id, status: info.status });

// 2. Single owner update: patch → addComposeHash → confirm.
const patched = await patchCvm(a, { id, docker_compose_file: compose('2').docker_compose_file });
assert.equal(patched.requiresOnChainHash, true);
assert.equal(patched.deviceId, provision.device_id);
const added = await addComposeHash({ chain, rpcUrl, privateKey, appId, composeHash: patched.composeHash });
const confirmed = await confirmCvmPatch(a, { id, composeHash: patched.composeHash, transactionHash: added.transactionHash });
assert.equal(typeof confirmed.correlationId, 'string');
info = await a.getCvmInfo({ id });
assert.equal(info.compose_hash, patched.composeHash);
step('patchCvm → addComposeHash → confirmCvmPatch', { compose_hash: info.compose_hash });

// 3. Multisig-style: prepare-only, the owner approves later, commit with the token.
const prepared = await patchCvm(a, { id, docker_compose_file: compose('3').docker_compose_file, prepareOnly: true });
assert.equal(prepared.requiresOnChainHash, true);
assert.match(prepared.commitToken, /^ckt_[0-9a-f]{64}$/);
assert.ok(prepared.apiCommitUrl.startsWith(`${api}/cvms/${id}/commit-update?token=`));
assert.equal(prepared.onchainStatus.compose_hash_allowed, false);
const early = await status(commitCvmUpdate(anon, {
  id, token: prepared.commitToken, composeHash: prepared.composeHash, transactionHash: 'already-registered',
}));
assert.equal(early, 465, 'committing before the hash is on chain is refused');
const approved = await addComposeHash({ chain, rpcUrl, privateKey, appId, composeHash: prepared.composeHash });
const committed = await commitCvmUpdate(anon, {
  id, token: prepared.commitToken, composeHash: prepared.composeHash, transactionHash: approved.transactionHash,
});
assert.equal(typeof committed.status, 'string');
info = await a.getCvmInfo({ id });
assert.equal(info.compose_hash, prepared.composeHash);
const reused = await status(commitCvmUpdate(anon, {
  id, token: prepared.commitToken, composeHash: prepared.composeHash, transactionHash: approved.transactionHash,
}));
assert.equal(reused, 466, 'a used token is HASH_INVALID_OR_EXPIRED');
step('prepareOnly → addComposeHash → commitCvmUpdate', { compose_hash: info.compose_hash });

// 4. Devices (Multicall3 first, for checkOnChainPrerequisites; see the file comment).
async function rpc(method, params) {
  const r = await fetch(rpcUrl, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const j = await r.json();
  if (j.error) throw new Error(`${method}: ${j.error.message}`);
  return j.result;
}
const viemDir = dirname(createRequire(import.meta.url).resolve('viem/package.json'));
const { multicall3Bytecode } = await import(pathToFileURL(join(viemDir, '_esm/constants/contracts.js')));
const [from] = await rpc('eth_accounts', []);
const deployTx = await rpc('eth_sendTransaction', [{ from, data: multicall3Bytecode }]);
let receipt = null;
for (let i = 0; i < 100 && !receipt; i++) {
  receipt = await rpc('eth_getTransactionReceipt', [deployTx]);
  if (!receipt) await new Promise((r) => setTimeout(r, 50));
}
assert.ok(receipt?.contractAddress, 'Multicall3 deployed');
const chainMc = { ...chain, contracts: { ...chain.contracts, multicall3: { address: receipt.contractAddress } } };

const other = `0x${'d2'.repeat(32)}`;
await addDevice({ chain, rpcUrl, privateKey, appAddress: appId, deviceId: other });
assert.equal(await checkDeviceAllowed({ chain, rpcUrl, appAddress: appId, deviceId: other }), true);
let allowlist = await getAppDeviceAllowlist(a, { appId });
assert.equal(allowlist.allow_any_device, false);
assert.ok(allowlist.devices.some((d) => d.device_id === provision.device_id.replace(/^0x/, '') && d.allowed_onchain));
await setAllowAnyDevice({ chain, rpcUrl, privateKey, appAddress: appId, allow: true });
allowlist = await getAppDeviceAllowlist(a, { appId });
assert.equal(allowlist.allow_any_device, true);
const allowed = await checkCvmIsAllowed(a, { cvmId: id });
assert.equal(allowed.is_allowed, true);
const prereq = await checkOnChainPrerequisites({
  chain: chainMc, rpcUrl, appAddress: appId, deviceId: provision.device_id, composeHash: prepared.composeHash,
});
assert.deepEqual(prereq, { allowAnyDevice: true, deviceAllowed: true, composeHashAllowed: true });
step('devices', { allow_any_device: true });

// 5. Tenancy: workspace B sees nothing of A.
assert.equal(await status(b.getCvmInfo({ id })), 404);
assert.equal(await status(patchCvm(b, { id, docker_compose_file: compose('4').docker_compose_file })), 404);
const p2 = await patchCvm(a, { id, docker_compose_file: compose('5').docker_compose_file, prepareOnly: true });
assert.equal(await status(commitCvmUpdate(b, {
  id, token: p2.commitToken, composeHash: p2.composeHash, transactionHash: 'already-registered',
})), 466, "B's key cannot commit A's token");
assert.equal(await status(anon.getCvmInfo({ id })), 401);
step('tenancy', { ok: true });
