// Baseline: the same operations as bench/eth_benchmark.cc, done by ethers v6 in Node.
// Prints one JSON object {name: ns_per_op}. Usage: node bench/baseline/ethers_bench.mjs
import { Wallet, Transaction, Interface, SigningKey } from 'ethers';

const key = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
const wallet = new Wallet(key);
const signingKey = new SigningKey(key);
const txFields = {
  type: 2, chainId: 8453, nonce: 42, maxPriorityFeePerGas: 1000000000n,
  maxFeePerGas: 30000000000n, gasLimit: 100000n, to: '0x70997970c51812dc3a010c7d01b50e0d17dc79c8',
  value: 0n, data: '0xdfc772236148eabae40413a5c15aeab33343e7a219edc0cda2c2556add9a96ec76d61b11',
};
const h = '0x61' + '00'.repeat(31);
const a = '0x' + '00'.repeat(19) + '01';
const iface = new Interface([
  'function isAppAllowed((address,bytes32,address,bytes32,bytes32,bytes32,bytes32,string,string[]))',
]);
const bootInfo = [a, h, a, h, h, h, h, 'UpToDate', ['INTEL-SA-00837']];

function measure(fn, minMs = 400) {
  for (let i = 0; i < 200; i++) fn();  // warm-up (JIT)
  let n = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0n;
  while (elapsed < BigInt(minMs) * 1000000n) {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
    elapsed = process.hrtime.bigint() - start;
  }
  return Number(elapsed) / n;
}

const unsigned = Transaction.from(txFields);
const raw = (() => { const t = Transaction.from(txFields); t.signature = signingKey.sign(t.unsignedHash); return t.serialized; })();
const out = {
  SignEip1559Transaction: measure(() => {
    const t = Transaction.from(txFields);
    t.signature = signingKey.sign(t.unsignedHash);
    return t.serialized;
  }),
  DecodeTransaction: measure(() => Transaction.from(raw).nonce),
  DecodeTransactionAndRecoverSender: measure(() => Transaction.from(raw).from),
  AbiEncodeIsAppAllowed: measure(() => iface.encodeFunctionData('isAppAllowed', [bootInfo])),
};
void unsigned; void wallet;
console.log(JSON.stringify(out));
