#!/usr/bin/env node
// End-to-end check of the committed artifacts on a real anvil (started here on a free loopback
// port and stopped at the end): proxies deploy and initialize, the factory deploys apps, every
// isAppAllowed / isKmsAllowed reason comes in the documented order, ownership and upgrade
// guards hold, and Multicall3 answers from the canonical address.
//   node contracts/smoke.mjs        (exit 0 and "smoke: N checks passed" on success)
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'package.json'));
const { ethers } = require('ethers');
const ANVIL = process.env.ANVIL_BIN || path.join(root, 'node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil');
const MULTICALL3 = '0xcA11bde05977b3631167028862bE2a173976CA11';

const artifact = (name) => JSON.parse(fs.readFileSync(path.join(root, 'contracts/artifacts', `${name}.json`), 'utf8'));
const App = artifact('DstackApp');
const Kms = artifact('DstackKms');
const Proxy = artifact('ERC1967Proxy');
const Multicall = artifact('Multicall3');
const appIface = new ethers.Interface(App.abi);
const kmsIface = new ethers.Interface(Kms.abi);

let checks = 0;
function check(cond, what) {
  if (!cond) throw new Error(`FAILED: ${what}`);
  ++checks;
}
const show = (v) => (typeof v === 'bigint' ? `${v}n` : JSON.stringify(v));
function eq(actual, expected, what) {
  if (actual !== expected) throw new Error(`FAILED: ${what}: got ${show(actual)}, want ${show(expected)}`);
  ++checks;
}
function sameAddr(a, b, what) {
  eq(ethers.getAddress(a), ethers.getAddress(b), what);
}

// Expects `fn()` to revert with Error(reason) or with the custom error `name`(args...).
async function expectRevert(fn, want, what) {
  try {
    await fn();
  } catch (e) {
    const data = e.data ?? e.info?.error?.data ?? e.error?.data;
    if (want.reason !== undefined) {
      eq(e.reason, want.reason, `${what}: revert reason`);
      return;
    }
    const parsed = data ? appIface.parseError(data) ?? kmsIface.parseError(data) : null;
    eq(parsed?.name, want.error, `${what}: custom error`);
    if (want.args) eq(JSON.stringify(parsed.args.map(String)), JSON.stringify(want.args.map(String)), `${what}: args`);
    return;
  }
  check(false, `${what}: expected a revert`);
}

function startAnvil() {
  return new Promise((resolve, reject) => {
    const child = spawn(ANVIL, ['--host', '127.0.0.1', '--port', '0', '--chain-id', '31337'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`anvil did not start:\n${out}`)), 15000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/Listening on (127\.0\.0\.1:\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: `http://${m[1]}` });
      }
    });
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => reject(new Error(`anvil exited with ${code}:\n${out}`)));
    child.on('error', reject);
  });
}

function bootInfo(over = {}) {
  return {
    appId: ethers.ZeroAddress,
    composeHash: ethers.ZeroHash,
    instanceId: ethers.ZeroAddress,
    deviceId: ethers.ZeroHash,
    mrAggregated: ethers.ZeroHash,
    mrSystem: ethers.ZeroHash,
    osImageHash: ethers.ZeroHash,
    tcbStatus: 'UpToDate',
    advisoryIds: [],
    ...over,
  };
}

function eventsOf(receipt, iface, address) {
  return receipt.logs
    .filter((l) => address === undefined || ethers.getAddress(l.address) === ethers.getAddress(address))
    .map((l) => {
      try {
        return iface.parseLog(l);
      } catch {
        return null;
      }
    })
    .filter(Boolean);
}

async function run(url) {
  const provider = new ethers.JsonRpcProvider(url, 31337, { staticNetwork: true, pollingInterval: 50, cacheTimeout: -1 });
  // anvil's unlocked development accounts 0 and 1.
  const owner = await provider.getSigner(0);
  const other = await provider.getSigner(1);
  const ownerAddr = await owner.getAddress();
  const otherAddr = await other.getAddress();
  const mined = async (txPromise) => (await txPromise).wait();
  const deploy = async (a, ...args) => {
    const c = await new ethers.ContractFactory(a.abi, a.bytecode, owner).deploy(...args);
    await c.waitForDeployment();
    return c;
  };

  const hash = ethers.id('compose-1');
  const device = ethers.id('device-1');
  const os = ethers.id('os-image-1');

  // Implementations are locked; the KMS proxy initializes once.
  const appImpl = await deploy(App);
  const kmsImpl = await deploy(Kms);
  await expectRevert(() => appImpl.initialize.staticCall(ownerAddr, false, false, hash, device),
    { error: 'InvalidInitialization' }, 'implementation initialize');
  const kmsProxy = await deploy(Proxy, await kmsImpl.getAddress(),
    kmsIface.encodeFunctionData('initialize', [ownerAddr, await appImpl.getAddress()]));
  const kms = new ethers.Contract(await kmsProxy.getAddress(), Kms.abi, owner);
  sameAddr(await kms.owner(), ownerAddr, 'kms owner');
  sameAddr(await kms.appImplementation(), await appImpl.getAddress(), 'kms appImplementation');
  await expectRevert(() => kms.initialize.staticCall(ownerAddr, ethers.ZeroAddress), { error: 'InvalidInitialization' },
    'kms second initialize');
  eq(await kms.supportsInterface('0x1e079198'), true, 'kms supports IAppAuth');

  // Multicall3 at the canonical address via anvil_setCode.
  await provider.send('anvil_setCode', [MULTICALL3, Multicall.deployedBytecode]);
  const mc = new ethers.Contract(MULTICALL3, Multicall.abi, provider);
  const mcIface = mc.interface;
  const [chainRes, blockRes] = await mc.aggregate3.staticCall([
    { target: MULTICALL3, allowFailure: false, callData: mcIface.encodeFunctionData('getChainId') },
    { target: MULTICALL3, allowFailure: false, callData: mcIface.encodeFunctionData('getBlockNumber') },
  ]);
  eq(chainRes.success && BigInt(chainRes.returnData), 31337n, 'multicall getChainId');
  eq(blockRes.success && BigInt(blockRes.returnData), BigInt(await provider.getBlockNumber()), 'multicall block number');

  // Factory, 6-argument form: requireTcbUpToDate = true.
  await mined(kms.addOsImageHash(os));
  const predicted = await kms.getFunction('deployAndRegisterApp(address,bool,bool,bool,bytes32,bytes32)')
    .staticCall(ownerAddr, false, true, false, device, hash);
  const receipt = await mined(kms.getFunction('deployAndRegisterApp(address,bool,bool,bool,bytes32,bytes32)')(
    ownerAddr, false, true, false, device, hash));
  const kmsEvents = eventsOf(receipt, kmsIface, await kms.getAddress());
  const deployed = kmsEvents.find((e) => e.name === 'AppDeployedViaFactory');
  check(deployed, 'AppDeployedViaFactory emitted');
  const appId = deployed.args.appId;
  sameAddr(appId, predicted, 'appId = staticCall prediction');
  sameAddr(deployed.args.deployer, ownerAddr, 'deployer');
  sameAddr(kmsEvents.find((e) => e.name === 'AppRegistered').args.appId, appId, 'AppRegistered');
  const appEvents = eventsOf(receipt, appIface, appId).map((e) => e.name);
  for (const n of ['ComposeHashAdded', 'DeviceAdded', 'RequireTcbUpToDateSet', 'PolicyChanged', 'OwnershipTransferred']) {
    check(appEvents.includes(n), `app init emitted ${n}`);
  }
  const policy = eventsOf(receipt, appIface, appId).find((e) => e.name === 'PolicyChanged');
  eq(policy.args.policy, ethers.id('compose-hash'), 'first PolicyChanged is compose-hash');
  eq(policy.args.value, hash, 'PolicyChanged value');
  eq(policy.args.enabled, true, 'PolicyChanged enabled');
  const proxyImpl = await provider.getStorage(appId, '0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc');
  sameAddr(ethers.dataSlice(proxyImpl, 12), await appImpl.getAddress(), 'app proxy implementation slot');
  eq(await kms.registeredApps(appId), true, 'app registered');

  const app = new ethers.Contract(appId, App.abi, owner);
  sameAddr(await app.owner(), ownerAddr, 'app owner');
  eq(await app.version(), 2n, 'version()');
  eq(await app.requireTcbUpToDate(), true, 'requireTcbUpToDate');
  eq(await app.allowAnyDevice(), false, 'allowAnyDevice');
  for (const [id, want] of [['0x1e079198', true], ['0x8fd37527', true], ['0x01ffc9a7', true], ['0xffffffff', false]]) {
    eq(await app.supportsInterface(id), want, `supportsInterface(${id})`);
  }

  // DstackApp.isAppAllowed: the first failing check wins.
  const good = bootInfo({ appId, composeHash: hash, deviceId: device, osImageHash: os });
  const answer = async (c, b) => {
    const [ok, reason] = await c.isAppAllowed(b);
    return `${ok}:${reason}`;
  };
  eq(await answer(app, good), 'true:', 'app allows initial hash + device');
  const bad = { composeHash: ethers.id('other'), deviceId: ethers.id('other'), tcbStatus: 'OutOfDate' };
  eq(await answer(app, { ...good, ...bad }), 'false:TCB status is not up to date', 'tcb checked first');
  eq(await answer(app, { ...good, composeHash: bad.composeHash, deviceId: bad.deviceId }),
    'false:Compose hash not allowed', 'compose hash checked second');
  eq(await answer(app, { ...good, deviceId: bad.deviceId }), 'false:Device not allowed', 'device checked third');
  eq(await answer(app, { ...good, tcbStatus: 'uptodate' }), 'false:TCB status is not up to date', 'tcb exact match');

  // DstackKms.isAppAllowed: registration, OS image, code, then the app's own answer.
  eq(await answer(kms, { ...good, appId: otherAddr }), 'false:App not registered', 'kms: unregistered');
  eq(await answer(kms, { ...good, osImageHash: ethers.id('other-os') }), 'false:OS image is not allowed', 'kms: os image');
  await mined(kms.connect(other).registerApp(otherAddr));
  eq(await answer(kms, { ...good, appId: otherAddr }), 'false:App not deployed or invalid address', 'kms: no code');
  eq(await answer(kms, good), 'true:', 'kms forwards allow');
  eq(await answer(kms, { ...good, deviceId: bad.deviceId }), 'false:Device not allowed', 'kms forwards the app reason');

  // Owner edits, with events; non-owners are refused.
  const r1 = await mined(app.setAllowAnyDevice(true));
  check(eventsOf(r1, appIface).some((e) => e.name === 'AllowAnyDeviceSet' && e.args[0] === true), 'AllowAnyDeviceSet');
  eq(await answer(app, { ...good, deviceId: bad.deviceId }), 'true:', 'any device allowed');
  await mined(app.removeComposeHash(hash));
  eq(await answer(app, good), 'false:Compose hash not allowed', 'removed hash');
  await mined(app.addComposeHash(hash));
  await expectRevert(() => app.connect(other).addComposeHash(ethers.id('x')),
    { error: 'OwnableUnauthorizedAccount', args: [otherAddr] }, 'non-owner addComposeHash');
  await expectRevert(() => kms.connect(other).addOsImageHash(ethers.id('x')),
    { error: 'OwnableUnauthorizedAccount', args: [otherAddr] }, 'non-owner addOsImageHash');

  // Prerequisites in one eth_call through Multicall3.
  const pre = await mc.aggregate3.staticCall([
    { target: appId, allowFailure: false, callData: appIface.encodeFunctionData('allowAnyDevice') },
    { target: appId, allowFailure: false, callData: appIface.encodeFunctionData('allowedDeviceIds', [device]) },
    { target: appId, allowFailure: false, callData: appIface.encodeFunctionData('allowedComposeHashes', [hash]) },
  ]);
  eq(pre.map((r) => BigInt(r.returnData)).join(','), '1,1,1', 'prerequisites via multicall');

  // Upgrades: allowed for the owner until disableUpgrades, then refused for good.
  const appImpl2 = await deploy(App);
  await expectRevert(() => app.connect(other).upgradeToAndCall(appImpl2.getAddress(), '0x'),
    { error: 'OwnableUnauthorizedAccount', args: [otherAddr] }, 'non-owner upgrade');
  const r2 = await mined(app.upgradeToAndCall(await appImpl2.getAddress(), '0x'));
  check(eventsOf(r2, appIface).some((e) => e.name === 'PolicyChanged' && e.args.policy === ethers.id('implementation-upgrade')),
    'implementation-upgrade PolicyChanged');
  const r3 = await mined(app.disableUpgrades());
  check(eventsOf(r3, appIface).some((e) => e.name === 'UpgradesDisabled'), 'UpgradesDisabled emitted');
  eq(await app.upgradesDisabled(), true, 'upgradesDisabled()');
  await expectRevert(() => app.upgradeToAndCall(appImpl.getAddress(), '0x'),
    { reason: 'Upgrades are permanently disabled' }, 'upgrade after disableUpgrades');

  // Two-step ownership.
  await mined(app.transferOwnership(otherAddr));
  sameAddr(await app.pendingOwner(), otherAddr, 'pendingOwner');
  sameAddr(await app.owner(), ownerAddr, 'owner unchanged until accepted');
  await mined(app.connect(other).acceptOwnership());
  sameAddr(await app.owner(), otherAddr, 'owner after acceptOwnership');

  // Factory, 5-argument form and its guards.
  const five = kms.getFunction('deployAndRegisterApp(address,bool,bool,bytes32,bytes32)');
  const app5Id = await five.staticCall(ownerAddr, true, false, device, hash);
  await mined(five(ownerAddr, true, false, device, hash));
  const app5 = new ethers.Contract(app5Id, App.abi, owner);
  eq(await app5.requireTcbUpToDate(), false, '5-arg: TCB not required');
  eq(await app5.upgradesDisabled(), true, '5-arg: upgrades disabled at init');
  eq(await answer(app5, { ...good, appId: app5Id, tcbStatus: 'OutOfDate' }), 'true:', '5-arg app ignores TCB');
  await expectRevert(() => five.staticCall(ethers.ZeroAddress, false, false, device, hash),
    { reason: 'Invalid owner address' }, 'factory zero owner');
  const emptyKms = await deploy(Proxy, await kmsImpl.getAddress(),
    kmsIface.encodeFunctionData('initialize', [ownerAddr, ethers.ZeroAddress]));
  await expectRevert(() => new ethers.Contract(emptyKms.target, Kms.abi, owner).getFunction(
    'deployAndRegisterApp(address,bool,bool,bytes32,bytes32)').staticCall(ownerAddr, false, false, device, hash),
  { reason: 'DstackApp implementation not set' }, 'factory without implementation');
  await expectRevert(() => new ethers.ContractFactory(Proxy.abi, Proxy.bytecode, owner).getDeployTransaction(
    appImpl.getAddress(), appIface.encodeFunctionData('initialize(address,bool,bool,bytes32,bytes32)',
      [ethers.ZeroAddress, false, false, device, hash])).then((tx) => owner.call(tx)),
  { reason: 'invalid owner address' }, 'app zero owner');

  // isKmsAllowed order, KMS info, gateway app id.
  const kmsBoot = bootInfo({ osImageHash: os, mrAggregated: ethers.id('mr'), deviceId: ethers.id('kms-dev') });
  const kmsAnswer = async (b) => {
    const [ok, reason] = await kms.isKmsAllowed(b);
    return `${ok}:${reason}`;
  };
  eq(await kmsAnswer({ ...kmsBoot, tcbStatus: 'OutOfDate', osImageHash: ethers.ZeroHash }),
    'false:TCB status is not up to date', 'kms boot: tcb first');
  eq(await kmsAnswer({ ...kmsBoot, osImageHash: ethers.ZeroHash }), 'false:OS image is not allowed', 'kms boot: os');
  eq(await kmsAnswer(kmsBoot), 'false:Aggregated MR not allowed', 'kms boot: mr');
  await mined(kms.addKmsAggregatedMr(kmsBoot.mrAggregated));
  eq(await kmsAnswer(kmsBoot), 'false:KMS is not allowed to boot on this device', 'kms boot: device');
  await mined(kms.addKmsDevice(kmsBoot.deviceId));
  eq(await kmsAnswer(kmsBoot), 'true:', 'kms boot allowed');
  const info = { k256Pubkey: '0x02' + '11'.repeat(32), caPubkey: '0x3059', quote: '0x', eventlog: '0x7b7d' };
  const r4 = await mined(kms.setKmsInfo(info));
  check(eventsOf(r4, kmsIface).some((e) => e.name === 'KmsInfoSet' && e.args[0] === info.k256Pubkey), 'KmsInfoSet');
  eq(JSON.stringify(Array.from(await kms.kmsInfo())), JSON.stringify(Object.values(info)), 'kmsInfo() round trip');
  await mined(kms.setGatewayAppId('gateway-app'));
  eq(await kms.gatewayAppId(), 'gateway-app', 'gatewayAppId()');
}

const started = Date.now();
const { child, url } = await startAnvil();
child.removeAllListeners('exit');
// Never leave anvil behind, even when ctest's timeout kills us.
process.on('exit', () => child.kill('SIGTERM'));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(1));
let failed = false;
try {
  await run(url);
  console.log(`smoke: ${checks} checks passed against anvil at ${url} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} catch (e) {
  failed = true;
  console.error(`smoke: ${e.stack || e}`);
}
// Stop anvil and wait for it, so nothing outlives the test.
await new Promise((resolve) => {
  if (child.exitCode !== null || child.signalCode !== null) return resolve();
  child.once('exit', resolve);
  child.kill('SIGTERM');
  setTimeout(() => child.kill('SIGKILL'), 3000).unref();
});
process.exit(failed ? 1 : 0);
