// A TCP round-robin balancer for the local scale-out stack (what a Kubernetes Service's
// kube-proxy does): each new connection goes to the next backend; a backend that refuses the
// connection is skipped for that connection (the next one is tried), so a killed replica costs no
// request that has not reached it yet. Loopback only.
//   node deploy/local/lb.mjs <backend host:port> [<backend host:port>...]
// Listens on 127.0.0.1:$LB_PORT (default 0 = a free port) and prints one JSON line
// {"msg":"lb listening","port":N}; then one line per connection that no backend took.
import net from 'node:net';

const backends = process.argv.slice(2).map((hp) => {
  const i = hp.lastIndexOf(':');
  const port = Number(hp.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
    process.stderr.write(`lb: "${hp}" is not host:port\n`);
    process.exit(2);
  }
  return { host: hp.slice(0, i), port };
});
if (backends.length === 0) {
  process.stderr.write('usage: node lb.mjs <host:port>...\n');
  process.exit(2);
}
let next = 0;

function connect(client, tried) {
  if (tried === backends.length) {
    console.log(JSON.stringify({ msg: 'no backend accepted the connection' }));
    client.destroy();
    return;
  }
  const b = backends[next];
  next = (next + 1) % backends.length;
  const upstream = net.connect(b.port, b.host);
  let connected = false;
  upstream.once('connect', () => {
    connected = true;
    upstream.setNoDelay(true);
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
  });
  upstream.on('error', () => {
    if (!connected) connect(client, tried + 1);
    else client.destroy();
  });
  upstream.on('close', () => { if (connected) client.destroy(); });
}

const server = net.createServer({ pauseOnConnect: true }, (client) => {
  client.setNoDelay(true);
  client.on('error', () => {});
  client.on('close', () => {});
  connect(client, 0);
});
server.listen(Number(process.env.LB_PORT || 0), '127.0.0.1', () => {
  console.log(JSON.stringify({ msg: 'lb listening', port: server.address().port }));
});
process.on('SIGTERM', () => process.exit(0));
