// wallet address, wallet sign.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/eth/commands.h"
#include "cli/eth/private_key.h"
#include "cli/eth/util.h"
#include "lib/common/hex.h"
#include "lib/common/status_macros.h"
#include "lib/eth/address.h"
#include "lib/eth/message.h"

namespace chainkms::cli {
namespace {

absl::StatusOr<std::string> WalletAddress(const Args& args) {
  std::optional<std::string> text = args.Get("--private-key");
  if (!text && !args.positional().empty()) text = args.positional()[0];
  ASSIGN_OR_RETURN(Secp256k1PrivateKey key, LoadPrivateKey(text));
  return ToChecksumAddress(key.ToAddress()) + "\n";
}

absl::StatusOr<std::string> WalletSign(const Args& args) {
  ASSIGN_OR_RETURN(Secp256k1PrivateKey key, LoadPrivateKey(args.Get("--private-key")));
  const std::string& message = args.positional()[0];
  if (args.Has("--no-hash")) {
    ASSIGN_OR_RETURN(Bytes digest, CastHexDecode(message));
    auto hash = Hash32::TryFrom(digest);
    if (!hash) return absl::InvalidArgumentError("--no-hash needs a 32-byte hash");
    FixedBytes<65> sig = key.SignRecoverable(*hash).ToBytes();
    sig[64] = static_cast<uint8_t>(sig[64] + 27);
    return Hex0x(sig.view()) + "\n";
  }
  Bytes payload;
  if (message.rfind("0x", 0) == 0) {
    auto b = CastHexDecode(message);
    if (!b.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("Could not decode 0x-prefixed string: ",
                                                     std::string(b.status().message())));
    }
    payload = std::move(*b);
  } else {
    payload.assign(message.begin(), message.end());
  }
  return Hex0x(SignPersonalMessage(payload, key).view()) + "\n";
}

}  // namespace

void AddWalletCommands(std::vector<Command>& out) {
  out.push_back({"wallet address", "Print the address of a private key",
                 {.value_flags = {"--private-key"}, .max_positional = 1,
                  .usage = "wallet address --private-key <KEY>"},
                 WalletAddress});
  out.push_back({"wallet sign", "Sign a message (EIP-191) with a private key",
                 {.value_flags = {"--private-key"}, .bool_flags = {"--no-hash"},
                  .min_positional = 1, .max_positional = 1,
                  .usage = "wallet sign --private-key <KEY> [--no-hash] <MESSAGE>"},
                 WalletSign});
}

}  // namespace chainkms::cli
