// KMS key derivation against the raw operations it is made of (names prefixed Baseline):
// DeriveAppKeySet (disk key, env key + X25519 public key, app k256 key + its dstack-kms-issued
// signature, app CA key + certificate signed by the root) vs the same primitives called directly
// on OpenSSL and libsecp256k1: 4 HKDF-SHA256, 3 P-256 base-point multiplications, 2 SHA-256 of
// the PKCS#8 DER, 1 X25519 public key, 1 secp256k1 public key, 1 Keccak-256 + recoverable
// secp256k1 signature, 1 ECDSA P-256 signature over a certificate-sized message.
//
//   chainkms_bench --benchmark_filter='AppKey' --benchmark_min_time=0.2
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/obj_mac.h>
#include <openssl/params.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include <cstdlib>
#include <cstring>

#include <benchmark/benchmark.h>

#include "lib/common/hex.h"
#include "lib/crypto/keccak.h"
#include "lib/crypto/p256.h"
#include "lib/crypto/secp256k1.h"
#include "lib/crypto/x25519.h"
#include "lib/kms/app_keys.h"
#include "lib/kms/x509.h"

namespace chainkms {
namespace {

constexpr char kRootCa[] = "f57527cea4ab7ffb49af99b158cdc0e3ec06398f528349ea236b7d2afe19cec1";
constexpr char kRootK256[] = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

kms::RootKeys Root() {
  P256PrivateKey ca = *P256PrivateKey::FromScalar(*HexDecode(kRootCa));
  Bytes cert = *kms::MakeRootCaCert(ca, {.not_before = absl::FromUnixSeconds(1700000000)});
  std::shared_ptr<const kms::CaIssuer> issuer = *kms::CaIssuer::Create(ca, cert);
  // As LoadKeyDir builds them: with the root's certificate issuer made once.
  return kms::RootKeys{.ca = std::move(ca),
                       .k256 = *Secp256k1PrivateKey::FromBytes(*HexDecode(kRootK256)),
                       .ca_cert_der = std::move(cert),
                       .ca_issuer = std::move(issuer)};
}

void BM_KmsDeriveAppKeySet(benchmark::State& state) {
  const kms::RootKeys root = Root();
  Address app;
  app.bytes.fill(0x42);
  Address instance;
  instance.bytes.fill(0x11);
  for (auto _ : state) {
    absl::StatusOr<kms::AppKeySet> keys = kms::DeriveAppKeySet(root, app, instance);
    if (!keys.ok()) std::abort();
    benchmark::DoNotOptimize(keys->k256_signature);
  }
}
BENCHMARK(BM_KmsDeriveAppKeySet);

// One HKDF-SHA256 (salt "RATLS") with the KDF fetched once, as the fastest fair OpenSSL use.
void RawHkdf(EVP_KDF* kdf, const uint8_t* ikm, const char* info, uint8_t out[32]) {
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
  char digest[] = "SHA256";
  char salt[] = "RATLS";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string("digest", digest, 0),
      OSSL_PARAM_construct_octet_string("key", const_cast<uint8_t*>(ikm), 32),
      OSSL_PARAM_construct_octet_string("salt", salt, 5),
      OSSL_PARAM_construct_octet_string("info", const_cast<char*>(info), std::strlen(info)),
      OSSL_PARAM_construct_end()};
  if (EVP_KDF_derive(ctx, out, 32, params) != 1) std::abort();
  EVP_KDF_CTX_free(ctx);
}

// d·G on P-256, the public key encoded (what building each derived P-256 key costs).
void RawP256Mul(const EC_GROUP* group, const uint8_t d[32], uint8_t pub[65]) {
  BIGNUM* k = BN_bin2bn(d, 32, nullptr);
  EC_POINT* p = EC_POINT_new(group);
  if (EC_POINT_mul(group, p, k, nullptr, nullptr, nullptr) != 1 ||
      EC_POINT_point2oct(group, p, POINT_CONVERSION_UNCOMPRESSED, pub, 65, nullptr) != 65) {
    std::abort();
  }
  EC_POINT_free(p);
  BN_clear_free(k);
}

void BM_BaselineRawAppKeyOps(benchmark::State& state) {
  const Bytes root_ca = *HexDecode(kRootCa);
  const Bytes root_k256 = *HexDecode(kRootK256);
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  EC_GROUP* group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
  secp256k1_context* k1 = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  // The root CA key as an EVP_PKEY (loaded once by the KMS too) for the certificate signature.
  P256PrivateKey ca = *P256PrivateKey::FromScalar(root_ca);
  SecretBytes der = ca.Pkcs8Der();
  const unsigned char* p = der.data();
  EVP_PKEY* ca_key = d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(der.size()));
  if (kdf == nullptr || group == nullptr || k1 == nullptr || md == nullptr || ca_key == nullptr) {
    std::abort();
  }
  uint8_t tbs[400];
  std::memset(tbs, 0x5a, sizeof(tbs));
  for (auto _ : state) {
    uint8_t okm[32], pub[65], digest[32], x_pub[32];
    // Disk key, env key, app CA key: HKDF → d·G → SHA-256 of the DER (disk, env).
    for (const char* info : {"disk", "env", "ca"}) {
      RawHkdf(kdf, root_ca.data(), info, okm);
      RawP256Mul(group, okm, pub);
      if (info[0] != 'c') {
        unsigned int len = 0;
        EVP_Digest(pub, 65, digest, &len, EVP_sha256(), nullptr);
      }
    }
    // The env key's X25519 public key.
    Hash32 x = X25519PublicKey(std::span<const uint8_t, 32>(digest, 32));
    std::memcpy(x_pub, x.data(), 32);
    benchmark::DoNotOptimize(x_pub);
    // App k256 key: HKDF → public key; its signature by the root k256 key.
    RawHkdf(kdf, root_k256.data(), "app-key", okm);
    secp256k1_pubkey pk;
    uint8_t compressed[33];
    size_t clen = sizeof(compressed);
    if (secp256k1_ec_pubkey_create(k1, &pk, okm) != 1 ||
        secp256k1_ec_pubkey_serialize(k1, compressed, &clen, &pk, SECP256K1_EC_COMPRESSED) != 1) {
      std::abort();
    }
    const Hash32 h = Keccak256(ByteView(compressed, clen));
    secp256k1_ecdsa_recoverable_signature sig;
    if (secp256k1_ecdsa_sign_recoverable(k1, &sig, h.data(), root_k256.data(), nullptr, nullptr) !=
        1) {
      std::abort();
    }
    // The app CA certificate's ECDSA P-256 signature.
    uint8_t cert_sig[80];
    size_t slen = sizeof(cert_sig);
    if (EVP_DigestSignInit(md, nullptr, EVP_sha256(), nullptr, ca_key) != 1 ||
        EVP_DigestSign(md, cert_sig, &slen, tbs, sizeof(tbs)) != 1) {
      std::abort();
    }
    benchmark::DoNotOptimize(sig);
    benchmark::DoNotOptimize(cert_sig);
  }
  EVP_PKEY_free(ca_key);
  EVP_MD_CTX_free(md);
  secp256k1_context_destroy(k1);
  EC_GROUP_free(group);
  EVP_KDF_free(kdf);
}
BENCHMARK(BM_BaselineRawAppKeyOps);

}  // namespace
}  // namespace chainkms
