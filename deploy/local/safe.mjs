// A Safe 1.4.1 multisig on a local chain, for the walkthrough (scripts/run):
//   node deploy/local/safe.mjs deploy --rpc URL --key K --owners 0xA,0xB,0xC --threshold 2
//     deploys the Safe singleton and a SafeProxy set up with the owners; prints the Safe address.
//   node deploy/local/safe.mjs exec --rpc URL --safe S --to T --data 0x… --approvers K1,K2
//     every approver calls approveHash(safeTxHash) on chain (the owners' approvals), then the
//     first approver calls execTransaction with the pre-validated signatures; prints
//     {"approvals":[tx…],"exec":tx} as JSON. The artifacts come from @safe-global/safe-contracts.
import { readFileSync } from 'node:fs';
import { ethers } from 'ethers';

const args = Object.fromEntries(
  process.argv.slice(3).reduce((acc, v, i, all) => (i % 2 === 0 ? [...acc, [v.replace(/^--/, ''), all[i + 1]]] : acc), []),
);
const artifact = (rel) =>
  JSON.parse(readFileSync(new URL(`../../node_modules/@safe-global/safe-contracts/build/artifacts/contracts/${rel}`, import.meta.url)));
const provider = new ethers.JsonRpcProvider(args.rpc, undefined, { staticNetwork: true, polling: true, pollingInterval: 100 });

async function deploy() {
  const wallet = new ethers.NonceManager(new ethers.Wallet(args.key, provider));
  const safeArt = artifact('Safe.sol/Safe.json');
  const proxyArt = artifact('proxies/SafeProxy.sol/SafeProxy.json');
  const singleton = await new ethers.ContractFactory(safeArt.abi, safeArt.bytecode, wallet).deploy();
  await singleton.waitForDeployment();
  const proxy = await new ethers.ContractFactory(proxyArt.abi, proxyArt.bytecode, wallet).deploy(await singleton.getAddress());
  await proxy.waitForDeployment();
  const safe = new ethers.Contract(await proxy.getAddress(), safeArt.abi, wallet);
  const owners = args.owners.split(',');
  await (await safe.setup(owners, Number(args.threshold), ethers.ZeroAddress, '0x', ethers.ZeroAddress,
    ethers.ZeroAddress, 0, ethers.ZeroAddress)).wait();
  const got = await safe.getOwners();
  if (got.length !== owners.length || Number(await safe.getThreshold()) !== Number(args.threshold)) {
    throw new Error('Safe setup did not take');
  }
  console.log(await safe.getAddress());
}

async function exec() {
  const safeArt = artifact('Safe.sol/Safe.json');
  const approvers = args.approvers.split(',').map((k) => new ethers.NonceManager(new ethers.Wallet(k, provider)));
  const reader = new ethers.Contract(args.safe, safeArt.abi, provider);
  const nonce = await reader.nonce();
  const txHash = await reader.getTransactionHash(args.to, 0, args.data, 0, 0, 0, 0, ethers.ZeroAddress,
    ethers.ZeroAddress, nonce);
  const approvals = [];
  for (const w of approvers) {
    const r = await (await reader.connect(w).approveHash(txHash)).wait();
    approvals.push(r.hash);
  }
  // Pre-validated signatures (v = 1, r = owner), sorted by owner address.
  const sorted = (await Promise.all(approvers.map((w) => w.getAddress()))).map((a) => a.toLowerCase()).sort();
  const sigs = '0x' + sorted.map((a) => ethers.zeroPadValue(a, 32).slice(2) + '00'.repeat(32) + '01').join('');
  const r = await (await reader.connect(approvers[0]).execTransaction(args.to, 0, args.data, 0, 0, 0, 0,
    ethers.ZeroAddress, ethers.ZeroAddress, sigs)).wait();
  if (r.status !== 1) throw new Error(`execTransaction reverted: ${r.hash}`);
  const failed = r.logs.some((l) => l.topics[0] === ethers.id('ExecutionFailure(bytes32,uint256)'));
  if (failed) throw new Error(`the Safe's call failed: ${r.hash}`);
  console.log(JSON.stringify({ safe_tx_hash: txHash, approvals, exec: r.hash }));
}

const cmd = process.argv[2];
(cmd === 'deploy' ? deploy() : cmd === 'exec' ? exec() : Promise.reject(new Error('usage: safe.mjs deploy|exec …')))
  .then(() => provider.destroy())
  .catch((e) => {
    console.error(`safe.mjs: ${e.shortMessage ?? e.message}`);
    process.exit(1);
  });
