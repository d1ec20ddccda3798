#include "lib/eth/keystore.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "lib/common/hex.h"
#include "lib/common/status_macros.h"
#include "lib/crypto/aes.h"
#include "lib/crypto/keccak.h"
#include "lib/crypto/random.h"
#include "lib/crypto/secp256k1.h"

namespace chainkms {
namespace {

using nlohmann::json;

// Keys need 16 bytes for AES and 16 for the MAC; anything far larger is not a real keystore.
constexpr uint64_t kMinDklen = 32;
constexpr uint64_t kMaxDklen = 64;

absl::Status Missing(std::string_view field, std::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("keystore: ", std::string(field), " ", std::string(what)));
}

absl::StatusOr<const json*> Field(const json& obj, const char* name, std::string_view path) {
  if (!obj.is_object() || !obj.contains(name)) return Missing(path, "is missing");
  return &obj.at(name);
}

absl::StatusOr<std::string> StringField(const json& obj, const char* name, std::string_view path) {
  ASSIGN_OR_RETURN(const json* v, Field(obj, name, path));
  if (!v->is_string()) return Missing(path, "must be a string");
  return v->get<std::string>();
}

absl::StatusOr<Bytes> HexField(const json& obj, const char* name, std::string_view path) {
  ASSIGN_OR_RETURN(std::string s, StringField(obj, name, path));
  return HexDecode(s, HexPrefix::kOptional, path);
}

absl::StatusOr<uint64_t> UintField(const json& obj, const char* name, std::string_view path) {
  ASSIGN_OR_RETURN(const json* v, Field(obj, name, path));
  if (!v->is_number_unsigned()) return Missing(path, "must be a non-negative integer");
  return v->get<uint64_t>();
}

absl::StatusOr<SecretBytes> DeriveKey(const json& crypto, ByteView password) {
  ASSIGN_OR_RETURN(std::string kdf, StringField(crypto, "kdf", "crypto.kdf"));
  ASSIGN_OR_RETURN(const json* params, Field(crypto, "kdfparams", "crypto.kdfparams"));
  ASSIGN_OR_RETURN(Bytes salt, HexField(*params, "salt", "crypto.kdfparams.salt"));
  ASSIGN_OR_RETURN(uint64_t dklen, UintField(*params, "dklen", "crypto.kdfparams.dklen"));
  if (dklen < kMinDklen || dklen > kMaxDklen) {
    return Missing("crypto.kdfparams.dklen", "must be between 32 and 64");
  }
  if (kdf == "scrypt") {
    ScryptParams sp;
    ASSIGN_OR_RETURN(sp.n, UintField(*params, "n", "crypto.kdfparams.n"));
    ASSIGN_OR_RETURN(uint64_t r, UintField(*params, "r", "crypto.kdfparams.r"));
    ASSIGN_OR_RETURN(uint64_t p, UintField(*params, "p", "crypto.kdfparams.p"));
    if (r == 0 || r > UINT32_MAX || p == 0 || p > UINT32_MAX) {
      return Missing("crypto.kdfparams.r/p", "out of range");
    }
    sp.r = static_cast<uint32_t>(r);
    sp.p = static_cast<uint32_t>(p);
    return Scrypt(password, salt, sp, dklen);
  }
  if (kdf == "pbkdf2") {
    ASSIGN_OR_RETURN(std::string prf, StringField(*params, "prf", "crypto.kdfparams.prf"));
    if (prf != "hmac-sha256") return Missing("crypto.kdfparams.prf", "must be hmac-sha256");
    ASSIGN_OR_RETURN(uint64_t c, UintField(*params, "c", "crypto.kdfparams.c"));
    if (c == 0 || c > UINT32_MAX) return Missing("crypto.kdfparams.c", "out of range");
    return Pbkdf2HmacSha256(password, salt, static_cast<uint32_t>(c), dklen);
  }
  return Missing("crypto.kdf", "must be scrypt or pbkdf2");
}

Hash32 KeystoreMac(ByteView mac_key, ByteView ciphertext) {
  Keccak256Hasher h;
  h.Update(mac_key);
  h.Update(ciphertext);
  return h.Finalize();
}

bool ConstantTimeEquals(ByteView a, ByteView b) {
  if (a.size() != b.size()) return false;
  volatile uint8_t diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff = static_cast<uint8_t>(diff | (a[i] ^ b[i]));
  return diff == 0;
}

std::string UuidV4() {
  Bytes b = RandomBytes(16);
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);
  const std::string h = HexEncode(b);
  return absl::StrCat(h.substr(0, 8), "-", h.substr(8, 4), "-", h.substr(12, 4), "-",
                      h.substr(16, 4), "-", h.substr(20));
}

absl::StatusOr<SecretBytes> Decrypt(const json& doc, std::string_view password) {
  ASSIGN_OR_RETURN(uint64_t version, UintField(doc, "version", "version"));
  if (version != 3) return Missing("version", "must be 3");
  // Some old geth files capitalise the key.
  const char* crypto_key = doc.contains("crypto") ? "crypto" : "Crypto";
  ASSIGN_OR_RETURN(const json* crypto, Field(doc, crypto_key, "crypto"));
  ASSIGN_OR_RETURN(std::string cipher, StringField(*crypto, "cipher", "crypto.cipher"));
  if (cipher != "aes-128-ctr") return Missing("crypto.cipher", "must be aes-128-ctr");
  ASSIGN_OR_RETURN(const json* cipherparams, Field(*crypto, "cipherparams", "crypto.cipherparams"));
  ASSIGN_OR_RETURN(Bytes iv, HexField(*cipherparams, "iv", "crypto.cipherparams.iv"));
  if (iv.size() != 16) return Missing("crypto.cipherparams.iv", "must be 16 bytes");
  ASSIGN_OR_RETURN(Bytes ciphertext, HexField(*crypto, "ciphertext", "crypto.ciphertext"));
  ASSIGN_OR_RETURN(Bytes mac, HexField(*crypto, "mac", "crypto.mac"));
  if (mac.size() != 32) return Missing("crypto.mac", "must be 32 bytes");

  ASSIGN_OR_RETURN(SecretBytes derived, DeriveKey(*crypto, AsBytes(password)));
  const Hash32 want = KeystoreMac(derived.view().subspan(16, 16), ciphertext);
  if (!ConstantTimeEquals(want.view(), mac)) {
    return absl::InvalidArgumentError("keystore: MAC mismatch (wrong password?)");
  }
  absl::StatusOr<Bytes> plain = Aes128Ctr(derived.view().first(16), iv, ciphertext);
  derived.Wipe();
  if (!plain.ok()) return plain.status();
  SecretBytes key(std::move(*plain));
  SecureWipe(*plain);  // moved-from, so normally empty; never leave key bytes behind

  if (doc.contains("address") && doc.at("address").is_string() && key.size() == 32) {
    ASSIGN_OR_RETURN(Bytes addr, HexField(doc, "address", "address"));
    auto priv = Secp256k1PrivateKey::FromBytes(key.view());
    if (!priv.ok()) return Missing("crypto.ciphertext", "does not decrypt to a valid secp256k1 key");
    if (!ConstantTimeEquals(priv->ToAddress().view(), addr)) {
      return Missing("address", "does not match the decrypted key");
    }
  }
  return key;
}

}  // namespace

absl::StatusOr<SecretBytes> DecryptKeystore(std::string_view json_text, std::string_view password) {
  const json doc = json::parse(json_text.begin(), json_text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return absl::InvalidArgumentError("keystore: not valid JSON");
  if (!doc.is_object()) return absl::InvalidArgumentError("keystore: top level must be an object");
  try {
    return Decrypt(doc, password);
  } catch (const json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("keystore: malformed: ", e.what()));
  }
}

absl::StatusOr<std::string> EncryptKeystore(ByteView private_key, std::string_view password,
                                            const KeystoreParams& params) {
  ASSIGN_OR_RETURN(Secp256k1PrivateKey key, Secp256k1PrivateKey::FromBytes(private_key));
  const Bytes salt = RandomBytes(32);
  const Bytes iv = RandomBytes(16);
  constexpr size_t kDklen = 32;
  json kdfparams = {{"dklen", kDklen}, {"salt", HexEncode(salt)}};
  absl::StatusOr<SecretBytes> derived;
  std::string kdf_name;
  if (params.kdf == KeystoreKdf::kScrypt) {
    derived = Scrypt(AsBytes(password), salt, params.scrypt, kDklen);
    kdf_name = "scrypt";
    kdfparams["n"] = params.scrypt.n;
    kdfparams["r"] = params.scrypt.r;
    kdfparams["p"] = params.scrypt.p;
  } else {
    derived = Pbkdf2HmacSha256(AsBytes(password), salt, params.pbkdf2_iterations, kDklen);
    kdf_name = "pbkdf2";
    kdfparams["c"] = params.pbkdf2_iterations;
    kdfparams["prf"] = "hmac-sha256";
  }
  if (!derived.ok()) return derived.status();
  ASSIGN_OR_RETURN(Bytes ciphertext, Aes128Ctr(derived->view().first(16), iv, key.secret().view()));
  const Hash32 mac = KeystoreMac(derived->view().subspan(16, 16), ciphertext);
  const json doc = {
      {"address", HexEncode(key.ToAddress().view())},
      {"crypto",
       {{"cipher", "aes-128-ctr"},
        {"cipherparams", {{"iv", HexEncode(iv)}}},
        {"ciphertext", HexEncode(ciphertext)},
        {"kdf", kdf_name},
        {"kdfparams", kdfparams},
        {"mac", HexEncode(mac.view())}}},
      {"id", UuidV4()},
      {"version", 3},
  };
  return doc.dump();
}

}  // namespace chainkms
