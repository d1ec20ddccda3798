// The one conversion from absl::Status to grpc::Status, with a stable machine-readable reason.
//
// Code attaches a Reason and its metadata (lib/common/reason.h, no gRPC there); ToGrpcStatus maps
// the code 1:1 and puts both into the gRPC status details as a serialized google.rpc.Status
// carrying a google.rpc.ErrorInfo{reason, domain: "chainkms.dev", metadata}. The server
// interceptor also copies the reason into the trailing metadata `chainkms-reason` for clients
// that do not parse details.
//
//   absl::Status s = WithReason(absl::FailedPreconditionError("caller is not the owner 0xab.."),
//                               Reason::kNotOwner, {{"owner", "0xab.."}});
//   return ToGrpcStatus(s);
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "grpcpp/support/status.h"
#include "lib/common/reason.h"

namespace chainkms::server {

inline constexpr std::string_view kErrorDomain = "chainkms.dev";
inline constexpr std::string_view kReasonMetadataKey = "chainkms-reason";
inline constexpr std::string_view kErrorInfoTypeUrl = "type.googleapis.com/google.rpc.ErrorInfo";

// Maps the code 1:1 and keeps the message; a reason becomes status details (see above).
grpc::Status ToGrpcStatus(const absl::Status& status);

// What a client finds in grpc::Status::error_details().
struct DecodedDetails {
  int code = 0;
  std::string message;
  std::string reason;  // empty when no ErrorInfo was attached
  std::string domain;
  std::map<std::string, std::string> metadata;
};

// Parses the serialized google.rpc.Status from ToGrpcStatus (clients, tests, the interceptor).
absl::StatusOr<DecodedDetails> DecodeStatusDetails(std::string_view details);

// The reason carried by a grpc::Status built by ToGrpcStatus, if any.
std::optional<std::string> ReasonOf(const grpc::Status& status);

// The inverse of ToGrpcStatus, for calls to other chainkms services: code, message (prefixed with
// `context` when given) and the ErrorInfo's reason and metadata when the reason is known.
absl::Status FromGrpcStatus(const grpc::Status& status, std::string_view context = "");

// The status the concurrency limit sheds with: RESOURCE_EXHAUSTED, reason "OVERLOADED".
absl::Status OverloadedError(std::string_view message);

}  // namespace chainkms::server
