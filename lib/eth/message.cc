#include "lib/eth/message.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "lib/common/status_macros.h"
#include "lib/crypto/keccak.h"

namespace chainkms {

Hash32 HashPersonalMessage(ByteView message) {
  const std::string prefix = absl::StrCat("\x19" "Ethereum Signed Message:\n", message.size());
  Keccak256Hasher h;
  h.Update(AsBytes(prefix));
  h.Update(message);
  return h.Finalize();
}

FixedBytes<65> SignPersonalMessage(ByteView message, const Secp256k1PrivateKey& key) {
  FixedBytes<65> out = key.SignRecoverable(HashPersonalMessage(message)).ToBytes();
  out[64] = static_cast<uint8_t>(out[64] + 27);
  return out;
}

absl::StatusOr<Address> RecoverPersonalMessageSigner(ByteView message, ByteView signature) {
  if (signature.size() != 65) {
    return absl::InvalidArgumentError(
        absl::StrCat("signature: expected 65 bytes, got ", signature.size()));
  }
  Bytes normalized(signature.begin(), signature.end());
  if (normalized[64] == 27 || normalized[64] == 28) normalized[64] -= 27;
  if (normalized[64] > 1) return absl::InvalidArgumentError("signature: v must be 27, 28, 0 or 1");
  ASSIGN_OR_RETURN(RecoverableSignature sig, RecoverableSignature::FromBytes(normalized));
  if (!IsLowS(sig.s)) return absl::InvalidArgumentError("signature: s must be low (s <= n/2)");
  ASSIGN_OR_RETURN(Secp256k1PublicKey pub, RecoverPublicKey(HashPersonalMessage(message), sig));
  return pub.ToAddress();
}

}  // namespace chainkms
