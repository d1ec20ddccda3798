// lib/eth hot paths: signing and decoding EIP-1559 transactions, ABI-encoding an isAppAllowed
// call. Baselines in the same binary: raw libsecp256k1 signing (crypto_benchmark.cc) and the
// keccak of the same payload; bench/run adds ethers (Node) side by side.
#include <benchmark/benchmark.h>

#include "lib/common/hex.h"
#include "lib/crypto/keccak.h"
#include "lib/eth/abi.h"
#include "lib/eth/transaction.h"

namespace chainkms {
namespace {

const Secp256k1PrivateKey& BenchKey() {
  static const auto* key = new Secp256k1PrivateKey(*Secp256k1PrivateKey::FromBytes(
      *HexDecode("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")));
  return *key;
}

// addComposeHash(bytes32) to an app contract: the transaction chainkms sends most.
Transaction SampleTransaction() {
  Transaction tx;
  tx.type = TxType::kDynamicFee;
  tx.chain_id = 8453;
  tx.nonce = 42;
  tx.max_priority_fee_per_gas = U256(1000000000);
  tx.max_fee_per_gas = U256(30000000000ULL);
  tx.gas_limit = 100000;
  tx.to = *Address::TryFrom(*HexDecode("70997970c51812dc3a010c7d01b50e0d17dc79c8"));
  tx.data = *HexDecode("dfc772236148eabae40413a5c15aeab33343e7a219edc0cda2c2556add9a96ec76d61b11");
  return tx;
}

void BM_SignEip1559Transaction(benchmark::State& state) {
  const Transaction tx = SampleTransaction();
  for (auto _ : state) {
    auto signed_tx = SignTransaction(tx, BenchKey());
    Bytes raw = EncodeSigned(*signed_tx);
    benchmark::DoNotOptimize(raw);
  }
}
BENCHMARK(BM_SignEip1559Transaction);

Bytes SampleRaw() { return EncodeSigned(*SignTransaction(SampleTransaction(), BenchKey())); }

void BM_DecodeTransaction(benchmark::State& state) {
  const Bytes raw = SampleRaw();
  for (auto _ : state) {
    auto tx = DecodeTransaction(raw);
    benchmark::DoNotOptimize(tx);
  }
}
BENCHMARK(BM_DecodeTransaction);

void BM_DecodeTransactionAndRecoverSender(benchmark::State& state) {
  const Bytes raw = SampleRaw();
  for (auto _ : state) {
    auto tx = DecodeTransaction(raw);
    auto from = RecoverSender(*tx);
    benchmark::DoNotOptimize(from);
  }
}
BENCHMARK(BM_DecodeTransactionAndRecoverSender);

// Floor for decoding: hashing the same bytes once (every consumer computes the tx hash).
void BM_BaselineKeccakOfRawTransaction(benchmark::State& state) {
  const Bytes raw = SampleRaw();
  for (auto _ : state) benchmark::DoNotOptimize(Keccak256(raw));
}
BENCHMARK(BM_BaselineKeccakOfRawTransaction);

constexpr char kIsAppAllowed[] =
    "isAppAllowed((address,bytes32,address,bytes32,bytes32,bytes32,bytes32,string,string[]))";

std::vector<AbiValue> SampleBootInfo() {
  Hash32 h;
  h[0] = 0x61;
  Address a;
  a[19] = 0x01;
  return {AbiValue::Tuple({AbiValue::Address(a), AbiValue::FixedBytes(h.view()),
                           AbiValue::Address(a), AbiValue::FixedBytes(h.view()),
                           AbiValue::FixedBytes(h.view()), AbiValue::FixedBytes(h.view()),
                           AbiValue::FixedBytes(h.view()), AbiValue::String("UpToDate"),
                           AbiValue::Array({AbiValue::String("INTEL-SA-00837")})})};
}

void BM_AbiEncodeIsAppAllowed(benchmark::State& state) {
  const auto sig = *ParseSignature(kIsAppAllowed);
  const auto values = SampleBootInfo();
  for (auto _ : state) {
    auto call = EncodeCall(sig, values);
    benchmark::DoNotOptimize(call);
  }
}
BENCHMARK(BM_AbiEncodeIsAppAllowed);

void BM_AbiEncodeIsAppAllowedFromText(benchmark::State& state) {
  const auto values = SampleBootInfo();
  for (auto _ : state) {
    auto call = EncodeCall(kIsAppAllowed, values);
    benchmark::DoNotOptimize(call);
  }
}
BENCHMARK(BM_AbiEncodeIsAppAllowedFromText);

}  // namespace
}  // namespace chainkms
