#include "lib/eth/keystore.h"

#include <nlohmann/json.hpp>

#include <utility>

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

// 16 bytes for AES-128 and 16 for the MAC key; every known writer uses exactly this.
constexpr uint64_t kDklen = 32;

absl::Status Invalid(std::string_view field, std::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("keystore: ", std::string(field), " ", std::string(what)));
}

absl::StatusOr<const json*> Field(const json& obj, const char* name, std::string_view path) {
  if (!obj.is_object() || !obj.contains(name)) return Invalid(path, "is missing");
  return &obj.at(name);
}

absl::StatusOr<std::string> StringField(const json& obj, const char* name, std::string_view path) {
  ASSIGN_OR_RETURN(const json* v, Field(obj, name, path));
  if (!v->is_string()) return Invalid(path, "must be a string");
  return v->get<std::string>();
}

absl::StatusOr<Bytes> HexField(const json& obj, const char* name, std::string_view path) {
  ASSIGN_OR_RETURN(std::string s, StringField(obj, name, path));
  return HexDecode(s, HexPrefix::kOptional, path);
}

template <size_t N>
absl::StatusOr<FixedBytes<N>> FixedHexField(const json& obj, const char* name,
                                            std::string_view path) {
  ASSIGN_OR_RETURN(Bytes b, HexField(obj, name, path));
  auto fixed = FixedBytes<N>::TryFrom(b);
  if (!fixed) return Invalid(path, absl::StrCat("must be ", N, " bytes, got ", b.size()));
  return *fixed;
}

absl::StatusOr<uint64_t> UintField(const json& obj, const char* name, std::string_view path) {
  ASSIGN_OR_RETURN(const json* v, Field(obj, name, path));
  if (!v->is_number_unsigned()) return Invalid(path, "must be a non-negative integer");
  return v->get<uint64_t>();
}

// Field names are the JSON paths, so the same check serves parsing and EncryptKeystore.
absl::Status CheckScryptParams(uint64_t n, uint64_t r, uint64_t p) {
  if (n < 2 || n > kKeystoreMaxScryptN || (n & (n - 1)) != 0) {
    return Invalid("crypto.kdfparams.n", absl::StrCat("must be a power of two from 2 to 2^20, got ", n));
  }
  if (r == 0 || r > kKeystoreMaxScryptR) {
    return Invalid("crypto.kdfparams.r", absl::StrCat("must be 1..", kKeystoreMaxScryptR, ", got ", r));
  }
  if (p == 0 || p > kKeystoreMaxScryptP) {
    return Invalid("crypto.kdfparams.p", absl::StrCat("must be 1..", kKeystoreMaxScryptP, ", got ", p));
  }
  // All three are bounded above, so the product cannot overflow.
  if (128 * n * r * p > kKeystoreMaxScryptWork) {
    return Invalid("crypto.kdfparams.n/r/p", "need more than 256 MiB of scrypt work (128·n·r·p)");
  }
  return absl::OkStatus();
}

absl::Status CheckPbkdf2Iterations(uint64_t c) {
  if (c == 0 || c > kKeystoreMaxPbkdf2Iterations) {
    return Invalid("crypto.kdfparams.c",
                   absl::StrCat("must be 1..", kKeystoreMaxPbkdf2Iterations, ", got ", c));
  }
  return absl::OkStatus();
}

absl::Status ParseKdf(const json& crypto, KeystoreFile& out) {
  ASSIGN_OR_RETURN(std::string kdf, StringField(crypto, "kdf", "crypto.kdf"));
  ASSIGN_OR_RETURN(const json* params, Field(crypto, "kdfparams", "crypto.kdfparams"));
  ASSIGN_OR_RETURN(out.salt, HexField(*params, "salt", "crypto.kdfparams.salt"));
  ASSIGN_OR_RETURN(uint64_t dklen, UintField(*params, "dklen", "crypto.kdfparams.dklen"));
  if (dklen != kDklen) return Invalid("crypto.kdfparams.dklen", "must be 32");
  if (kdf == "scrypt") {
    ASSIGN_OR_RETURN(uint64_t n, UintField(*params, "n", "crypto.kdfparams.n"));
    ASSIGN_OR_RETURN(uint64_t r, UintField(*params, "r", "crypto.kdfparams.r"));
    ASSIGN_OR_RETURN(uint64_t p, UintField(*params, "p", "crypto.kdfparams.p"));
    RETURN_IF_ERROR(CheckScryptParams(n, r, p));
    out.params.kdf = KeystoreKdf::kScrypt;
    out.params.scrypt = ScryptParams{n, static_cast<uint32_t>(r), static_cast<uint32_t>(p)};
    return absl::OkStatus();
  }
  if (kdf == "pbkdf2") {
    ASSIGN_OR_RETURN(std::string prf, StringField(*params, "prf", "crypto.kdfparams.prf"));
    if (prf != "hmac-sha256") return Invalid("crypto.kdfparams.prf", "must be hmac-sha256");
    ASSIGN_OR_RETURN(uint64_t c, UintField(*params, "c", "crypto.kdfparams.c"));
    RETURN_IF_ERROR(CheckPbkdf2Iterations(c));
    out.params.kdf = KeystoreKdf::kPbkdf2;
    out.params.pbkdf2_iterations = static_cast<uint32_t>(c);
    return absl::OkStatus();
  }
  return Invalid("crypto.kdf", "must be scrypt or pbkdf2");
}

absl::StatusOr<KeystoreFile> Parse(const json& doc) {
  KeystoreFile out;
  ASSIGN_OR_RETURN(uint64_t version, UintField(doc, "version", "version"));
  if (version != 3) return Invalid("version", "must be 3");
  // Some old geth files capitalise the key.
  const char* crypto_key = doc.contains("crypto") ? "crypto" : "Crypto";
  ASSIGN_OR_RETURN(const json* crypto, Field(doc, crypto_key, "crypto"));
  ASSIGN_OR_RETURN(std::string cipher, StringField(*crypto, "cipher", "crypto.cipher"));
  if (cipher != "aes-128-ctr") return Invalid("crypto.cipher", "must be aes-128-ctr");
  ASSIGN_OR_RETURN(const json* cipherparams, Field(*crypto, "cipherparams", "crypto.cipherparams"));
  ASSIGN_OR_RETURN(out.iv, FixedHexField<16>(*cipherparams, "iv", "crypto.cipherparams.iv"));
  ASSIGN_OR_RETURN(out.ciphertext, FixedHexField<32>(*crypto, "ciphertext", "crypto.ciphertext"));
  ASSIGN_OR_RETURN(out.mac, FixedHexField<32>(*crypto, "mac", "crypto.mac"));
  RETURN_IF_ERROR(ParseKdf(*crypto, out));
  if (doc.contains("address") && doc.at("address").is_string()) {
    ASSIGN_OR_RETURN(out.address, FixedHexField<20>(doc, "address", "address"));
  }
  return out;
}

absl::StatusOr<SecretBytes> DeriveKey(const KeystoreParams& params, ByteView password,
                                      ByteView salt) {
  if (params.kdf == KeystoreKdf::kScrypt) return Scrypt(password, salt, params.scrypt, kDklen);
  return Pbkdf2HmacSha256(password, salt, params.pbkdf2_iterations, kDklen);
}

Hash32 KeystoreMac(ByteView mac_key, ByteView ciphertext) {
  Keccak256Hasher h;
  h.Update(mac_key);
  h.Update(ciphertext);
  return h.Finalize();
}

std::string UuidV4() {
  Bytes b = RandomBytes(16);
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);
  const std::string h = HexEncode(b);
  return absl::StrCat(h.substr(0, 8), "-", h.substr(8, 4), "-", h.substr(12, 4), "-",
                      h.substr(16, 4), "-", h.substr(20));
}

}  // namespace

absl::StatusOr<KeystoreFile> ParseKeystore(std::string_view json_text) {
  const json doc = json::parse(json_text.begin(), json_text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return absl::InvalidArgumentError("keystore: not valid JSON");
  if (!doc.is_object()) return absl::InvalidArgumentError("keystore: top level must be an object");
  try {
    return Parse(doc);
  } catch (const json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("keystore: malformed: ", e.what()));
  }
}

absl::StatusOr<SecretBytes> DecryptKeystore(const KeystoreFile& file, std::string_view password) {
  ASSIGN_OR_RETURN(SecretBytes derived, DeriveKey(file.params, AsBytes(password), file.salt));
  const Hash32 want = KeystoreMac(derived.view().subspan(16, 16), file.ciphertext.view());
  if (!ConstantTimeEquals(want.view(), file.mac.view())) {
    return absl::InvalidArgumentError("keystore: MAC mismatch (wrong password?)");
  }
  absl::StatusOr<Bytes> plain = Aes128Ctr(derived.view().first(16), file.iv.view(),
                                          file.ciphertext.view());
  derived.Wipe();
  if (!plain.ok()) return plain.status();
  SecretBytes key(std::move(*plain));
  SecureWipe(*plain);  // moved-from, so normally empty; never leave key bytes behind

  if (file.address) {
    auto priv = Secp256k1PrivateKey::FromBytes(key.view());
    if (!priv.ok()) return Invalid("crypto.ciphertext", "does not decrypt to a valid secp256k1 key");
    if (priv->ToAddress() != *file.address) {
      return Invalid("address", "does not match the decrypted key");
    }
  }
  return key;
}

absl::StatusOr<SecretBytes> DecryptKeystore(std::string_view json_text, std::string_view password) {
  ASSIGN_OR_RETURN(KeystoreFile file, ParseKeystore(json_text));
  return DecryptKeystore(file, password);
}

absl::StatusOr<std::string> EncryptKeystore(ByteView private_key, std::string_view password,
                                            const KeystoreParams& params) {
  ASSIGN_OR_RETURN(Secp256k1PrivateKey key, Secp256k1PrivateKey::FromBytes(private_key));
  if (params.kdf == KeystoreKdf::kScrypt) {
    RETURN_IF_ERROR(CheckScryptParams(params.scrypt.n, params.scrypt.r, params.scrypt.p));
  } else {
    RETURN_IF_ERROR(CheckPbkdf2Iterations(params.pbkdf2_iterations));
  }
  const Bytes salt = RandomBytes(32);
  const Bytes iv = RandomBytes(16);
  ASSIGN_OR_RETURN(SecretBytes derived, DeriveKey(params, AsBytes(password), salt));
  json kdfparams = {{"dklen", kDklen}, {"salt", HexEncode(salt)}};
  if (params.kdf == KeystoreKdf::kScrypt) {
    kdfparams["n"] = params.scrypt.n;
    kdfparams["r"] = params.scrypt.r;
    kdfparams["p"] = params.scrypt.p;
  } else {
    kdfparams["c"] = params.pbkdf2_iterations;
    kdfparams["prf"] = "hmac-sha256";
  }
  ASSIGN_OR_RETURN(Bytes ciphertext, Aes128Ctr(derived.view().first(16), iv, key.secret().view()));
  const Hash32 mac = KeystoreMac(derived.view().subspan(16, 16), ciphertext);
  const json doc = {
      {"address", HexEncode(key.ToAddress().view())},
      {"crypto",
       {{"cipher", "aes-128-ctr"},
        {"cipherparams", {{"iv", HexEncode(iv)}}},
        {"ciphertext", HexEncode(ciphertext)},
        {"kdf", params.kdf == KeystoreKdf::kScrypt ? "scrypt" : "pbkdf2"},
        {"kdfparams", kdfparams},
        {"mac", HexEncode(mac.view())}}},
      {"id", UuidV4()},
      {"version", 3},
  };
  return doc.dump();
}

}  // namespace chainkms
