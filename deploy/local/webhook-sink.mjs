// A webhook receiver for the local scale-out stack: answers every POST 200 after $SINK_DELAY_MS
// (default 300: long enough for two outbox workers to overlap) and appends one JSON line per
// delivery to the file given: {"id": X-Webhook-Id, "event": X-Webhook-Event, "cvm_id": ...}.
// Listens on 127.0.0.1, a free port; prints {"msg":"sink listening","port":N}. Loopback only.
//   node deploy/local/webhook-sink.mjs <deliveries.jsonl>
import fs from 'node:fs';
import http from 'node:http';

const out = process.argv[2];
if (!out) {
  process.stderr.write('usage: node webhook-sink.mjs <deliveries.jsonl>\n');
  process.exit(2);
}
const delay = Number(process.env.SINK_DELAY_MS || 300);
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let cvm = null;
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      cvm = body?.data?.cvm_id ?? null;
    } catch { /* recorded with cvm_id null */ }
    fs.appendFileSync(out, JSON.stringify({
      id: req.headers['x-webhook-id'] ?? null,
      event: req.headers['x-webhook-event'] ?? null,
      cvm_id: cvm,
    }) + '\n');
    setTimeout(() => { res.writeHead(200); res.end('ok'); }, delay);
  });
});
server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ msg: 'sink listening', port: server.address().port }));
});
process.on('SIGTERM', () => process.exit(0));
