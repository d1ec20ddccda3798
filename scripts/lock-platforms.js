// Records the foundry binaries' other-platform packages in package-lock.json as skipped optional
// dependencies, so `npm ci` accepts the lock on every platform. Run after `npm install`.
const fs = require('fs');
const path = require('path');
const lockPath = path.join(__dirname, '..', 'package-lock.json');
const lock = JSON.parse(fs.readFileSync(lockPath, 'utf8'));
const platforms = {
  'darwin-amd64': ['darwin', 'x64'], 'darwin-arm64': ['darwin', 'arm64'],
  'linux-amd64': ['linux', 'x64'], 'linux-arm64': ['linux', 'arm64'],
  'win32-amd64': ['win32', 'x64'],
};
for (const [name, meta] of Object.entries(lock.packages)) {
  if (!meta.optionalDependencies) continue;
  for (const [dep, version] of Object.entries(meta.optionalDependencies)) {
    const key = `node_modules/${dep}`;
    if (lock.packages[key]) continue;
    const suffix = Object.keys(platforms).find((p) => dep.endsWith(p));
    if (!suffix) continue;
    const [os, cpu] = platforms[suffix];
    lock.packages[key] = { version, dev: true, optional: true, os: [os], cpu: [cpu] };
  }
}
fs.writeFileSync(lockPath, JSON.stringify(lock, null, 2) + '\n');
