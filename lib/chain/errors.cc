#include "lib/chain/errors.h"

#include <optional>
#include <span>
#include <string>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "lib/chain/contracts.h"
#include "lib/common/hex.h"
#include "lib/common/reason.h"
#include "lib/jsonrpc/errors.h"

namespace chainkms {

namespace {

// `s` with another code, message and payloads kept.
absl::Status WithCode(const absl::Status& s, absl::StatusCode code) {
  absl::Status out(code, s.message());
  s.ForEachPayload(
      [&](absl::string_view url, const absl::Cord& value) { out.SetPayload(url, value); });
  return out;
}

}  // namespace

absl::Status ClassifyChainError(absl::Status s, uint64_t chain_id) {
  if (s.ok() || ReasonOf(s).has_value()) return s;
  ReasonMetadata chain;
  if (chain_id != 0) chain["chain_id"] = absl::StrCat(chain_id);
  if (std::optional<RpcError> e = GetRpcError(s)) {
    switch (e->kind) {
      case RpcErrorKind::kExecutionReverted: {
        std::span<const std::string> known = KnownCustomErrors();
        std::optional<std::string> why = DescribeRevert(s, known);
        ReasonMetadata m = {{"revert_data", Hex0x(e->data)}};
        m["revert_reason"] = why.value_or(e->message);
        return WithReason(std::move(s), Reason::kExecutionReverted, m);
      }
      // The node's refusal is a fact about the sender, never chain trouble, whatever code the
      // read path gave it.
      case RpcErrorKind::kInsufficientFunds:
        return WithReason(WithCode(s, absl::StatusCode::kFailedPrecondition),
                          Reason::kInsufficientFunds, chain);
      case RpcErrorKind::kNonceTooLow:
        return WithReason(WithCode(s, absl::StatusCode::kFailedPrecondition), Reason::kNonceTooLow,
                          chain);
      case RpcErrorKind::kInvalidParams:
      case RpcErrorKind::kMethodNotFound:
        // The node refused the request we built: our bug or an incompatible node, never the
        // caller's field.
        return WithReason(absl::InternalError(absl::StrCat("the chain node refused the request: ",
                                                           std::string(s.message()))),
                          Reason::kInternal, chain);
      default:
        break;
    }
  }
  switch (s.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kResourceExhausted:
      return WithReason(std::move(s), Reason::kChainUnavailable, chain);
    case absl::StatusCode::kInvalidArgument:
      return WithReason(std::move(s), Reason::kInvalidField);
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kDataLoss:
      return WithReason(std::move(s), Reason::kInternal);
    default:
      return s;
  }
}

}  // namespace chainkms
