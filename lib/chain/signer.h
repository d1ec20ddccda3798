// Signer: who signs a transaction — an address and recoverable signatures over digests. The
// registry's keys (SignerSet) and tests' keys are Signers; TxManager only ever sees this
// interface, so a remote signer (HSM, KMS) can replace the in-memory key later.
//
//   auto signer = std::make_shared<LocalKeySigner>(std::move(key));
//   ASSIGN_OR_RETURN(SignedTransaction st, SignWith(*signer, tx));
#pragma once

#include <utility>

#include "absl/status/statusor.h"
#include "lib/common/bytes.h"
#include "lib/crypto/secp256k1.h"
#include "lib/eth/transaction.h"

namespace chainkms {

// Implementations must be thread-safe.
class Signer {
 public:
  virtual ~Signer() = default;
  virtual Address address() const = 0;
  virtual absl::StatusOr<RecoverableSignature> SignDigest(const Hash32& digest) = 0;
};

// Signs with a private key held in memory (wiped with the signer).
class LocalKeySigner final : public Signer {
 public:
  explicit LocalKeySigner(Secp256k1PrivateKey key)
      : key_(std::move(key)), address_(key_.ToAddress()) {}
  Address address() const override { return address_; }
  absl::StatusOr<RecoverableSignature> SignDigest(const Hash32& digest) override {
    return key_.SignRecoverable(digest);
  }

 private:
  Secp256k1PrivateKey key_;
  Address address_;
};

// SigningHash + SignDigest; checks the signature recovers to signer.address().
absl::StatusOr<SignedTransaction> SignWith(Signer& signer, const Transaction& tx);

}  // namespace chainkms
