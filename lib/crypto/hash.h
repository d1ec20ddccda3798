// SHA-2, HMAC and HKDF over OpenSSL 3.0.
//
//   Hash32 d = Sha256(data);
//   Hash32 mac = HmacSha256(key, msg);
//   ASSIGN_OR_RETURN(SecretBytes okm, HkdfSha256(ikm, salt, info, 32));
#pragma once

#include "absl/status/statusor.h"
#include "lib/common/bytes.h"
#include "lib/common/secret_bytes.h"

namespace chainkms {

Hash32 Sha256(ByteView data);
FixedBytes<48> Sha384(ByteView data);
FixedBytes<64> Sha512(ByteView data);
Hash32 HmacSha256(ByteView key, ByteView data);
FixedBytes<64> HmacSha512(ByteView key, ByteView data);

// RFC 5869 HKDF-SHA256 (extract then expand). `length` 1..8160; otherwise INVALID_ARGUMENT.
absl::StatusOr<SecretBytes> HkdfSha256(ByteView ikm, ByteView salt, ByteView info, size_t length);

}  // namespace chainkms
