// The edge of chainkms.v1.Provisioning: request fields → validated values (INVALID_FIELD naming
// the field), store records → response messages. No I/O.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "chainkms/v1/provisioning.pb.h"
#include "grpcpp/server_context.h"
#include "lib/compose/app_compose.h"
#include "services/provisioning/store.h"

namespace chainkms::provisioning {

inline constexpr std::string_view kWorkspaceMetadataKey = "x-chainkms-workspace";
inline constexpr size_t kMaxEncryptedEnvBytes = size_t{2} * 1024 * 1024;
inline constexpr size_t kMaxEnvKeys = 1024;

// The workspace of the call (UNAUTHENTICATED / WORKSPACE_REQUIRED when missing or malformed).
absl::StatusOr<std::string> WorkspaceOf(const grpc::ServerContext& ctx);
// The workspace when the metadata is present ("" when absent); malformed → WORKSPACE_REQUIRED.
absl::StatusOr<std::string> OptionalWorkspaceOf(const grpc::ServerContext& ctx);
bool IsValidWorkspace(std::string_view ws);

// ComposeSpec + the CVM name → the spec BuildAppCompose takes (field paths under `field`).
compose::AppComposeSpec ToAppComposeSpec(const chainkms::v1::ComposeSpec& spec, std::string name);
// BuildAppCompose over ToAppComposeSpec, its errors given INVALID_FIELD naming the field
// ("compose.docker_compose_file", "name", …).
absl::StatusOr<std::string> BuildCompose(const chainkms::v1::ComposeSpec& spec, std::string name);
// Env names: each ^[A-Za-z_][A-Za-z0-9_]*$, no duplicates, at most kMaxEnvKeys.
absl::Status CheckEnvKeys(const google::protobuf::RepeatedPtrField<std::string>& keys,
                          std::string_view field);

chainkms::v1::CvmStatus StatusToProto(std::string_view status);
void CvmToProto(const CvmRecord& cvm, const chainkms::v1::KmsRef& kms, chainkms::v1::Cvm* out);

// The on-chain refusals both flows give (FAILED_PRECONDITION with their reason and metadata).
absl::Status HashNotAllowedError(const Address& app, const Hash32& hash);
absl::Status DeviceNotAllowedError(const Address& app, const Hash32& device, std::string_view node);
absl::Status TransactionUnprovenError(const Hash32& tx, std::string_view detail);

// "0x" + lower-case hex of a raw bytes field.
std::string Hex0xOf(std::string_view raw);

// Random ids: "<prefix>" + 24 lower-case hex (96 bits).
std::string NewId(std::string_view prefix);
// Ids this service issued: "<prefix>" + 24 lower-case hex.
bool IsId(std::string_view id, std::string_view prefix);
// Page sizes: 0 → 20, 1–100, otherwise INVALID_FIELD.
absl::StatusOr<int64_t> PageSize(uint32_t requested, std::string_view field);

}  // namespace chainkms::provisioning
