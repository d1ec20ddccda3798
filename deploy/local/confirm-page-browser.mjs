#!/usr/bin/env node
// The Confirm Update page in a real browser: headless Chromium from Debian driven over WebDriver
// (chromedriver, plain HTTP; no extra package). Against a running gateway with a committed CVM in
// the workspace of --key:
//   1. a prepare-only patch (the @phala/cloud SDK) gives the commit URL;
//   2. the page shows the pending compose hash, app, chain, "Compose hash NOT registered" and the
//      addComposeHash(bytes32) calldata; Confirm now is refused (465);
//   3. the owner registers the hash on chain; reloaded, the page says "Compose hash registered";
//      Confirm → "Updated", and the CVM runs the new hash.
//   node confirm-page-browser.mjs --api http://127.0.0.1:PORT/api/v1 --key K --rpc URL
//     --private-key 0x…
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { addComposeHash, createClient, patchCvm } from '@phala/cloud';
import { id as keccakId } from 'ethers';

function arg(name) {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0 || i + 1 >= process.argv.length) {
    console.error(`confirm-page-browser: --${name} is required`);
    process.exit(2);
  }
  return process.argv[i + 1];
}
const api = arg('api');
const rpcUrl = arg('rpc');
const privateKey = arg('private-key');
const client = createClient({ baseURL: api, apiKey: arg('key') });
const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const CHROMEDRIVER = process.env.CHROMEDRIVER_BIN || '/usr/bin/chromedriver';

async function until(what, fn, ms = 15000) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what} (last: ${last})`);
}
function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// The CVM and a prepare-only update of it.
const list = await client.get('/cvms');
const cvm = list.items[0];
assert.ok(cvm, 'a committed CVM exists');
const prepared = await patchCvm(client, {
  id: cvm.id, docker_compose_file: 'services:\n  web:\n    image: nginx:browser\n', prepareOnly: true,
});
assert.equal(prepared.requiresOnChainHash, true);
const chain = prepared.kmsInfo.chain;
const calldata = keccakId('addComposeHash(bytes32)').slice(0, 10) + prepared.composeHash.slice(2);

// chromedriver (its own PID, stopped at the end).
let driver;
let base;
for (let attempt = 0; attempt < 5 && !base; attempt++) {
  const port = await freePort();
  driver = spawn(CHROMEDRIVER, [`--port=${port}`], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  try {
    await until('chromedriver', async () => (await fetch(`${url}/status`)).ok, 10000);
    base = url;
  } catch {
    driver.kill('SIGTERM');
  }
}
assert.ok(base, 'chromedriver started');
async function wd(method, path, body) {
  const r = await fetch(`${base}${path}`, {
    method, headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const j = await r.json();
  if (!r.ok) throw new Error(`webdriver ${method} ${path}: ${JSON.stringify(j.value)}`);
  return j.value;
}
let session;
try {
  session = (await wd('POST', '/session', {
    capabilities: { alwaysMatch: { browserName: 'chrome', 'goog:chromeOptions': {
      binary: CHROMIUM, args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    } } },
  })).sessionId;
  const s = `/session/${session}`;
  const find = async (css) => Object.values(await wd('POST', `${s}/element`, { using: 'css selector', value: css }))[0];
  const text = async (css) => wd('GET', `${s}/element/${await find(css)}/text`);
  const click = async (css) => wd('POST', `${s}/element/${await find(css)}/click`, {});

  // Before the hash is on chain.
  await wd('POST', `${s}/url`, { url: prepared.commitUrl });
  assert.equal(await text('#compose-hash'), prepared.composeHash);
  assert.equal((await text('#app-id')).toLowerCase(), `0x${String(prepared.appId).replace(/^0x/, '')}`.toLowerCase());
  assert.match(await text('#chain'), /\(ID: 31337\)/);
  assert.match(await text('#onchain-status'), /Compose hash NOT registered/);
  assert.equal(await text('#calldata'), calldata);
  await click('#confirm-button');
  const refused = await until('the refusal', async () => {
    const t = await text('#result');
    return t.startsWith('Refused') ? t : null;
  });
  assert.match(refused, /Refused \(465\)/);
  console.log(JSON.stringify({ step: 'page before registration', refused }));

  // The owner registers the hash; the page shows it and the commit goes through.
  await addComposeHash({ chain, rpcUrl, privateKey, appId: prepared.appId, composeHash: prepared.composeHash });
  await wd('POST', `${s}/url`, { url: prepared.commitUrl });
  assert.match(await text('#onchain-status'), /Compose hash registered/);
  await click('#confirm-button');
  const updated = await until('the update', async () => {
    const t = await text('#result');
    return t.startsWith('Updated') ? t : null;
  });
  assert.ok(updated.includes(prepared.composeHash));
  const info = await client.getCvmInfo({ id: cvm.id });
  assert.equal(info.compose_hash, prepared.composeHash);
  // The token is spent: the page says so and offers no Confirm.
  await wd('POST', `${s}/url`, { url: prepared.commitUrl });
  assert.match(await text('#state'), /already applied/);
  console.log(JSON.stringify({ step: 'page after registration', updated }));
} finally {
  if (session) await wd('DELETE', `/session/${session}`).catch(() => {});
  driver.kill('SIGTERM');
}
