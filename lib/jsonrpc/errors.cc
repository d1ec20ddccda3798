#include "lib/jsonrpc/errors.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "lib/common/hex.h"
#include "lib/eth/revert.h"

namespace chainkms {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

template <size_t N>
bool ContainsAny(std::string_view haystack, const std::array<std::string_view, N>& needles) {
  return std::any_of(needles.begin(), needles.end(), [&](std::string_view n) {
    return haystack.find(n) != std::string_view::npos;
  });
}

// Wordings per kind, lowercase. Sources: geth core/txpool errors, erigon, anvil (foundry
// anvil/src/eth/error.rs), nethermind AcceptTxResult names, besu TransactionInvalidReason,
// openethereum, hardhat/ganache, infura/alchemy/quicknode rate-limit notices.
constexpr std::array<std::string_view, 5> kReverted = {
    "execution reverted", "vm exception while processing transaction", "reverted with",
    "transaction reverted", "revert"};
constexpr std::array<std::string_view, 6> kNonceLow = {
    "nonce too low", "oldnonce", "nonce is too low", "transaction nonce is too low",
    "nonce has already been used", "nonce_too_low"};
constexpr std::array<std::string_view, 6> kNonceHigh = {
    "nonce too high", "noncegap", "nonce too far", "noncetoofar", "too distant from current",
    "nonce_too_high"};
constexpr std::array<std::string_view, 4> kUnderpriced = {
    "replacement transaction underpriced", "replacement underpriced",
    "another transaction with same nonce", "replacementnotallowed"};
constexpr std::array<std::string_view, 7> kKnown = {
    "already known", "alreadyknown", "already imported", "known transaction",
    "existing tx with same hash", "transaction already exists", "already in the mempool"};
constexpr std::array<std::string_view, 5> kFunds = {
    "insufficient funds", "insufficientfunds", "insufficient balance",
    "upfront cost exceeds account balance", "sender doesn't have enough funds"};
constexpr std::array<std::string_view, 12> kRateLimit = {
    "rate limit", "ratelimit", "rate-limit", "too many requests", "request rate exceeded",
    "request count exceeded", "compute units per second", "exceeded its", "requests per second",
    "request limit reached", "quota exceeded", "throughput limit"};

}  // namespace

std::string_view RpcErrorKindName(RpcErrorKind kind) {
  switch (kind) {
    case RpcErrorKind::kNonceTooLow:
      return "nonce_too_low";
    case RpcErrorKind::kNonceTooHigh:
      return "nonce_too_high";
    case RpcErrorKind::kReplacementUnderpriced:
      return "replacement_underpriced";
    case RpcErrorKind::kAlreadyKnown:
      return "already_known";
    case RpcErrorKind::kInsufficientFunds:
      return "insufficient_funds";
    case RpcErrorKind::kExecutionReverted:
      return "execution_reverted";
    case RpcErrorKind::kRateLimited:
      return "rate_limited";
    case RpcErrorKind::kMethodNotFound:
      return "method_not_found";
    case RpcErrorKind::kInvalidParams:
      return "invalid_params";
    case RpcErrorKind::kOther:
      break;
  }
  return "other";
}

namespace {
std::optional<RpcErrorKind> KindFromName(std::string_view name) {
  for (int k = 0; k <= static_cast<int>(RpcErrorKind::kOther); ++k) {
    const auto kind = static_cast<RpcErrorKind>(k);
    if (RpcErrorKindName(kind) == name) return kind;
  }
  return std::nullopt;
}
}  // namespace

bool LooksRateLimited(std::string_view text) { return ContainsAny(Lower(text), kRateLimit); }

RpcErrorKind ClassifyRpcError(int64_t code, std::string_view message) {
  const std::string m = Lower(message);
  if (code == -32601 || m.find("method not found") != std::string::npos ||
      (m.find("the method") != std::string::npos &&
       m.find("does not exist") != std::string::npos)) {
    return RpcErrorKind::kMethodNotFound;
  }
  // Infura's -32005 also means "query returned more than 10000 results": a limit, not a rate.
  if (code == 429 || (code == -32005 && m.find("results") == std::string::npos) ||
      ContainsAny(m, kRateLimit)) {
    return RpcErrorKind::kRateLimited;
  }
  // Geth and anvil use code 3 for reverts with data; the others say so in the message. Transaction
  // pool wordings come first: none of them mentions a revert.
  if (ContainsAny(m, kNonceLow)) return RpcErrorKind::kNonceTooLow;
  if (ContainsAny(m, kNonceHigh)) return RpcErrorKind::kNonceTooHigh;
  if (ContainsAny(m, kUnderpriced)) return RpcErrorKind::kReplacementUnderpriced;
  if (ContainsAny(m, kKnown)) return RpcErrorKind::kAlreadyKnown;
  if (code == 3 || ContainsAny(m, kReverted)) return RpcErrorKind::kExecutionReverted;
  if (ContainsAny(m, kFunds)) return RpcErrorKind::kInsufficientFunds;
  if (code == -32602 || m.find("invalid argument") != std::string::npos ||
      m.find("invalid params") != std::string::npos) {
    return RpcErrorKind::kInvalidParams;
  }
  return RpcErrorKind::kOther;
}

namespace {

// Revert data arrives as "0x…", as "Reverted 0x…" (openethereum), or nested as {"data":"0x…"}
// (hardhat, older ganache). Anything else is not revert data.
Bytes ExtractData(const nlohmann::json& data) {
  if (data.is_object()) {
    if (auto it = data.find("data"); it != data.end()) return ExtractData(*it);
    return {};
  }
  if (!data.is_string()) return {};
  std::string_view s = data.get_ref<const std::string&>();
  if (const size_t at = s.find("0x"); at != std::string_view::npos) s = s.substr(at);
  absl::StatusOr<Bytes> b = HexDecode(s, HexPrefix::kRequired);
  return b.ok() ? *std::move(b) : Bytes{};
}

absl::StatusCode CodeFor(RpcErrorKind kind) {
  switch (kind) {
    case RpcErrorKind::kNonceTooLow:
    case RpcErrorKind::kNonceTooHigh:
    case RpcErrorKind::kReplacementUnderpriced:
    case RpcErrorKind::kInsufficientFunds:
    case RpcErrorKind::kExecutionReverted:
      return absl::StatusCode::kFailedPrecondition;
    case RpcErrorKind::kAlreadyKnown:
      return absl::StatusCode::kAlreadyExists;
    case RpcErrorKind::kRateLimited:
      return absl::StatusCode::kResourceExhausted;
    case RpcErrorKind::kInvalidParams:
      return absl::StatusCode::kInvalidArgument;
    case RpcErrorKind::kMethodNotFound:
      return absl::StatusCode::kUnimplemented;
    case RpcErrorKind::kOther:
      break;
  }
  return absl::StatusCode::kUnavailable;
}

std::string RevertLine(const RpcError& error, std::span<const std::string> customs) {
  if (error.data.empty()) return error.message.empty() ? "execution reverted" : error.message;
  absl::StatusOr<Revert> r = DecodeRevert(error.data, customs);
  if (!r.ok()) r = DecodeRevert(error.data);  // a bad custom signature must not hide the revert
  if (!r.ok()) return error.message;
  if (r->kind == RevertKind::kErrorString) return absl::StrCat("execution reverted: ", r->message);
  return absl::StrCat("execution reverted: ", r->Describe());
}

}  // namespace

std::optional<RpcError> ParseRpcError(const nlohmann::json& error) {
  if (!error.is_object()) return std::nullopt;
  auto code = error.find("code");
  if (code == error.end() || !code->is_number_integer()) return std::nullopt;
  RpcError out;
  out.code = code->get<int64_t>();
  if (auto m = error.find("message"); m != error.end() && m->is_string()) {
    out.message = m->get<std::string>();
  }
  if (auto d = error.find("data"); d != error.end()) out.data = ExtractData(*d);
  out.kind = ClassifyRpcError(out.code, out.message);
  // OpenEthereum reports reverts as -32015 "VM execution error." with data "Reverted 0x…".
  if (out.kind == RpcErrorKind::kOther && !out.data.empty() && out.code == -32015) {
    out.kind = RpcErrorKind::kExecutionReverted;
  }
  return out;
}

absl::Status RpcErrorToStatus(const RpcError& error, std::string_view method,
                              std::span<const std::string> custom_error_signatures) {
  std::string text = error.kind == RpcErrorKind::kExecutionReverted
                         ? RevertLine(error, custom_error_signatures)
                         : error.message;
  absl::Status status(CodeFor(error.kind),
                      absl::StrCat(std::string(method), ": ", text, " (rpc error ", error.code,
                                   ", ", std::string(RpcErrorKindName(error.kind)), ")"));
  nlohmann::json payload = {{"kind", std::string(RpcErrorKindName(error.kind))},
                            {"code", error.code},
                            {"message", error.message},
                            {"data", Hex0x(error.data)}};
  status.SetPayload(kRpcErrorTypeUrl,
                    absl::Cord(payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
  return status;
}

std::optional<RpcError> GetRpcError(const absl::Status& status) {
  if (status.ok()) return std::nullopt;
  absl::optional<absl::Cord> cord = status.GetPayload(kRpcErrorTypeUrl);
  if (!cord) return std::nullopt;
  nlohmann::json j = nlohmann::json::parse(std::string(*cord), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  RpcError out;
  auto kind = j.find("kind");
  auto code = j.find("code");
  auto message = j.find("message");
  auto data = j.find("data");
  if (kind == j.end() || !kind->is_string() || code == j.end() || !code->is_number_integer() ||
      message == j.end() || !message->is_string() || data == j.end() || !data->is_string()) {
    return std::nullopt;
  }
  std::optional<RpcErrorKind> k = KindFromName(kind->get<std::string>());
  absl::StatusOr<Bytes> bytes = HexDecode(data->get<std::string>());
  if (!k || !bytes.ok()) return std::nullopt;
  out.kind = *k;
  out.code = code->get<int64_t>();
  out.message = message->get<std::string>();
  out.data = *std::move(bytes);
  return out;
}

std::optional<std::string> DescribeRevert(const absl::Status& status,
                                          std::span<const std::string> custom_error_signatures) {
  std::optional<RpcError> e = GetRpcError(status);
  if (!e || e->kind != RpcErrorKind::kExecutionReverted) return std::nullopt;
  return RevertLine(*e, custom_error_signatures);
}

}  // namespace chainkms
