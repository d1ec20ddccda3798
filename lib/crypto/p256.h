// NIST P-256 keys from a raw scalar, with their PKCS#8 DER (as dstack-kms derives keys).
//
//   ASSIGN_OR_RETURN(P256PrivateKey k, P256PrivateKey::FromScalar(d));
//   Bytes der = k.Pkcs8Der();            // 138 bytes, exact layout in DESIGN §5.3
#pragma once

#include "absl/status/statusor.h"
#include "lib/common/bytes.h"
#include "lib/common/secret_bytes.h"

namespace chainkms {

class P256PrivateKey {
 public:
  // Exactly 32 bytes, 0 < d < n; else INVALID_ARGUMENT (never reduced).
  static absl::StatusOr<P256PrivateKey> FromScalar(ByteView d);
  // 0x04 ‖ X ‖ Y.
  const FixedBytes<65>& PublicKeyUncompressed() const { return public_; }
  // 138-byte PKCS#8 DER: prefix ‖ d ‖ a144034200 ‖ 04‖X‖Y. A secret: wipe after use.
  SecretBytes Pkcs8Der() const;
  const SecretBytes& scalar() const { return d_; }

 private:
  P256PrivateKey(SecretBytes d, FixedBytes<65> pub) : d_(std::move(d)), public_(pub) {}
  SecretBytes d_;
  FixedBytes<65> public_;
};

}  // namespace chainkms
