// Ethereum V3 keystores (the JSON files geth, cast and MetaMask write): decrypt with a password,
// or encrypt a private key into one. KDF scrypt or pbkdf2 (hmac-sha256), cipher aes-128-ctr.
//
//   ASSIGN_OR_RETURN(SecretBytes key, DecryptKeystore(json_text, password));
//   ASSIGN_OR_RETURN(std::string json, EncryptKeystore(key.view(), password, {}));
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "lib/common/bytes.h"
#include "lib/common/secret_bytes.h"
#include "lib/crypto/kdf.h"

namespace chainkms {

enum class KeystoreKdf { kScrypt, kPbkdf2 };

struct KeystoreParams {
  KeystoreKdf kdf = KeystoreKdf::kScrypt;
  ScryptParams scrypt;  // geth's "standard" strength by default: n=2^18, r=8, p=1
  uint32_t pbkdf2_iterations = 262144;
};

// Decrypts a version-3 keystore. Errors are INVALID_ARGUMENT: malformed JSON or a missing or
// ill-typed field (named in the message), an unsupported kdf/prf/cipher, a wrong password
// ("MAC mismatch (wrong password?)"), or an "address" field that does not match the key.
absl::StatusOr<SecretBytes> DecryptKeystore(std::string_view json_text, std::string_view password);

// Encrypts a secp256k1 private key (32 bytes, valid scalar) with fresh random salt, iv and a
// UUIDv4 id. Returns the JSON text. INVALID_ARGUMENT for a bad key or KDF parameters.
absl::StatusOr<std::string> EncryptKeystore(ByteView private_key, std::string_view password,
                                            const KeystoreParams& params);

}  // namespace chainkms
