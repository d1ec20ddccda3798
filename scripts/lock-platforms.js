// Records the foundry binaries' other-platform packages in package-lock.json as skipped optional
// dependencies, so `npm ci` accepts the lock on every platform. Run after `npm install`.
const fs = require('fs');
const path = require('path');
const lockPath = path.join(__dirname, '..', 'package-lock.json');
const lock = JSON.parse(fs.readFileSync(lockPath, 'utf8'));
// "<name>-<os>-<cpu>" package suffixes as the binary-shipping packages spell them.
const cpus = { amd64: 'x64', x64: 'x64', arm64: 'arm64', armv7: 'arm', arm: 'arm', ia32: 'ia32' };
const suffix = /-(darwin|linux|win32|freebsd)-(amd64|x64|arm64|armv7|arm|ia32)$/;
for (const [name, meta] of Object.entries(lock.packages)) {
  if (!meta.optionalDependencies) continue;
  for (const [dep, version] of Object.entries(meta.optionalDependencies)) {
    const key = `node_modules/${dep}`;
    if (lock.packages[key]) continue;
    const m = dep.match(suffix);
    if (!m) continue;
    lock.packages[key] = { version, dev: true, optional: true, os: [m[1]], cpu: [cpus[m[2]]] };
  }
}
fs.writeFileSync(lockPath, JSON.stringify(lock, null, 2) + '\n');
