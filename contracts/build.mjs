#!/usr/bin/env node
// Compiles contracts/src with solcjs 0.8.24 and writes contracts/artifacts/<Contract>.json, each
// exactly {contractName, abi, bytecode, deployedBytecode}. The output is byte-identical from one
// run to the next (no metadata hash in the bytecode, repo-relative source names), which is what
// check-artifacts.sh relies on.
//   node contracts/build.mjs [--out DIR]
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SOLC_VERSION = '0.8.24';
const EVM_VERSION = 'shanghai'; // Ethereum and Base both run it; anvil 1.7.1 accepts it.
// Contract name → the source that defines it.
const OUTPUTS = {
  DstackApp: 'contracts/src/DstackApp.sol',
  DstackKms: 'contracts/src/DstackKms.sol',
  Multicall3: 'contracts/src/Multicall3.sol',
  ERC1967Proxy: '@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol',
};

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const nodeModules = path.join(root, 'node_modules');

function parseArgs(argv) {
  let out = path.join(root, 'contracts', 'artifacts');
  for (let i = 0; i < argv.length; ++i) {
    if (argv[i] === '--out' && i + 1 < argv.length) {
      out = path.resolve(argv[++i]);
    } else if (argv[i] === '-h' || argv[i] === '--help') {
      console.log('usage: node contracts/build.mjs [--out DIR]');
      process.exit(0);
    } else {
      console.error(`build.mjs: unknown argument ${argv[i]}\nusage: node contracts/build.mjs [--out DIR]`);
      process.exit(2);
    }
  }
  return out;
}

// Source names are repo-relative ("contracts/src/…") or npm package paths ("@openzeppelin/…");
// never absolute, so nothing about this checkout leaks into the output.
function readSource(name) {
  const file = name.startsWith('@') ? path.join(nodeModules, name) : path.join(root, name);
  if (!file.startsWith(root + path.sep)) throw new Error(`source outside the repository: ${name}`);
  return fs.readFileSync(file, 'utf8');
}

function main() {
  const outDir = parseArgs(process.argv.slice(2));
  const require = createRequire(path.join(root, 'package.json'));
  const solc = require('solc');
  const version = solc.version();
  if (!version.startsWith(SOLC_VERSION + '+')) {
    throw new Error(`need solc ${SOLC_VERSION}, node_modules has ${version}`);
  }

  const sources = {};
  for (const name of fs.readdirSync(path.join(root, 'contracts', 'src')).sort()) {
    if (name.endsWith('.sol')) sources[`contracts/src/${name}`] = { content: readSource(`contracts/src/${name}`) };
  }
  sources[OUTPUTS.ERC1967Proxy] = { content: readSource(OUTPUTS.ERC1967Proxy) };

  const input = {
    language: 'Solidity',
    sources,
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: EVM_VERSION,
      metadata: { bytecodeHash: 'none', appendCBOR: true },
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.bytecode.linkReferences',
        'evm.deployedBytecode.object'] } },
    },
  };
  const findImports = (name) => {
    try {
      return { contents: readSource(name) };
    } catch (e) {
      return { error: `cannot import ${name}: ${e.message}` };
    }
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));

  const errors = (output.errors || []).filter((e) => e.severity === 'error');
  for (const e of output.errors || []) console.error(e.formattedMessage.trimEnd());
  if (errors.length > 0) throw new Error(`${errors.length} compilation error(s)`);

  fs.mkdirSync(outDir, { recursive: true });
  for (const [contractName, source] of Object.entries(OUTPUTS)) {
    const c = output.contracts?.[source]?.[contractName];
    if (!c) throw new Error(`${contractName} not found in ${source}`);
    if (Object.keys(c.evm.bytecode.linkReferences || {}).length > 0) {
      throw new Error(`${contractName} needs library linking, which the artifacts do not support`);
    }
    const artifact = {
      contractName,
      abi: c.abi,
      bytecode: '0x' + c.evm.bytecode.object,
      deployedBytecode: '0x' + c.evm.deployedBytecode.object,
    };
    const runtimeSize = c.evm.deployedBytecode.object.length / 2;
    if (runtimeSize > 24576) throw new Error(`${contractName} runtime is ${runtimeSize} bytes, over EIP-170`);
    fs.writeFileSync(path.join(outDir, `${contractName}.json`), JSON.stringify(artifact, null, 2) + '\n');
    console.log(`${contractName}: ${runtimeSize} bytes runtime, ${c.abi.length} ABI entries`);
  }
  console.log(`solc ${version}, optimizer 200 runs, evm ${EVM_VERSION} → ${path.relative(process.cwd(), outDir) || '.'}`);
}

try {
  main();
} catch (e) {
  console.error(`build.mjs: ${e.message}`);
  process.exit(1);
}
