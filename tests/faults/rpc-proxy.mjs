#!/usr/bin/env node
// A JSON-RPC fault proxy for the fault matrix (tests/faults/fault_matrix.sh): sits in front of
// anvil on a loopback port and serves any number of routes (/<route>, e.g. /kms, /reg-a), each
// with its own fault mode, so one process can fail the kms's endpoint while the registry's works.
// Node built-ins only.
//
//   node rpc-proxy.mjs --upstream http://127.0.0.1:8545 [--alt-upstream http://127.0.0.1:8546]
//   → prints {"msg":"rpc proxy listening","port":N} once listening.
//
// Control (loopback, same port):
//   POST /control/<route>  {"mode":"down"}       set a route's mode (held requests are re-handled)
//   POST /control/<route>  {"mode":"lag","head":N}
//   GET  /control                               {"<route>":{"mode","head","requests","held"},…}
// Modes:
//   pass         forward to --upstream
//   down         the connection is closed without an answer (a node that crashed mid-request)
//   429          HTTP 429 Too Many Requests with Retry-After (a public endpoint's rate limit)
//   garbage      HTTP 200 with a body that is not JSON (a maintenance page behind a balancer)
//   null         every call answered {"result": null}
//   wrong-chain  forward to --alt-upstream (an endpoint configured for another network)
//   lag          a node stuck at block `head`: block tags (latest, pending, safe, finalized) are
//                pinned to it, eth_blockNumber says it, and blocks, transactions and receipts
//                past it are unknown (null)
//   hold         requests wait until the mode changes (to catch a service mid-flow)
import http from 'node:http';

function arg(name) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : undefined;
}
const upstream = arg('upstream');
const altUpstream = arg('alt-upstream');
if (!upstream) {
  process.stderr.write('usage: rpc-proxy.mjs --upstream URL [--alt-upstream URL]\n');
  process.exit(2);
}
const MODES = new Set(['pass', 'down', '429', 'garbage', 'null', 'wrong-chain', 'lag', 'hold']);
const routes = new Map();  // name → {mode, head, requests, held: [resume functions]}
function route(name) {
  if (!routes.has(name)) routes.set(name, { mode: 'pass', head: 0, requests: 0, held: [] });
  return routes.get(name);
}

function post(url, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST', headers: { 'content-type': 'application/json' }, timeout: 30_000,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('upstream timeout')));
    req.end(body);
  });
}
async function upstreamCall(url, one) {
  const r = await post(url, JSON.stringify(one));
  return JSON.parse(r.body.toString());
}

const TAGS = new Set(['latest', 'pending', 'safe', 'finalized']);
const hex = (n) => `0x${n.toString(16)}`;
const beyond = (x, head) => x && x.blockNumber && BigInt(x.blockNumber) > BigInt(head);

// One JSON-RPC call as a node whose head is stuck at `head` answers it.
async function lagged(one, head) {
  const reply = (result) => ({ jsonrpc: '2.0', id: one.id ?? null, result });
  const params = Array.isArray(one.params)
    ? one.params.map((p) => (typeof p === 'string' && TAGS.has(p) ? hex(head) : p)) : one.params;
  if (one.method === 'eth_blockNumber') return reply(hex(head));
  if (one.method === 'eth_getBlockByNumber' && /^0x/.test(params?.[0] ?? '') &&
      BigInt(params[0]) > BigInt(head)) {
    return reply(null);
  }
  if (one.method === 'eth_getLogs' && params?.[0]?.toBlock !== undefined) {
    params[0] = { ...params[0], toBlock: hex(head) };
  }
  const r = await upstreamCall(upstream, { ...one, params });
  if (['eth_getTransactionReceipt', 'eth_getTransactionByHash', 'eth_getBlockByHash']
    .includes(one.method) && beyond(r.result, head)) {
    return reply(null);
  }
  return r;
}

async function forEachCall(body, fn) {
  let parsed;
  try { parsed = JSON.parse(body.toString()); } catch { return { status: 400, body: 'bad json' }; }
  const answers = await Promise.all((Array.isArray(parsed) ? parsed : [parsed]).map(fn));
  return { status: 200, body: JSON.stringify(Array.isArray(parsed) ? answers : answers[0]) };
}

async function serve(name, body, res) {
  const r = route(name);
  switch (r.mode) {
    case 'hold':
      await new Promise((resume) => r.held.push(resume));
      return serve(name, body, res);
    case 'down':
      res.socket.destroy();
      return;
    case '429':
      res.writeHead(429, { 'retry-after': '1', 'content-type': 'text/plain' });
      res.end('Too Many Requests');
      return;
    case 'garbage':
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('<html><body>502 Bad Gateway: upstream maintenance</body></html>');
      return;
    default:
      break;
  }
  let out;
  try {
    if (r.mode === 'null') {
      out = await forEachCall(body, async (one) => ({ jsonrpc: '2.0', id: one.id ?? null, result: null }));
    } else if (r.mode === 'lag') {
      out = await forEachCall(body, (one) => lagged(one, r.head));
    } else {
      const target = r.mode === 'wrong-chain' ? altUpstream : upstream;
      if (!target) throw new Error('no --alt-upstream for wrong-chain');
      out = await post(target, body);
    }
  } catch (e) {
    out = { status: 502, body: `proxy: ${e.message}` };
  }
  res.writeHead(out.status, { 'content-type': 'application/json' });
  res.end(out.body);
}

function control(req, res, body) {
  const name = req.url.slice('/control/'.length);
  if (req.method === 'GET' && req.url === '/control') {
    const all = {};
    for (const [n, r] of routes) {
      all[n] = { mode: r.mode, head: r.head, requests: r.requests, held: r.held.length };
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(all));
    return;
  }
  let want;
  try { want = JSON.parse(body.toString()); } catch { want = {}; }
  if (req.method !== 'POST' || !name || !MODES.has(want.mode)) {
    res.writeHead(400);
    res.end(`want POST /control/<route> {"mode": one of ${[...MODES].join(', ')}}`);
    return;
  }
  const r = route(name);
  r.mode = want.mode;
  r.head = Number(want.head ?? 0);
  const held = r.held.splice(0);
  for (const resume of held) resume();
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ route: name, mode: r.mode, head: r.head, released: held.length }));
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    if (req.url.startsWith('/control')) return control(req, res, body);
    const name = req.url.replace(/^\/+/, '').split(/[/?]/)[0] || 'default';
    route(name).requests += 1;
    serve(name, body, res).catch((e) => {
      if (!res.headersSent) res.writeHead(502);
      res.end(`proxy: ${e.message}`);
    });
  });
});
server.keepAliveTimeout = 1000;
server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ msg: 'rpc proxy listening', port: server.address().port }));
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
