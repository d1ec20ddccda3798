// Status propagation helpers. Debian's Abseil (20220623) ships no status macros, so we keep ours.
//
//   absl::StatusOr<Bytes> Load();
//   absl::Status Use() {
//     ASSIGN_OR_RETURN(Bytes b, Load());
//     RETURN_IF_ERROR(Check(b));
//     return absl::OkStatus();
//   }
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define CHAINKMS_CONCAT_INNER(a, b) a##b
#define CHAINKMS_CONCAT(a, b) CHAINKMS_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)                          \
  do {                                                 \
    ::absl::Status chainkms_status_ = (expr);          \
    if (!chainkms_status_.ok()) return chainkms_status_; \
  } while (0)

#define CHAINKMS_ASSIGN_OR_RETURN_IMPL(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                   \
  if (!tmp.ok()) return std::move(tmp).status();        \
  lhs = std::move(tmp).value()

#define ASSIGN_OR_RETURN(lhs, rexpr) \
  CHAINKMS_ASSIGN_OR_RETURN_IMPL(CHAINKMS_CONCAT(chainkms_statusor_, __LINE__), lhs, rexpr)
