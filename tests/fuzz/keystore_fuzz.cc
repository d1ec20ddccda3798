// Keystore parsing of arbitrary text (not the KDF): never crashes, never exceeds the KDF limits.
#include <cstdlib>
#include <string_view>

#include "lib/eth/keystore.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto file = chainkms::ParseKeystore(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!file.ok()) return 0;
  const chainkms::KeystoreParams& p = file->params;
  if (p.kdf == chainkms::KeystoreKdf::kScrypt
          ? 128 * p.scrypt.n * p.scrypt.r * p.scrypt.p > chainkms::kKeystoreMaxScryptWork
          : p.pbkdf2_iterations > chainkms::kKeystoreMaxPbkdf2Iterations) std::abort();
  return 0;
}
