// Proto field helpers: parse request fields into sized types at the edge, once, with errors
// that name the field (INVALID_ARGUMENT, reason INVALID_FIELD, metadata field). Bytes fields
// must be exactly N bytes — never padded or truncated — and every size has a limit checked
// before anything reaches a chain.
//
//   ASSIGN_OR_RETURN(Address app, ToAddress(req.app_id(), "app_id"));
//   ASSIGN_OR_RETURN(Hash32 salt, OptionalHash(req.salt(), "timelock.salt"));  // "" → zero
//   RETURN_IF_ERROR(CheckMaxSize(req.tcb_status(), 64, "boot_info.tcb_status"));
//   resp->set_app_id(Raw(app));
#pragma once

#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "lib/common/bytes.h"
#include "lib/common/reason.h"

namespace chainkms::server {

template <size_t N>
absl::StatusOr<FixedBytes<N>> Exact(const std::string& b, std::string_view field) {
  if (b.size() != N) {
    return InvalidFieldError(field, absl::StrCat("must be exactly ", N, " bytes, got ", b.size()));
  }
  FixedBytes<N> out;
  std::memcpy(out.data(), b.data(), N);
  return out;
}

inline absl::StatusOr<Hash32> ToHash(const std::string& b, std::string_view field) {
  return Exact<32>(b, field);
}
inline absl::StatusOr<Address> ToAddress(const std::string& b, std::string_view field) {
  return Exact<20>(b, field);
}
// Empty means "none" (zero); anything else must be exact.
inline absl::StatusOr<Hash32> OptionalHash(const std::string& b, std::string_view field) {
  if (b.empty()) return Hash32{};
  return ToHash(b, field);
}

// INVALID_FIELD when `value` is longer than `max` bytes.
inline absl::Status CheckMaxSize(std::string_view value, size_t max, std::string_view field) {
  if (value.size() <= max) return absl::OkStatus();
  return InvalidFieldError(field, absl::StrCat("at most ", max, " bytes, got ", value.size()));
}
// INVALID_FIELD when a repeated field has more than `max` entries.
inline absl::Status CheckMaxCount(int count, size_t max, std::string_view field) {
  if (count >= 0 && static_cast<size_t>(count) <= max) return absl::OkStatus();
  return InvalidFieldError(field, absl::StrCat("at most ", max, " entries, got ", count));
}

inline std::string Raw(ByteView b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}
template <size_t N>
std::string Raw(const FixedBytes<N>& b) {
  return Raw(ByteView(b.bytes));
}

}  // namespace chainkms::server
