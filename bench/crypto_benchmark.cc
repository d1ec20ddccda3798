// Crypto hot paths against their fastest direct baselines (names prefixed Baseline):
// Keccak-256 vs OpenSSL's assembly SHA3-256 (same permutation, same rate), and our
// secp256k1 wrappers vs bare libsecp256k1 calls.
//
//   chainkms_bench --benchmark_filter='Keccak|Sha3' --benchmark_min_time=0.2
#include <openssl/evp.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include <cstdlib>

#include <benchmark/benchmark.h>

#include "lib/crypto/keccak.h"
#include "lib/crypto/secp256k1.h"

namespace chainkms {
namespace {

Bytes Input(size_t n) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * 131 + 7);
  return b;
}

void BM_Keccak256(benchmark::State& state) {
  const Bytes data = Input(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    Hash32 h = Keccak256(data);
    benchmark::DoNotOptimize(h);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_Keccak256)->Arg(32)->Arg(1024);

// The fastest fair use of OpenSSL: the algorithm fetched once and the context reused, so only
// init/update/final are timed.
void BM_BaselineOpenSslSha3_256(benchmark::State& state) {
  const Bytes data = Input(static_cast<size_t>(state.range(0)));
  EVP_MD* md = EVP_MD_fetch(nullptr, "SHA3-256", nullptr);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (md == nullptr || ctx == nullptr) std::abort();
  uint8_t out[32];
  unsigned int len = 0;
  for (auto _ : state) {
    EVP_DigestInit_ex(ctx, md, nullptr);
    EVP_DigestUpdate(ctx, data.data(), data.size());
    EVP_DigestFinal_ex(ctx, out, &len);
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
  EVP_MD_CTX_free(ctx);
  EVP_MD_free(md);
}
BENCHMARK(BM_BaselineOpenSslSha3_256)->Arg(32)->Arg(1024);

constexpr uint8_t kKey[32] = {0x4c, 0x08, 0x83, 0xa6, 0x91, 0x02, 0x93, 0x7d, 0x62, 0x31, 0x47,
                              0x1b, 0x5d, 0xbb, 0x62, 0x04, 0xfe, 0x51, 0x29, 0x61, 0x70, 0x82,
                              0x79, 0x2a, 0xe4, 0x68, 0xd0, 0x1a, 0x3f, 0x36, 0x23, 0x18};

Hash32 Digest() { return Keccak256(AsBytes("chainkms benchmark digest")); }

// A context of the baseline's own, randomized like ours so both sign with blinding on.
secp256k1_context* RawContext() {
  secp256k1_context* ctx =
      secp256k1_context_create(SECP256K1_CONTEXT_SIGN | SECP256K1_CONTEXT_VERIFY);
  uint8_t seed[32] = {1};
  if (ctx == nullptr || secp256k1_context_randomize(ctx, seed) != 1) std::abort();
  return ctx;
}

void BM_SignRecoverable(benchmark::State& state) {
  auto key = Secp256k1PrivateKey::FromBytes(kKey).value();
  const Hash32 digest = Digest();
  for (auto _ : state) {
    RecoverableSignature sig = key.SignRecoverable(digest);
    benchmark::DoNotOptimize(sig);
  }
}
BENCHMARK(BM_SignRecoverable);

void BM_BaselineRawSecp256k1SignRecoverable(benchmark::State& state) {
  secp256k1_context* ctx = RawContext();
  const Hash32 digest = Digest();
  secp256k1_ecdsa_recoverable_signature sig;
  uint8_t compact[64];
  int recid = 0;
  for (auto _ : state) {
    if (secp256k1_ecdsa_sign_recoverable(ctx, &sig, digest.data(), kKey, nullptr, nullptr) != 1) {
      std::abort();
    }
    secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx, compact, &recid, &sig);
    benchmark::DoNotOptimize(compact);
    benchmark::DoNotOptimize(recid);
  }
  secp256k1_context_destroy(ctx);
}
BENCHMARK(BM_BaselineRawSecp256k1SignRecoverable);

void BM_Ecrecover(benchmark::State& state) {
  auto key = Secp256k1PrivateKey::FromBytes(kKey).value();
  const Hash32 digest = Digest();
  const RecoverableSignature sig = key.SignRecoverable(digest);
  for (auto _ : state) {
    auto pub = RecoverPublicKey(digest, sig);
    benchmark::DoNotOptimize(pub);
  }
}
BENCHMARK(BM_Ecrecover);

// Parse, recover and serialize: the same work RecoverPublicKey must do to hand back 65 bytes.
void BM_BaselineRawSecp256k1Recover(benchmark::State& state) {
  secp256k1_context* ctx = RawContext();
  const Hash32 digest = Digest();
  secp256k1_ecdsa_recoverable_signature sig;
  if (secp256k1_ecdsa_sign_recoverable(ctx, &sig, digest.data(), kKey, nullptr, nullptr) != 1) {
    std::abort();
  }
  uint8_t compact[64];
  int recid = 0;
  secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx, compact, &recid, &sig);
  uint8_t out[65];
  for (auto _ : state) {
    secp256k1_ecdsa_recoverable_signature parsed;
    secp256k1_pubkey pk;
    size_t len = sizeof(out);
    if (secp256k1_ecdsa_recoverable_signature_parse_compact(ctx, &parsed, compact, recid) != 1 ||
        secp256k1_ecdsa_recover(ctx, &pk, &parsed, digest.data()) != 1) {
      std::abort();
    }
    secp256k1_ec_pubkey_serialize(ctx, out, &len, &pk, SECP256K1_EC_UNCOMPRESSED);
    benchmark::DoNotOptimize(out);
  }
  secp256k1_context_destroy(ctx);
}
BENCHMARK(BM_BaselineRawSecp256k1Recover);

void BM_EcrecoverAddress(benchmark::State& state) {
  auto key = Secp256k1PrivateKey::FromBytes(kKey).value();
  const Hash32 digest = Digest();
  const RecoverableSignature sig = key.SignRecoverable(digest);
  for (auto _ : state) {
    Address a = RecoverPublicKey(digest, sig)->ToAddress();
    benchmark::DoNotOptimize(a);
  }
}
BENCHMARK(BM_EcrecoverAddress);

}  // namespace
}  // namespace chainkms
