// The signing key of wallet / mktx: `--private-key <hex>` (or a positional for wallet address).
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "lib/crypto/secp256k1.h"

namespace chainkms::cli {

// Decodes a 32-byte hex key ("0x" optional) without keeping copies of the text's bytes around.
// `text` is nullopt when no key was given. Errors never echo the key.
absl::StatusOr<Secp256k1PrivateKey> LoadPrivateKey(const std::optional<std::string>& text);

}  // namespace chainkms::cli
