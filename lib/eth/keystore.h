// Ethereum V3 keystores (the JSON files geth, cast and MetaMask write): parse, decrypt with a
// password, or encrypt a private key into one. KDF scrypt or pbkdf2 (hmac-sha256), cipher
// aes-128-ctr.
//
//   ASSIGN_OR_RETURN(KeystoreFile file, ParseKeystore(json_text));  // no KDF run, cheap
//   ASSIGN_OR_RETURN(SecretBytes key, DecryptKeystore(file, password));
//   ASSIGN_OR_RETURN(std::string json, EncryptKeystore(key.view(), password, {}));
#pragma once

#include <cstdint>
#include <optional>
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

// Limits on the work a keystore file may demand, so a hostile file cannot exhaust memory or time.
// geth's "standard" scrypt (n=2^18, r=8, p=1) and KeyStoreTests' test2 (n=2^18, r=1, p=8) both
// reach the 128·n·r·p limit exactly.
inline constexpr uint64_t kKeystoreMaxScryptN = uint64_t{1} << 20;
inline constexpr uint32_t kKeystoreMaxScryptR = 32;
inline constexpr uint32_t kKeystoreMaxScryptP = 16;
inline constexpr uint64_t kKeystoreMaxScryptWork = uint64_t{256} << 20;  // 128·n·r·p bytes
inline constexpr uint32_t kKeystoreMaxPbkdf2Iterations = 10'000'000;

// A structurally valid V3 keystore, before any KDF has run.
struct KeystoreFile {
  KeystoreParams params;  // only the members for params.kdf are meaningful
  Bytes salt;
  FixedBytes<16> iv;
  Hash32 ciphertext;  // the encrypted 32-byte private key
  Hash32 mac;         // keccak256(derived[16:32] ‖ ciphertext)
  std::optional<Address> address;  // only when the file has a string "address"
};

// Parses and validates a V3 keystore without running the KDF. Errors are INVALID_ARGUMENT naming
// the field: malformed JSON, a missing or ill-typed field, version ≠ 3, kdf other than scrypt or
// pbkdf2 (prf hmac-sha256), KDF parameters outside the limits above or not accepted by the KDF
// (scrypt n a power of two ≥ 2, r, p, c ≥ 1), dklen ≠ 32, cipher other than aes-128-ctr, iv not
// 16 bytes, ciphertext or mac not 32 bytes, address not 20 bytes.
absl::StatusOr<KeystoreFile> ParseKeystore(std::string_view json_text);

// Decrypts a parsed keystore. INVALID_ARGUMENT for a wrong password ("MAC mismatch (wrong
// password?)"), a plaintext that is not a valid secp256k1 key when an address is given, or an
// address that does not match the key.
absl::StatusOr<SecretBytes> DecryptKeystore(const KeystoreFile& file, std::string_view password);
// ParseKeystore then DecryptKeystore.
absl::StatusOr<SecretBytes> DecryptKeystore(std::string_view json_text, std::string_view password);

// Encrypts a secp256k1 private key (32 bytes, valid scalar) with fresh random salt, iv and a
// UUIDv4 id. Returns the JSON text. INVALID_ARGUMENT for a bad key or for KDF parameters that
// ParseKeystore would refuse.
absl::StatusOr<std::string> EncryptKeystore(ByteView private_key, std::string_view password,
                                            const KeystoreParams& params);

}  // namespace chainkms
