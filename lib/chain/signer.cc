#include "lib/chain/signer.h"

#include "lib/common/status_macros.h"

namespace chainkms {

absl::StatusOr<SignedTransaction> SignWith(Signer& signer, const Transaction& tx) {
  ASSIGN_OR_RETURN(Hash32 digest, SigningHash(tx));
  ASSIGN_OR_RETURN(RecoverableSignature sig, signer.SignDigest(digest));
  SignedTransaction st{tx, TxSignature{sig.v, sig.r, sig.s}};
  ASSIGN_OR_RETURN(Address from, RecoverSender(st));
  if (from != signer.address()) {
    return absl::InternalError("signer produced a signature for another address");
  }
  return st;
}

}  // namespace chainkms
