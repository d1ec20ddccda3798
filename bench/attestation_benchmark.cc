// Verifying the shared Intel TDX sample quote (../shared/vectors/tdx) with its collateral parsed
// and cached, against the floor: the ECDSA P-256 verifications a quote from a platform requires,
// done with OpenSSL in the same run —
//   the PCK leaf's signature by its CA, the CA's by the Intel root, the QE report's by the PCK key
//   and the quote's by the attestation key (4 verifications; collateral signatures are per
//   collateral, not per quote).
// BM_TdxVerifyQuote: a platform already seen (its PCK chain's verdict memoized for the collateral).
// BM_TdxVerifyQuoteNewPlatform: the PCK chain verified afresh (X509_verify_cert with both CRLs).
// The JS port on the same input is bench/dcap_qvl_bench.mjs (bench/run prints the ratio).
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

#include "benchmark/benchmark.h"
#include "lib/attestation/collateral.h"
#include "lib/attestation/pki.h"
#include "lib/attestation/quote.h"
#include "lib/attestation/verify.h"

namespace chainkms::attestation {
namespace {

std::string Read(const std::string& name) {
  const char* dir = std::getenv("CHAINKMS_VECTORS_DIR");
  std::ifstream in(std::string(dir != nullptr ? dir : "../shared/vectors") + "/tdx/" + name,
                   std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "missing vectors/tdx/%s (set CHAINKMS_VECTORS_DIR)\n", name.c_str());
    std::abort();
  }
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

const absl::Time kInside = absl::FromUnixSeconds(1751624191);

struct Fixture {
  Bytes quote;
  std::shared_ptr<const PreparedCollateral> collateral;
  TdxQuote parsed;
  CertChain pck;
};

const Fixture& Get() {
  static const Fixture* f = [] {
    auto* x = new Fixture;
    const std::string q = Read("tdx_quote.bin");
    x->quote.assign(q.begin(), q.end());
    x->collateral = *PrepareCollateral(*ParseCollateralJson(Read("tdx_quote_collateral.json")));
    x->parsed = *ParseTdxQuote(x->quote);
    x->pck = *ParsePemChain(x->parsed.pck_chain_pem, "pck");
    if (!VerifyTdxQuote(x->quote, *x->collateral, kInside).ok()) std::abort();
    return x;
  }();
  return *f;
}

void BM_TdxVerifyQuote(benchmark::State& state) {
  const Fixture& f = Get();
  for (auto _ : state) {
    absl::StatusOr<VerifiedQuote> v = VerifyTdxQuote(f.quote, *f.collateral, kInside);
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK(BM_TdxVerifyQuote);

void BM_TdxVerifyQuoteNewPlatform(benchmark::State& state) {
  const Fixture& f = Get();
  for (auto _ : state) {
    {
      MutexLock l(&f.collateral->memo->mu);
      f.collateral->memo->pck.clear();  // as if this platform's chain had never been seen
    }
    absl::StatusOr<VerifiedQuote> v = VerifyTdxQuote(f.quote, *f.collateral, kInside);
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK(BM_TdxVerifyQuoteNewPlatform);

// DER of a raw r ‖ s signature, computed once outside the timed loop.
std::vector<uint8_t> Der(ByteView rs) {
  ECDSA_SIG* sig = ECDSA_SIG_new();
  ECDSA_SIG_set0(sig, BN_bin2bn(rs.data(), 32, nullptr), BN_bin2bn(rs.data() + 32, 32, nullptr));
  unsigned char* der = nullptr;
  const int n = i2d_ECDSA_SIG(sig, &der);
  std::vector<uint8_t> out(der, der + n);
  OPENSSL_free(der);
  ECDSA_SIG_free(sig);
  return out;
}

bool EvpVerify(EVP_PKEY* key, ByteView msg, const std::vector<uint8_t>& der) {
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  const bool ok = EVP_DigestVerifyInit(md, nullptr, EVP_sha256(), nullptr, key) == 1 &&
                  EVP_DigestVerify(md, der.data(), der.size(), msg.data(), msg.size()) == 1;
  EVP_MD_CTX_free(md);
  return ok;
}

void BM_BaselineOpenSslP256Floor(benchmark::State& state) {
  const Fixture& f = Get();
  X509* leaf = f.pck.certs[0].get();
  X509* ca = f.pck.certs[1].get();
  EVP_PKEY* pck_key = X509_get0_pubkey(leaf);
  EVP_PKEY* ca_key = X509_get0_pubkey(ca);
  EVP_PKEY* root_key = X509_get0_pubkey(IntelSgxRootCa());
  PkeyPtr att = *P256KeyFromRaw(f.parsed.attestation_key.view());
  const std::vector<uint8_t> qe_sig = Der(f.parsed.qe_report_signature.view());
  const std::vector<uint8_t> quote_sig = Der(f.parsed.signature.view());
  for (auto _ : state) {
    bool ok = X509_verify(leaf, ca_key) == 1;
    ok &= X509_verify(ca, root_key) == 1;
    ok &= EvpVerify(pck_key, f.parsed.qe_report_bytes, qe_sig);
    ok &= EvpVerify(att.get(), f.parsed.signed_bytes, quote_sig);
    if (!ok) state.SkipWithError("floor verification failed");
    benchmark::DoNotOptimize(ok);
  }
}
BENCHMARK(BM_BaselineOpenSslP256Floor);

}  // namespace
}  // namespace chainkms::attestation
