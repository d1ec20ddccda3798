#include "lib/server/status.h"

#include <map>
#include <string>

#include "gtest/gtest.h"

namespace chainkms::server {
namespace {

TEST(StatusTest, ReasonRoundTripsThroughGrpcStatusDetails) {
  absl::Status status =
      WithReason(absl::FailedPreconditionError("caller is not the owner 0xabc"), Reason::kNotOwner,
                 {{"owner", "0xabc"}, {"from", "0xdef"}});
  grpc::Status grpc_status = ToGrpcStatus(status);
  EXPECT_EQ(grpc_status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(grpc_status.error_message(), "caller is not the owner 0xabc");

  absl::StatusOr<DecodedDetails> details = DecodeStatusDetails(grpc_status.error_details());
  ASSERT_TRUE(details.ok()) << details.status();
  EXPECT_EQ(details->code, 9);
  EXPECT_EQ(details->message, "caller is not the owner 0xabc");
  EXPECT_EQ(details->reason, "NOT_OWNER");
  EXPECT_EQ(details->domain, "chainkms.dev");
  EXPECT_EQ(ReasonOf(grpc_status), "NOT_OWNER");
  EXPECT_EQ(details->metadata, (std::map<std::string, std::string>{{"from", "0xdef"}, {"owner", "0xabc"}}));
}

TEST(StatusTest, EveryCodeMapsOneToOne) {
  for (int code = 1; code <= 16; ++code) {
    absl::Status status(static_cast<absl::StatusCode>(code), "m");
    EXPECT_EQ(static_cast<int>(ToGrpcStatus(status).error_code()), code);
  }
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
}

TEST(StatusTest, StatusWithoutReasonHasNoDetails) {
  grpc::Status grpc_status = ToGrpcStatus(absl::UnavailableError("rpc down"));
  EXPECT_EQ(grpc_status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(grpc_status.error_details().empty());
  EXPECT_EQ(ReasonOf(grpc_status), std::nullopt);
}

TEST(StatusTest, WithReasonKeepsOkStatusOkAndReasonOfReadsIt) {
  EXPECT_TRUE(WithReason(absl::OkStatus(), Reason::kInternal).ok());
  absl::Status status = InvalidFieldError("app_id", "must be exactly 20 bytes, got 3");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "app_id: must be exactly 20 bytes, got 3");
  EXPECT_EQ(::chainkms::ReasonOf(status), Reason::kInvalidField);
  EXPECT_EQ(MetadataOf(status).at("field"), "app_id");
  EXPECT_EQ(::chainkms::ReasonOf(absl::InternalError("x")), std::nullopt);
}

TEST(StatusTest, EveryReasonHasANameThatParsesBack) {
  for (Reason r : AllReasons()) EXPECT_EQ(ParseReason(ReasonName(r)), r);
  EXPECT_EQ(ParseReason("NO_SUCH_REASON"), std::nullopt);
  EXPECT_EQ(DocumentedKeys(Reason::kNotOwner).size(), 3u);
}

TEST(StatusTest, OverloadedErrorIsResourceExhaustedWithReasonOverloaded) {
  grpc::Status status = ToGrpcStatus(OverloadedError("busy"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(ReasonOf(status), "OVERLOADED");
}

TEST(StatusTest, MalformedDetailsAreRejected) {
  EXPECT_EQ(DecodeStatusDetails("\x12\x10short").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace chainkms::server
