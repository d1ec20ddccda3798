// SignerSet: the one registry of keys a service may send transactions with, loaded once at startup and selected
// by address per request. Keys come from Ethereum V3 keystores in a directory (the password from
// a file or an environment variable) or, for local development only, from a raw hex key in an
// environment variable.
//
//   SignerSet signers;
//   RETURN_IF_ERROR(signers.LoadKeystoreDir("/etc/chainkms/keys",
//                                           KeystorePassword::FromEnv("CHAINKMS_KEY_PASSWORD")));
//   ASSIGN_OR_RETURN(std::shared_ptr<Signer> signer, signers.Find(from));  // UNKNOWN_SIGNER otherwise
//   txm.Send({.signer = signer, .to = app, .data = ...});
//
// Secrets: private keys and passwords never appear in logs, errors or metrics (errors name the
// keystore FILE or the environment variable NAME only); decrypted bytes and passwords are wiped
// as soon as the key is held by its LocalKeySigner. Not thread-safe while loading; Find and
// Addresses are safe to call concurrently once loading is done.
#pragma once

#include <iosfwd>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/chain/signer.h"
#include "lib/common/env.h"
#include "lib/common/bytes.h"
#include "lib/crypto/secp256k1.h"

namespace chainkms {

// Where a keystore password comes from: the first line of a file (a trailing "\n" or "\r\n" is
// not part of the password, as geth's --password file) or an environment variable.
struct KeystorePassword {
  enum class Source { kFile, kEnv };
  Source source = Source::kFile;
  std::string name;  // file path or environment variable name

  static KeystorePassword FromFile(std::string path) { return {Source::kFile, std::move(path)}; }
  static KeystorePassword FromEnv(std::string var) { return {Source::kEnv, std::move(var)}; }
};

class SignerSet {
 public:
  SignerSet() = default;
  SignerSet(SignerSet&&) = default;
  SignerSet& operator=(SignerSet&&) = default;

  // Loads every regular file named *.json or UTC--* in `dir` (not recursive, in name order),
  // each decrypted with the same password (an env password is read through `env`). Errors
  // (INVALID_ARGUMENT, reason KEYSTORE_INVALID): the directory is unreadable or holds no keystore; the password file
  // or variable is missing or unreadable; a keystore does not parse or decrypt (the error names
  // the file, never the password); two files hold the same key, or a key already loaded.
  absl::Status LoadKeystoreDir(const std::string& dir, const KeystorePassword& password,
                               const EnvLookup& env = ProcessEnv());

  // Adds the key in environment variable `env_name` (64 hex digits, optional 0x) and writes
  // "raw private key from <env_name>: development only" to `warnings` (stderr by default).
  // INVALID_ARGUMENT naming the variable when it is unset or not a valid key (the value is
  // never echoed), or when its key is already loaded.
  absl::Status AddRawKeyFromEnv(std::string_view env_name, std::ostream* warnings = nullptr,
                                const EnvLookup& env = ProcessEnv());

  // Adds a key held in memory (tests, tools). INVALID_ARGUMENT when already loaded.
  absl::Status Add(Secp256k1PrivateKey key);

  // The signer for `address`; INVALID_ARGUMENT (reason UNKNOWN_SIGNER, metadata `from`) naming
  // the address when no loaded key has it.
  absl::StatusOr<std::shared_ptr<Signer>> Find(const Address& address) const;

  // Every loaded address, ascending.
  std::vector<Address> Addresses() const;
  size_t size() const { return signers_.size(); }
  bool empty() const { return signers_.empty(); }

 private:
  // `origin` says where the key came from, for the duplicate-key error.
  absl::Status Insert(Secp256k1PrivateKey key, std::string_view origin);

  std::map<Address, std::shared_ptr<Signer>> signers_;
  std::map<Address, std::string> origins_;
};

}  // namespace chainkms
