#include "lib/chain/signer_set.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <span>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "lib/common/hex.h"
#include "lib/common/secret_bytes.h"
#include "lib/common/status_macros.h"
#include "lib/eth/address.h"
#include "lib/eth/keystore.h"
#include "lib/common/reason.h"

namespace chainkms {
namespace {

absl::Status KeystoreError(std::string message, std::string_view file = {}) {
  ReasonMetadata metadata;
  if (!file.empty()) metadata["file"] = std::string(file);
  return WithReason(absl::InvalidArgumentError(std::move(message)), Reason::kKeystoreInvalid, metadata);
}

void WipeString(std::string& s) {
  SecureWipe(std::span<uint8_t>(reinterpret_cast<uint8_t*>(s.data()), s.size()));
  s.clear();
}

// Holds a password and wipes it on every exit path.
class Password {
 public:
  Password() = default;
  Password(const Password&) = delete;
  Password& operator=(const Password&) = delete;
  ~Password() { WipeString(value_); }
  std::string& value() { return value_; }

 private:
  std::string value_;
};

absl::Status ReadPassword(const KeystorePassword& source, const EnvLookup& env, Password& out) {
  if (source.name.empty()) return KeystoreError("keystore password source is empty");
  if (source.source == KeystorePassword::Source::kEnv) {
    std::optional<std::string> v = env(source.name);
    if (!v.has_value()) {
      return KeystoreError(absl::StrCat("keystore password: environment variable ", source.name,
                                        " is not set"));
    }
    out.value() = std::move(*v);
    WipeString(*v);
    return absl::OkStatus();
  }
  std::ifstream in(source.name, std::ios::binary);
  if (!in) {
    return KeystoreError(absl::StrCat("keystore password file ", source.name, " cannot be read"),
                         source.name);
  }
  std::string& text = out.value();
  text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  // The first line only, as geth's --password; a trailing "\r" belongs to the line ending.
  size_t nl = text.find('\n');
  if (nl != std::string::npos) {
    SecureWipe(std::span<uint8_t>(reinterpret_cast<uint8_t*>(text.data()) + nl, text.size() - nl));
    text.resize(nl);
  }
  if (!text.empty() && text.back() == '\r') text.pop_back();
  return absl::OkStatus();
}

bool IsKeystoreName(const std::string& name) {
  return name.starts_with("UTC--") ||
         (name.size() > 5 && name.ends_with(".json"));
}

}  // namespace

absl::Status SignerSet::LoadKeystoreDir(const std::string& dir, const KeystorePassword& password,
                                        const EnvLookup& env) {
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) {
    return KeystoreError(absl::StrCat("keystore directory ", dir, " cannot be read: ", ec.message()));
  }
  for (const auto& entry : it) {
    if (!entry.is_regular_file(ec) || ec) continue;
    if (IsKeystoreName(entry.path().filename().string())) files.push_back(entry.path());
  }
  if (files.empty()) {
    return KeystoreError(
        absl::StrCat("keystore directory ", dir, " holds no *.json or UTC--* keystore file"));
  }
  std::sort(files.begin(), files.end());

  Password pw;
  RETURN_IF_ERROR(ReadPassword(password, env, pw));
  for (const auto& path : files) {
    const std::string file = path.string();
    std::ifstream in(path, std::ios::binary);
    if (!in) return KeystoreError(absl::StrCat("keystore ", file, " cannot be read"), file);
    std::string json((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // DecryptKeystore's messages name fields and say "wrong password?", never the password.
    absl::StatusOr<SecretBytes> secret = DecryptKeystore(json, pw.value());
    if (!secret.ok()) {
      return KeystoreError(
          absl::StrCat("keystore ", file, " cannot be decrypted: ", secret.status().message()), file);
    }
    absl::StatusOr<Secp256k1PrivateKey> key = Secp256k1PrivateKey::FromBytes(secret->view());
    secret->Wipe();
    if (!key.ok()) {
      return KeystoreError(absl::StrCat("keystore ", file, " does not hold a valid secp256k1 key"), file);
    }
    RETURN_IF_ERROR(Insert(*std::move(key), absl::StrCat("keystore ", file)));
  }
  return absl::OkStatus();
}

absl::Status SignerSet::AddRawKeyFromEnv(std::string_view env_name, std::ostream* warnings,
                                         const EnvLookup& env) {
  const std::string name(env_name);
  std::optional<std::string> v = name.empty() ? std::nullopt : env(name);
  if (!v.has_value()) {
    return KeystoreError(absl::StrCat("raw private key: environment variable ", name, " is not set"));
  }
  std::string text = std::move(*v);
  WipeString(*v);
  std::string_view digits = text;
  if (HasHexPrefix(digits)) digits.remove_prefix(2);
  absl::StatusOr<Bytes> raw =
      digits.size() == 64 ? HexDecode(digits, HexPrefix::kForbidden) : absl::StatusOr<Bytes>();
  WipeString(text);
  if (digits.size() != 64 || !raw.ok()) {
    // The decoder's message may quote a character of the key: never pass it on.
    return KeystoreError(absl::StrCat("raw private key: environment variable ", name,
                                      " must hold 64 hex digits (optional 0x)"));
  }
  SecretBytes secret(std::move(*raw));
  absl::StatusOr<Secp256k1PrivateKey> key = Secp256k1PrivateKey::FromBytes(secret.view());
  secret.Wipe();
  if (!key.ok()) {
    return KeystoreError(absl::StrCat("raw private key: environment variable ", name,
                                      " is not a valid secp256k1 key"));
  }
  RETURN_IF_ERROR(Insert(*std::move(key), absl::StrCat("environment variable ", name)));
  std::ostream& out = warnings != nullptr ? *warnings : std::cerr;
  out << "raw private key from " << name << ": development only\n";
  out.flush();
  return absl::OkStatus();
}

absl::Status SignerSet::Add(Secp256k1PrivateKey key) {
  return Insert(std::move(key), "an in-memory key");
}

absl::Status SignerSet::Insert(Secp256k1PrivateKey key, std::string_view origin) {
  const Address address = key.ToAddress();
  if (auto it = origins_.find(address); it != origins_.end()) {
    return KeystoreError(absl::StrCat(std::string(origin), ": key for ", ToChecksumAddress(address),
                                      " is already loaded from ", it->second));
  }
  signers_.emplace(address, std::make_shared<LocalKeySigner>(std::move(key)));
  origins_.emplace(address, std::string(origin));
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<Signer>> SignerSet::Find(const Address& address) const {
  auto it = signers_.find(address);
  if (it == signers_.end()) {
    return WithReason(absl::InvalidArgumentError(absl::StrCat(
                          "from: no signing key is loaded for ", ToChecksumAddress(address))),
                      Reason::kUnknownSigner, {{"from", ToChecksumAddress(address)}});
  }
  return it->second;
}

std::vector<Address> SignerSet::Addresses() const {
  std::vector<Address> out;
  out.reserve(signers_.size());
  for (const auto& [address, signer] : signers_) out.push_back(address);
  return out;
}

}  // namespace chainkms
