// AES over OpenSSL: AES-256-GCM (env encryption) and AES-128-CTR (V3 keystores).
//
//   ASSIGN_OR_RETURN(Bytes ct_and_tag, Aes256GcmEncrypt(key, iv12, plaintext));
#pragma once

#include "absl/status/statusor.h"
#include "lib/common/bytes.h"
#include "lib/common/secret_bytes.h"

namespace chainkms {

// Returns ciphertext ‖ tag(16). key 32 bytes, iv 12 bytes, else INVALID_ARGUMENT.
absl::StatusOr<Bytes> Aes256GcmEncrypt(ByteView key, ByteView iv, ByteView plaintext,
                                       ByteView aad = {});
// Input ciphertext ‖ tag(16); a bad tag is INVALID_ARGUMENT ("authentication failed").
absl::StatusOr<SecretBytes> Aes256GcmDecrypt(ByteView key, ByteView iv, ByteView ciphertext_and_tag,
                                             ByteView aad = {});
// AES-128-CTR; key 16 bytes, iv 16 bytes. Encryption and decryption are the same operation.
absl::StatusOr<Bytes> Aes128Ctr(ByteView key, ByteView iv, ByteView data);

}  // namespace chainkms
