#include "lib/crypto/secp256k1.h"

#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include <algorithm>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "lib/crypto/keccak.h"
#include "lib/crypto/random.h"

namespace chainkms {
namespace {

// Curve order n and n/2 (rounded down), big-endian.
constexpr Hash32 kOrder(std::array<uint8_t, 32>{
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
    0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41});
constexpr Hash32 kHalfOrder(std::array<uint8_t, 32>{
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0});

// One context for the process. Randomizing it blinds the signing computation against side
// channels; after creation it is only used through const pointers, which libsecp256k1 allows
// from many threads at once.
const secp256k1_context* Ctx() {
  static const secp256k1_context* const ctx = [] {
    secp256k1_context* c =
        secp256k1_context_create(SECP256K1_CONTEXT_SIGN | SECP256K1_CONTEXT_VERIFY);
    if (c == nullptr) std::abort();
    SecretBytes seed = RandomSecret(32);
    if (secp256k1_context_randomize(c, seed.data()) != 1) std::abort();
    return c;
  }();
  return ctx;
}

FixedBytes<65> Serialize(const secp256k1_pubkey& pk) {
  FixedBytes<65> out;
  size_t len = out.size();
  secp256k1_ec_pubkey_serialize(Ctx(), out.data(), &len, &pk, SECP256K1_EC_UNCOMPRESSED);
  return out;
}

// The stored form is always a valid point, so parsing it back cannot fail.
secp256k1_pubkey ParseKnownGood(const FixedBytes<65>& uncompressed) {
  secp256k1_pubkey pk;
  if (secp256k1_ec_pubkey_parse(Ctx(), &pk, uncompressed.data(), uncompressed.size()) != 1) {
    std::abort();
  }
  return pk;
}

FixedBytes<64> CompactRs(const RecoverableSignature& sig) {
  FixedBytes<64> rs;
  std::copy(sig.r.begin(), sig.r.end(), rs.begin());
  std::copy(sig.s.begin(), sig.s.end(), rs.begin() + 32);
  return rs;
}

}  // namespace

bool IsValidScalar(const Hash32& x) { return !x.IsZero() && x < kOrder; }
bool IsLowS(const Hash32& s) { return s <= kHalfOrder; }

FixedBytes<65> RecoverableSignature::ToBytes() const {
  FixedBytes<65> out;
  std::copy(r.begin(), r.end(), out.begin());
  std::copy(s.begin(), s.end(), out.begin() + 32);
  out[64] = v;
  return out;
}

absl::StatusOr<RecoverableSignature> RecoverableSignature::FromBytes(ByteView b) {
  if (b.size() != 65) {
    return absl::InvalidArgumentError(
        absl::StrCat("signature must be 65 bytes (r‖s‖v), got ", b.size()));
  }
  if (b[64] > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("signature v must be 0 or 1, got ", static_cast<int>(b[64])));
  }
  RecoverableSignature sig;
  std::copy_n(b.begin(), 32, sig.r.begin());
  std::copy_n(b.begin() + 32, 32, sig.s.begin());
  sig.v = b[64];
  return sig;
}

absl::StatusOr<Secp256k1PublicKey> Secp256k1PublicKey::Parse(ByteView b) {
  // libsecp256k1 also accepts the X9.62 "hybrid" prefixes 0x06/0x07; SEC1 does not, so we
  // reject them before it sees them.
  FixedBytes<65> buf;
  ByteView input = b;
  if (b.size() == 64) {
    buf[0] = 0x04;
    std::copy(b.begin(), b.end(), buf.begin() + 1);
    input = buf.view();
  } else if (!((b.size() == 33 && (b[0] == 0x02 || b[0] == 0x03)) ||
               (b.size() == 65 && b[0] == 0x04))) {
    return absl::InvalidArgumentError(absl::StrCat(
        "public key must be 33 bytes (02/03 prefix), 65 bytes (04 prefix) or 64 bytes X‖Y; got ",
        b.size(), " bytes"));
  }
  secp256k1_pubkey pk;
  if (secp256k1_ec_pubkey_parse(Ctx(), &pk, input.data(), input.size()) != 1) {
    return absl::InvalidArgumentError("public key is not a point on secp256k1");
  }
  return Secp256k1PublicKey(Serialize(pk));
}

FixedBytes<33> Secp256k1PublicKey::Compressed() const {
  secp256k1_pubkey pk = ParseKnownGood(uncompressed_);
  FixedBytes<33> out;
  size_t len = out.size();
  secp256k1_ec_pubkey_serialize(Ctx(), out.data(), &len, &pk, SECP256K1_EC_COMPRESSED);
  return out;
}

FixedBytes<65> Secp256k1PublicKey::Uncompressed() const { return uncompressed_; }

Address Secp256k1PublicKey::ToAddress() const {
  const Hash32 h = Keccak256(ByteView(uncompressed_.data() + 1, 64));
  Address a;
  std::copy(h.begin() + 12, h.end(), a.begin());
  return a;
}

absl::StatusOr<Secp256k1PrivateKey> Secp256k1PrivateKey::FromBytes(ByteView b) {
  if (b.size() != 32) {
    return absl::InvalidArgumentError(
        absl::StrCat("secp256k1 private key must be 32 bytes, got ", b.size()));
  }
  Hash32 k(std::span<const uint8_t, 32>(b.data(), 32));
  const bool valid = IsValidScalar(k);
  SecureWipe(k.mut());
  if (!valid) {
    return absl::InvalidArgumentError("secp256k1 private key must satisfy 0 < k < n");
  }
  return Secp256k1PrivateKey(SecretBytes::FromView(b));
}

Secp256k1PrivateKey Secp256k1PrivateKey::Generate() {
  for (;;) {
    SecretBytes s = RandomSecret(32);
    // A random 32-byte string is ≥ n with probability about 2^-128.
    if (secp256k1_ec_seckey_verify(Ctx(), s.data()) == 1) return Secp256k1PrivateKey(std::move(s));
  }
}

Secp256k1PublicKey Secp256k1PrivateKey::PublicKey() const {
  secp256k1_pubkey pk;
  if (secp256k1_ec_pubkey_create(Ctx(), &pk, secret_.data()) != 1) std::abort();
  return Secp256k1PublicKey(Serialize(pk));
}

RecoverableSignature Secp256k1PrivateKey::SignRecoverable(const Hash32& digest) const {
  secp256k1_ecdsa_recoverable_signature sig;
  // A null nonce function selects RFC 6979; the result is always low-S.
  if (secp256k1_ecdsa_sign_recoverable(Ctx(), &sig, digest.data(), secret_.data(), nullptr,
                                       nullptr) != 1) {
    std::abort();  // only possible with an invalid key, which FromBytes rules out
  }
  uint8_t compact[64];
  int recid = 0;
  secp256k1_ecdsa_recoverable_signature_serialize_compact(Ctx(), compact, &recid, &sig);
  RecoverableSignature out;
  std::copy_n(compact, 32, out.r.begin());
  std::copy_n(compact + 32, 32, out.s.begin());
  out.v = static_cast<uint8_t>(recid);
  return out;
}

absl::StatusOr<Secp256k1PublicKey> RecoverPublicKey(const Hash32& digest,
                                                    const RecoverableSignature& sig) {
  if (sig.v > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("signature v must be 0 or 1, got ", static_cast<int>(sig.v)));
  }
  if (!IsValidScalar(sig.r)) return absl::InvalidArgumentError("signature r must satisfy 0 < r < n");
  if (!IsValidScalar(sig.s)) return absl::InvalidArgumentError("signature s must satisfy 0 < s < n");
  const FixedBytes<64> rs = CompactRs(sig);
  secp256k1_ecdsa_recoverable_signature rsig;
  if (secp256k1_ecdsa_recoverable_signature_parse_compact(Ctx(), &rsig, rs.data(), sig.v) != 1) {
    return absl::InvalidArgumentError("signature could not be parsed");
  }
  secp256k1_pubkey pk;
  if (secp256k1_ecdsa_recover(Ctx(), &pk, &rsig, digest.data()) != 1) {
    return absl::InvalidArgumentError("signature does not recover to a public key");
  }
  return Secp256k1PublicKey(Serialize(pk));
}

bool VerifySignature(const Hash32& digest, const RecoverableSignature& sig,
                     const Secp256k1PublicKey& key) {
  const FixedBytes<64> rs = CompactRs(sig);
  secp256k1_ecdsa_signature s;
  if (secp256k1_ecdsa_signature_parse_compact(Ctx(), &s, rs.data()) != 1) return false;
  const FixedBytes<65> enc = key.Uncompressed();
  secp256k1_pubkey pk;
  if (secp256k1_ec_pubkey_parse(Ctx(), &pk, enc.data(), enc.size()) != 1) return false;
  return secp256k1_ecdsa_verify(Ctx(), &s, digest.data(), &pk) == 1;
}

}  // namespace chainkms
