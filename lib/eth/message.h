// EIP-191 version 0x45 ("personal_sign") message hashing, signing and signer recovery,
// byte-compatible with `cast wallet sign` / `cast hash-message`.
//
//   Hash32 h = HashPersonalMessage(AsBytes("hello world"));
//   FixedBytes<65> sig = SignPersonalMessage(AsBytes("hello world"), key);  // r‖s‖v, v ∈ {27,28}
//   ASSIGN_OR_RETURN(Address who, RecoverPersonalMessageSigner(AsBytes("hello world"), sig.view()));
#pragma once

#include "absl/status/statusor.h"
#include "lib/common/bytes.h"
#include "lib/crypto/secp256k1.h"

namespace chainkms {

// keccak256("\x19Ethereum Signed Message:\n" ‖ decimal(len(message)) ‖ message).
Hash32 HashPersonalMessage(ByteView message);

// 65 bytes r‖s‖v with v = 27 + recovery id, as wallets and cast print it. Low-S, RFC 6979.
FixedBytes<65> SignPersonalMessage(ByteView message, const Secp256k1PrivateKey& key);

// Accepts exactly 65 bytes with v ∈ {27, 28} or {0, 1}; rejects high-S.
// INVALID_ARGUMENT for any other length, v, or a signature that does not recover.
absl::StatusOr<Address> RecoverPersonalMessageSigner(ByteView message, ByteView signature);

}  // namespace chainkms
