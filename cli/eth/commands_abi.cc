// calldata, abi-encode, decode-abi, decode-calldata, decode-error.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/eth/abi_lenient.h"
#include "cli/eth/commands.h"
#include "cli/eth/util.h"
#include "lib/common/hex.h"
#include "lib/common/status_macros.h"
#include "lib/eth/abi.h"
#include "lib/eth/abi_text.h"
#include "lib/eth/abi_type.h"

namespace chainkms::cli {
namespace {

absl::StatusOr<AbiSignature> ParseSig(std::string_view text, std::string_view what = "function") {
  auto sig = ParseSignature(text);
  if (!sig.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("could not parse ", std::string(what),
                                                   " signature: ", std::string(sig.status().message())));
  }
  return sig;
}

// Encodes the text arguments for sig's inputs (cast calldata without the selector).
absl::StatusOr<Bytes> EncodeArgs(const AbiSignature& sig, std::span<const std::string> args,
                                 bool packed = false) {
  const std::vector<AbiType> types = sig.InputTypes();
  ASSIGN_OR_RETURN(std::vector<AbiValue> values, ParseAbiArgsText(types, args));
  if (packed) return AbiEncodePacked(types, values);
  return AbiEncode(types, values);
}

absl::StatusOr<std::string> Calldata(const Args& args) {
  const auto& pos = args.positional();
  ASSIGN_OR_RETURN(AbiSignature sig, ParseSig(pos[0]));
  ASSIGN_OR_RETURN(Bytes body, EncodeArgs(sig, std::span(pos).subspan(1)));
  const FunctionSelector sel = SelectorOf(sig);
  return Hex0x(Concat({sel.view(), body})) + "\n";
}

absl::StatusOr<std::string> AbiEncodeCmd(const Args& args) {
  const auto& pos = args.positional();
  ASSIGN_OR_RETURN(AbiSignature sig, ParseSig(pos[0]));
  auto body = EncodeArgs(sig, std::span(pos).subspan(1), args.Has("--packed"));
  if (!body.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("Could not ABI encode the function and arguments: ",
                                                   std::string(body.status().message())));
  }
  return Hex0x(*body) + "\n";
}

std::string FormatDecoded(const Args& args, const std::vector<AbiValue>& values) {
  if (args.Has("--json")) {
    return AbiValuesToJson(values).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  }
  return FormatAbiValues(values);
}

absl::StatusOr<std::string> DecodeAbi(const Args& args) {
  const auto& pos = args.positional();
  ASSIGN_OR_RETURN(AbiSignature sig, ParseSig(pos[0]));
  ASSIGN_OR_RETURN(Bytes data, CastHexDecode(pos[1]));
  const std::vector<AbiType> types = args.Has("--input") ? sig.InputTypes() : sig.OutputTypes();
  if (types.empty()) return absl::InvalidArgumentError("no data was decoded");
  ASSIGN_OR_RETURN(std::vector<AbiValue> values, LenientAbiDecode(types, data));
  return FormatDecoded(args, values);
}

absl::StatusOr<std::string> DecodeCalldata(const Args& args) {
  const auto& pos = args.positional();
  ASSIGN_OR_RETURN(AbiSignature sig, ParseSig(pos[0]));
  std::string text;
  if (auto file = args.Get("--file")) {
    if (pos.size() > 1) return absl::InvalidArgumentError("give CALLDATA or --file, not both");
    std::ifstream in(*file, std::ios::binary);
    if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", *file));
    std::stringstream ss;
    ss << in.rdbuf();
    text = ss.str();
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  } else if (pos.size() > 1) {
    text = pos[1];
  } else {
    return absl::InvalidArgumentError("missing CALLDATA (or --file)");
  }
  ASSIGN_OR_RETURN(Bytes data, CastHexDecode(text));
  if (data.size() < 4) return absl::InvalidArgumentError("calldata shorter than a 4-byte selector");
  const std::vector<AbiType> types = sig.InputTypes();
  if (types.empty()) return absl::InvalidArgumentError("no data was decoded");
  ASSIGN_OR_RETURN(std::vector<AbiValue> values, LenientAbiDecode(types, ByteView(data).subspan(4)));
  return FormatDecoded(args, values);
}

absl::StatusOr<std::string> DecodeError(const Args& args) {
  const std::string& text = args.positional()[0];
  const auto sig_text = args.Get("--sig");
  if (!sig_text) {
    // cast looks the selector up in its signature cache and online; we are offline-only.
    std::string_view digits = text;
    if (digits.rfind("0x", 0) == 0) digits.remove_prefix(2);
    if (digits.size() < 8) return absl::InvalidArgumentError("invalid string length");
    return absl::NotFoundError(absl::StrCat("No matching error signature found for selector `",
                                            std::string(digits.substr(0, 8)),
                                            "` (offline: pass --sig)"));
  }
  ASSIGN_OR_RETURN(AbiSignature sig, ParseSig(*sig_text, "error"));
  ASSIGN_OR_RETURN(Bytes data, CastHexDecode(text));
  if (data.size() < 4) return absl::InvalidArgumentError("data shorter than a 4-byte selector");
  const FunctionSelector want = SelectorOf(sig);
  const ByteView got = ByteView(data).first(4);
  if (!std::equal(got.begin(), got.end(), want.begin())) {
    return absl::InvalidArgumentError(
        absl::StrCat("selector mismatch: expected ", Hex0x(want.view()), ", got ", Hex0x(got)));
  }
  const std::vector<AbiType> types = sig.InputTypes();
  ASSIGN_OR_RETURN(std::vector<AbiValue> values, LenientAbiDecode(types, ByteView(data).subspan(4)));
  return FormatDecoded(args, values);
}

}  // namespace

void AddAbiCommands(std::vector<Command>& out) {
  out.push_back({"calldata", "ABI-encode a function with arguments",
                 {.min_positional = 1, .hyphen_values_after = 1, .usage = "calldata <SIG> [ARGS]..."},
                 Calldata});
  out.push_back({"abi-encode", "ABI encode the given function argument, excluding the selector",
                 {.bool_flags = {"--packed"}, .min_positional = 1, .hyphen_values_after = 1,
                  .usage = "abi-encode [--packed] <SIG> [ARGS]..."},
                 AbiEncodeCmd});
  out.push_back({"decode-abi", "Decode ABI-encoded input or output data",
                 {.bool_flags = {"--input"}, .aliases = {{"-i", "--input"}}, .min_positional = 2,
                  .max_positional = 2, .usage = "decode-abi [--input] <SIG> <CALLDATA>"},
                 DecodeAbi});
  out.push_back({"decode-calldata", "Decode ABI-encoded input data (with selector)",
                 {.value_flags = {"--file"}, .aliases = {{"-f", "--file"}}, .min_positional = 1,
                  .max_positional = 2, .usage = "decode-calldata <SIG> [CALLDATA] [-f FILE]"},
                 DecodeCalldata});
  out.push_back({"decode-error", "Decode custom error data (offline: needs --sig)",
                 {.value_flags = {"--sig"}, .aliases = {{"--error-sig", "--sig"}},
                  .min_positional = 1, .max_positional = 1,
                  .usage = "decode-error --sig <SIG> <DATA>"},
                 DecodeError});
}

}  // namespace chainkms::cli
