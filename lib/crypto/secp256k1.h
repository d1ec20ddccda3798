// secp256k1 over libsecp256k1: one signing context per process, randomized at first use.
// Signatures are recoverable, 65 bytes r‖s‖v with v ∈ {0,1}, always low-S.
//
//   ASSIGN_OR_RETURN(auto key, Secp256k1PrivateKey::FromBytes(secret.view()));
//   ASSIGN_OR_RETURN(RecoverableSignature sig, key.SignRecoverable(digest));
//   ASSIGN_OR_RETURN(PublicKey pub, RecoverPublicKey(digest, sig));
//   Address a = pub.ToAddress();   // lib/eth helpers format it with EIP-55
#pragma once

#include <array>

#include "absl/status/statusor.h"
#include "lib/common/bytes.h"
#include "lib/common/secret_bytes.h"

namespace chainkms {

// r(32) ‖ s(32) ‖ v(1), v ∈ {0,1}.
struct RecoverableSignature {
  Hash32 r;
  Hash32 s;
  uint8_t v = 0;

  FixedBytes<65> ToBytes() const;
  // Accepts exactly 65 bytes with v ∈ {0,1} (27/28 are INVALID_ARGUMENT here; callers that
  // accept Ethereum-style v normalize first).
  static absl::StatusOr<RecoverableSignature> FromBytes(ByteView b);
  friend bool operator==(const RecoverableSignature&, const RecoverableSignature&) = default;
};

// A valid curve point.
class Secp256k1PublicKey {
 public:
  // Accepts 33-byte compressed or 65-byte uncompressed SEC1 encodings (or 64 bytes X‖Y).
  static absl::StatusOr<Secp256k1PublicKey> Parse(ByteView b);
  FixedBytes<33> Compressed() const;
  FixedBytes<65> Uncompressed() const;  // 0x04 ‖ X ‖ Y
  // keccak256(X‖Y)[12:], the Ethereum address.
  Address ToAddress() const;
  friend bool operator==(const Secp256k1PublicKey&, const Secp256k1PublicKey&) = default;

 private:
  friend class Secp256k1PrivateKey;
  friend absl::StatusOr<Secp256k1PublicKey> RecoverPublicKey(const Hash32& digest,
                                                             const RecoverableSignature& sig);
  Secp256k1PublicKey() = default;
  // `u` comes straight from libsecp256k1, so it is known to be a valid point.
  explicit Secp256k1PublicKey(const FixedBytes<65>& u) : uncompressed_(u) {}
  FixedBytes<65> uncompressed_;
};

class Secp256k1PrivateKey {
 public:
  // Exactly 32 bytes, 0 < k < n; anything else is INVALID_ARGUMENT (never reduced).
  static absl::StatusOr<Secp256k1PrivateKey> FromBytes(ByteView b);
  static Secp256k1PrivateKey Generate();

  Secp256k1PublicKey PublicKey() const;
  Address ToAddress() const { return PublicKey().ToAddress(); }
  // RFC 6979 deterministic, low-S recoverable signature over a 32-byte digest.
  RecoverableSignature SignRecoverable(const Hash32& digest) const;
  const SecretBytes& secret() const { return secret_; }

  Secp256k1PrivateKey(Secp256k1PrivateKey&&) = default;
  Secp256k1PrivateKey& operator=(Secp256k1PrivateKey&&) = default;

 private:
  explicit Secp256k1PrivateKey(SecretBytes s) : secret_(std::move(s)) {}
  SecretBytes secret_;
};

// Recovers the signer's key; INVALID_ARGUMENT for r or s out of range, v ∉ {0,1}, or no point.
// Like the ecrecover precompile it accepts high-S signatures; callers that must reject
// malleable signatures (EIP-2) check IsLowS(sig.s) first.
absl::StatusOr<Secp256k1PublicKey> RecoverPublicKey(const Hash32& digest,
                                                    const RecoverableSignature& sig);
// Verifies r‖s (v is ignored). libsecp256k1's verify rejects high-S, so a malleated copy of a
// valid signature is reported false.
bool VerifySignature(const Hash32& digest, const RecoverableSignature& sig,
                     const Secp256k1PublicKey& key);
// True when s ≤ n/2.
bool IsLowS(const Hash32& s);
// True when 0 < x < n.
bool IsValidScalar(const Hash32& x);

}  // namespace chainkms
