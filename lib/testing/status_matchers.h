// gMock matchers for absl::Status / absl::StatusOr / grpc::Status: assert the exact code, the
// reason and its metadata instead of searching messages by hand.
//
//   EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("compose_hash")));
//   EXPECT_THAT(grpc_status, HasReason("NOT_OWNER"));
//   EXPECT_THAT(status_or, HasReason(Reason::kAppNotFound));
//   EXPECT_THAT(s, HasMetadata("field", "compose_hash"));
#pragma once

#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "grpcpp/support/status.h"
#include "lib/common/reason.h"
#include "lib/server/status.h"

// ASSERT_OK(status) and ASSERT_OK_AND_ASSIGN(lhs, status_or) for tests (gtest has neither).
#define CHAINKMS_TEST_CAT_INNER(a, b) a##b
#define CHAINKMS_TEST_CAT(a, b) CHAINKMS_TEST_CAT_INNER(a, b)
#define ASSERT_OK(expr)                                                                         \
  do {                                                                                          \
    const absl::Status CHAINKMS_TEST_CAT(ck_s_, __LINE__) = (expr);                             \
    ASSERT_TRUE(CHAINKMS_TEST_CAT(ck_s_, __LINE__).ok()) << CHAINKMS_TEST_CAT(ck_s_, __LINE__); \
  } while (0)
#define CHAINKMS_ASSERT_OK_AND_ASSIGN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                       \
  ASSERT_TRUE(tmp.ok()) << tmp.status();                   \
  lhs = std::move(*tmp)
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  CHAINKMS_ASSERT_OK_AND_ASSIGN_IMPL(CHAINKMS_TEST_CAT(ck_v_, __LINE__), lhs, expr)

namespace chainkms::testutil {

// What the matchers read from either status type.
struct StatusView {
  int code = 0;
  std::string message;
  std::optional<std::string> reason;
  std::map<std::string, std::string> metadata;
};

inline StatusView ViewOf(const absl::Status& s) {
  StatusView v{.code = static_cast<int>(s.code()), .message = std::string(s.message())};
  if (std::optional<Reason> r = ReasonOf(s)) v.reason = std::string(ReasonName(*r));
  v.metadata = MetadataOf(s);
  return v;
}
template <typename T>
StatusView ViewOf(const absl::StatusOr<T>& s) {
  return ViewOf(s.status());
}
inline StatusView ViewOf(const grpc::Status& s) {
  StatusView v{.code = static_cast<int>(s.error_code()), .message = s.error_message()};
  if (!s.error_details().empty()) {
    absl::StatusOr<server::DecodedDetails> d = server::DecodeStatusDetails(s.error_details());
    if (d.ok()) {
      if (!d->reason.empty()) v.reason = d->reason;
      v.metadata = d->metadata;
    }
  }
  return v;
}

inline std::string Describe(const StatusView& v) {
  std::string out = "code " + std::to_string(v.code) + " \"" + v.message + "\" reason " +
                    v.reason.value_or("<none>");
  for (const auto& [k, val] : v.metadata) out += " " + k + "=" + val;
  return out;
}

MATCHER_P(StatusIs, code, "") {
  StatusView v = ViewOf(arg);
  *result_listener << Describe(v);
  return v.code == static_cast<int>(code);
}

MATCHER_P2(StatusIs, code, message_matcher, "") {
  StatusView v = ViewOf(arg);
  *result_listener << Describe(v);
  return v.code == static_cast<int>(code) &&
         ::testing::ExplainMatchResult(message_matcher, v.message, result_listener);
}

namespace internal {
inline std::string ReasonText(Reason r) { return std::string(ReasonName(r)); }
inline std::string ReasonText(const char* r) { return r; }
inline std::string ReasonText(const std::string& r) { return r; }
}  // namespace internal

MATCHER_P(HasReason, reason, "") {
  StatusView v = ViewOf(arg);
  *result_listener << Describe(v);
  return v.reason == internal::ReasonText(reason);
}

MATCHER_P2(HasMetadata, key, value, "") {
  StatusView v = ViewOf(arg);
  *result_listener << Describe(v);
  auto it = v.metadata.find(key);
  return it != v.metadata.end() &&
         ::testing::ExplainMatchResult(value, it->second, result_listener);
}

}  // namespace chainkms::testutil
