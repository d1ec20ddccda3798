// keccak, sig, sig-event, to-check-sum-address, compute-address, hash-message, to-rlp, from-rlp.
#include <cctype>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/eth/commands.h"
#include "cli/eth/json_text.h"
#include "cli/eth/sig_text.h"
#include "cli/eth/util.h"
#include "lib/common/hex.h"
#include "lib/common/status_macros.h"
#include "lib/crypto/keccak.h"
#include "lib/eth/address.h"
#include "lib/eth/message.h"
#include "lib/eth/rlp.h"

namespace chainkms::cli {
namespace {

// The first positional, or the first line of stdin when it is missing.
std::string ArgOrStdinLine(const Args& args) {
  return args.positional().empty() ? ReadStdinFirstLine() : args.positional()[0];
}

absl::Status WithContext(std::string_view top, const absl::Status& cause) {
  return absl::InvalidArgumentError(
      absl::StrCat(std::string(top), ": ", std::string(cause.message())));
}

absl::StatusOr<std::string> Keccak(const Args& args) {
  std::string data;
  if (args.positional().empty()) {
    data = ReadStdinAll();
    // From stdin only the hex form is trimmed; text is hashed with its newline.
    if (data.rfind("0x", 0) == 0) {
      while (!data.empty() && std::isspace(static_cast<unsigned char>(data.back()))) data.pop_back();
    }
  } else {
    data = args.positional()[0];
  }
  Hash32 h;
  if (data.rfind("0x", 0) == 0) {
    ASSIGN_OR_RETURN(Bytes b, CastHexDecode(data));
    h = Keccak256(b);
  } else {
    h = Keccak256(AsBytes(data));
  }
  return Hex0x(h.view()) + "\n";
}

absl::StatusOr<std::string> Sig(const Args& args) {
  ASSIGN_OR_RETURN(std::string canonical, CanonicalSignature(ArgOrStdinLine(args), SigKind::kFunction));
  const Hash32 h = Keccak256(AsBytes(canonical));
  return Hex0x(ByteView(h.bytes).first(4)) + "\n";
}

absl::StatusOr<std::string> SigEvent(const Args& args) {
  ASSIGN_OR_RETURN(std::string canonical, CanonicalSignature(ArgOrStdinLine(args), SigKind::kEvent));
  return Hex0x(Keccak256(AsBytes(canonical)).view()) + "\n";
}

// EIP-1191: with a chain id the checksum hashes "<chainId>0x<lowercase address>".
std::string ChecksumWithChain(const Address& a, uint64_t chain_id) {
  std::string lower = HexEncode(a.view());
  const Hash32 h = Keccak256(AsBytes(absl::StrCat(chain_id, "0x", lower)));
  for (size_t i = 0; i < lower.size(); ++i) {
    const uint8_t nibble = (i % 2 == 0) ? (h[i / 2] >> 4) : (h[i / 2] & 0x0f);
    if (lower[i] >= 'a' && nibble >= 8) lower[i] = static_cast<char>(lower[i] - 32);
  }
  return "0x" + lower;
}

absl::StatusOr<std::string> ToCheckSumAddress(const Args& args) {
  const std::string text = ArgOrStdinLine(args);
  auto addr = CastParseAddress(text);
  if (!addr.ok()) return WithContext(absl::StrCat("invalid address '", text, "'"), addr.status());
  if (args.positional().size() >= 2) {
    ASSIGN_OR_RETURN(uint64_t chain, ParseU64(args.positional()[1], "chain id", false));
    return ChecksumWithChain(*addr, chain) + "\n";
  }
  return ToChecksumAddress(*addr) + "\n";
}

absl::StatusOr<std::string> ComputeAddress(const Args& args) {
  const std::string text = ArgOrStdinLine(args);
  auto addr = CastParseAddress(text);
  if (!addr.ok()) return WithContext(absl::StrCat("invalid address '", text, "'"), addr.status());
  const auto nonce_text = args.Get("--nonce");
  if (!nonce_text) {
    return absl::InvalidArgumentError("--nonce is required (offline: no RPC to read the account nonce)");
  }
  ASSIGN_OR_RETURN(uint64_t nonce, ParseU64(*nonce_text, "--nonce", false));
  return absl::StrCat("Computed Address: ", ToChecksumAddress(ComputeCreateAddress(*addr, nonce)),
                      "\n");
}

absl::StatusOr<std::string> HashMessage(const Args& args) {
  const std::string msg = args.positional().empty() ? ReadStdinAll() : args.positional()[0];
  return Hex0x(HashPersonalMessage(AsBytes(msg)).view()) + "\n";
}

absl::StatusOr<RlpItem> JsonToRlp(const JsonNode& j) {
  switch (j.kind) {
    case JsonNode::kNull:
      return RlpItem();
    case JsonNode::kBool:
      return absl::InvalidArgumentError("RLP input can not contain booleans");
    case JsonNode::kObject:
      return absl::InvalidArgumentError("RLP input can not contain objects");
    case JsonNode::kArray: {
      std::vector<RlpItem> items;
      for (const auto& e : j.items) {
        ASSIGN_OR_RETURN(RlpItem item, JsonToRlp(e));
        items.push_back(std::move(item));
      }
      return RlpItem::List(std::move(items));
    }
    case JsonNode::kNumber: {
      for (char c : j.text) {
        if (!std::isdigit(static_cast<unsigned char>(c))) {
          return absl::InvalidArgumentError(absl::StrCat("invalid digit: ", std::string(1, c)));
        }
      }
      auto v = U256::FromDecimal(j.text);
      if (!v.ok()) return absl::InvalidArgumentError("the value is too large to fit the target type");
      return RlpItem::String(v->ToMinimalBigEndian());
    }
    case JsonNode::kString: {
      auto b = CastHexDecode(j.text);
      if (!b.ok()) return WithContext("Could not decode hex", b.status());
      return RlpItem::String(*b);
    }
  }
  return RlpItem();
}

absl::StatusOr<std::string> ToRlp(const Args& args) {
  const std::string text = ArgOrStdinLine(args);
  const std::optional<JsonNode> j = ParseJsonKeepingNumbers(text);
  RlpItem item;
  if (!j) {
    auto b = CastHexDecode(text);
    if (!b.ok()) return WithContext("Could not decode hex", b.status());
    item = RlpItem::String(*b);
  } else {
    ASSIGN_OR_RETURN(item, JsonToRlp(*j));
  }
  return Hex0x(RlpEncode(item)) + "\n";
}

std::string RlpToText(const RlpItem& item) {
  if (!item.is_list()) return "\"" + Hex0x(item.bytes()) + "\"";
  std::string out = "[";
  for (size_t i = 0; i < item.items().size(); ++i) {
    if (i) out += ",";
    out += RlpToText(item.items()[i]);
  }
  return out + "]";
}

absl::StatusOr<std::string> FromRlp(const Args& args) {
  auto raw = CastHexDecode(ArgOrStdinLine(args));
  if (!raw.ok()) return WithContext("Could not decode hex", raw.status());
  auto len = RlpFirstItemLength(*raw);
  if (!len.ok()) return WithContext("Could not decode rlp", len.status());
  auto item = RlpDecode(ByteView(*raw).first(*len));
  if (!item.ok()) return WithContext("Could not decode rlp", item.status());
  if (args.Has("--as-int")) {
    if (item->is_list()) return absl::InvalidArgumentError("unexpected list");
    if (!item->bytes().empty() && item->bytes()[0] == 0) return absl::InvalidArgumentError("leading zero");
    if (item->bytes().size() > 32) return absl::InvalidArgumentError("overflow");
    ASSIGN_OR_RETURN(U256 v, U256::FromBigEndian(item->bytes()));
    return v.ToDecimal() + "\n";
  }
  return RlpToText(*item) + "\n";
}

}  // namespace

void AddMiscCommands(std::vector<Command>& out) {
  out.push_back({"keccak", "Hash arbitrary data using Keccak-256",
                 {.max_positional = 1, .usage = "keccak [DATA]"}, Keccak});
  out.push_back({"sig", "Get the selector for a function",
                 {.max_positional = 1, .usage = "sig [SIG]"}, Sig});
  out.push_back({"sig-event", "Generate event signatures from event string",
                 {.max_positional = 1, .usage = "sig-event [EVENT_STRING]"}, SigEvent});
  out.push_back({"to-check-sum-address", "Convert an address to a checksummed format (EIP-55)",
                 {.max_positional = 2, .usage = "to-check-sum-address [ADDRESS] [CHAIN_ID]"},
                 ToCheckSumAddress});
  out.push_back({"compute-address", "Compute the contract address from a deployer and nonce",
                 {.value_flags = {"--nonce"}, .max_positional = 1,
                  .usage = "compute-address [ADDRESS] --nonce <NONCE>"},
                 ComputeAddress});
  out.push_back({"hash-message", "Hash a message according to EIP-191",
                 {.max_positional = 1, .usage = "hash-message [MESSAGE]"}, HashMessage});
  out.push_back({"to-rlp", "RLP encodes hex data, or an array of hex data",
                 {.max_positional = 1, .usage = "to-rlp [VALUE]"}, ToRlp});
  out.push_back({"from-rlp", "Decodes RLP hex-encoded data",
                 {.bool_flags = {"--as-int"}, .max_positional = 1,
                  .usage = "from-rlp [VALUE] [--as-int]"},
                 FromRlp});
}

}  // namespace chainkms::cli
