#include "lib/server/status.h"

#include "gtest/gtest.h"

namespace chainkms::server {
namespace {

TEST(StatusTest, ReasonRoundTripsThroughGrpcStatusDetails) {
  absl::Status status =
      WithReason(absl::FailedPreconditionError("caller is not the owner 0xabc"), "NOT_OWNER");
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
  EXPECT_TRUE(WithReason(absl::OkStatus(), "X").ok());
  absl::Status status = WithReason(absl::InvalidArgumentError("app_id is short"), "INVALID_APP_ID");
  EXPECT_EQ(ReasonOf(status), "INVALID_APP_ID");
  EXPECT_EQ(ReasonOf(absl::InternalError("x")), std::nullopt);
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
