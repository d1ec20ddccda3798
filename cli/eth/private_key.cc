#include "cli/eth/private_key.h"

#include "cli/eth/util.h"
#include "lib/common/secret_bytes.h"

namespace chainkms::cli {

absl::StatusOr<Secp256k1PrivateKey> LoadPrivateKey(const std::optional<std::string>& text) {
  if (!text) {
    return absl::InvalidArgumentError(
        "no signing key: pass --private-key (keystores, mnemonics and hardware wallets are not "
        "supported offline)");
  }
  auto decoded = CastHexDecode(*text);
  if (!decoded.ok() || decoded->size() != 32) {
    if (decoded.ok()) SecureWipe(*decoded);
    return absl::InvalidArgumentError("Failed to decode private key (expected 32 bytes of hex)");
  }
  SecretBytes secret(std::move(*decoded));
  auto key = Secp256k1PrivateKey::FromBytes(secret.view());
  if (!key.ok()) {
    return absl::InvalidArgumentError(
        "Failed to create wallet from private key: not a valid secp256k1 scalar");
  }
  return key;
}

}  // namespace chainkms::cli
