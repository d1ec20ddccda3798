#include "lib/eth/revert.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "lib/common/hex.h"
#include "lib/common/status_macros.h"
#include "lib/eth/abi_text.h"

namespace chainkms {
namespace {

constexpr uint8_t kErrorSelector[4] = {0x08, 0xc3, 0x79, 0xa0};
constexpr uint8_t kPanicSelector[4] = {0x4e, 0x48, 0x7b, 0x71};

bool HasSelector(ByteView data, const uint8_t* sel) {
  return data.size() >= 4 && std::equal(sel, sel + 4, data.begin());
}

}  // namespace

std::string PanicDescription(const U256& code) {
  const std::optional<uint64_t> c = code.ToU64();
  switch (c.value_or(~uint64_t{0})) {
    case 0x00:
      return "generic compiler panic";
    case 0x01:
      return "assertion failed";
    case 0x11:
      return "arithmetic overflow or underflow";
    case 0x12:
      return "division or modulo by zero";
    case 0x21:
      return "conversion to an invalid enum value";
    case 0x22:
      return "access to an incorrectly encoded storage byte array";
    case 0x31:
      return "pop() on an empty array";
    case 0x32:
      return "array index out of bounds";
    case 0x41:
      return "out of memory (allocation too large)";
    case 0x51:
      return "call to a zero-initialized internal function";
    default:
      return "unknown panic code";
  }
}

absl::StatusOr<Revert> DecodeRevert(ByteView data,
                                    std::span<const std::string> custom_error_signatures) {
  std::vector<AbiSignature> customs;
  for (const auto& text : custom_error_signatures) {
    ASSIGN_OR_RETURN(AbiSignature sig, ParseSignature(text));
    customs.push_back(std::move(sig));
  }
  Revert r;
  r.raw.assign(data.begin(), data.end());
  if (data.empty()) return r;
  r.kind = RevertKind::kUnknown;
  if (data.size() < 4) return r;
  const ByteView body = data.subspan(4);
  if (HasSelector(data, kErrorSelector)) {
    const std::vector<AbiType> types{AbiType::String()};
    auto v = AbiDecode(types, body);
    if (v.ok()) {
      r.kind = RevertKind::kErrorString;
      r.message = (*v)[0].AsString();
    }
    return r;
  }
  if (HasSelector(data, kPanicSelector)) {
    const std::vector<AbiType> types{AbiType::Uint()};
    auto v = AbiDecode(types, body);
    if (v.ok()) {
      r.kind = RevertKind::kPanic;
      r.panic_code = (*v)[0].number;
    }
    return r;
  }
  for (const auto& sig : customs) {
    const FunctionSelector sel = SelectorOf(sig);
    if (!std::equal(sel.begin(), sel.end(), data.begin())) continue;
    const std::vector<AbiType> types = sig.InputTypes();
    auto v = AbiDecode(types, body);
    if (!v.ok()) continue;
    r.kind = RevertKind::kCustom;
    r.error_signature = sig.Canonical();
    r.args = std::move(*v);
    return r;
  }
  return r;
}

std::string Revert::Describe() const {
  switch (kind) {
    case RevertKind::kEmpty:
      return "reverted without data";
    case RevertKind::kErrorString:
      return absl::StrCat("reverted: ", message);
    case RevertKind::kPanic:
      return absl::StrCat("panic ", panic_code.ToHexQuantity(), ": ", PanicDescription(panic_code));
    case RevertKind::kCustom: {
      std::string out = error_signature.substr(0, error_signature.find('(')) + "(";
      for (size_t i = 0; i < args.size(); ++i) {
        if (i) out += ", ";
        out += FormatAbiValue(args[i]);
      }
      return out + ")";
    }
    case RevertKind::kUnknown:
      return absl::StrCat("reverted with unknown data ", Hex0x(raw));
  }
  return "";
}

}  // namespace chainkms
