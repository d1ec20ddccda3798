#include "services/provisioning/proto_convert.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "lib/common/hex.h"
#include "lib/common/reason.h"
#include "lib/common/status_macros.h"
#include "lib/crypto/random.h"
#include "lib/server/proto_fields.h"

namespace chainkms::provisioning {

namespace pb = ::chainkms::v1;
using server::Raw;

bool IsValidWorkspace(std::string_view ws) {
  if (ws.empty() || ws.size() > 64) return false;
  for (char c : ws) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  }
  return true;
}

absl::StatusOr<std::string> OptionalWorkspaceOf(const grpc::ServerContext& ctx) {
  const auto& md = ctx.client_metadata();
  auto it = md.find(std::string(kWorkspaceMetadataKey));
  if (it == md.end()) return std::string();
  const std::string ws(it->second.data(), it->second.size());
  if (!IsValidWorkspace(ws)) {
    return WithReason(absl::UnauthenticatedError(absl::StrCat(std::string(kWorkspaceMetadataKey),
                                                              " must be 1-64 of [A-Za-z0-9_-]")),
                      Reason::kWorkspaceRequired);
  }
  return ws;
}

absl::StatusOr<std::string> WorkspaceOf(const grpc::ServerContext& ctx) {
  ASSIGN_OR_RETURN(std::string ws, OptionalWorkspaceOf(ctx));
  if (ws.empty()) {
    return WithReason(absl::UnauthenticatedError(
                          absl::StrCat("missing ", std::string(kWorkspaceMetadataKey),
                                       " metadata (call through the gateway with an API key)")),
                      Reason::kWorkspaceRequired);
  }
  return ws;
}

compose::AppComposeSpec ToAppComposeSpec(const pb::ComposeSpec& spec, std::string name) {
  compose::AppComposeSpec out;
  out.name = std::move(name);
  out.docker_compose_file = spec.docker_compose_file();
  out.pre_launch_script = spec.pre_launch_script();
  out.allowed_envs.assign(spec.allowed_envs().begin(), spec.allowed_envs().end());
  if (spec.has_gateway_enabled()) out.gateway_enabled = spec.gateway_enabled();
  if (spec.has_public_logs()) out.public_logs = spec.public_logs();
  if (spec.has_public_sysinfo()) out.public_sysinfo = spec.public_sysinfo();
  if (spec.has_public_tcbinfo()) out.public_tcbinfo = spec.public_tcbinfo();
  if (spec.has_no_instance_id()) out.no_instance_id = spec.no_instance_id();
  if (spec.has_secure_time()) out.secure_time = spec.secure_time();
  if (!spec.storage_fs().empty()) out.storage_fs = spec.storage_fs();
  if (spec.has_swap_size()) out.swap_size = spec.swap_size();
  return out;
}

absl::StatusOr<std::string> BuildCompose(const pb::ComposeSpec& spec, std::string name) {
  absl::StatusOr<std::string> built =
      compose::BuildAppCompose(ToAppComposeSpec(spec, std::move(name)));
  if (built.ok() || ReasonOf(built.status()).has_value()) return built;
  // BuildAppCompose names the field first: "<field>: <what>".
  const std::string message(built.status().message());
  const size_t colon = message.find(':');
  std::string field = colon == std::string::npos ? "" : message.substr(0, colon);
  const bool plain = !field.empty() && field.find(' ') == std::string::npos;
  if (!plain) return InvalidFieldError("compose", message);
  const std::string what = absl::StripLeadingAsciiWhitespace(message.substr(colon + 1)).data();
  return InvalidFieldError(field == "name" ? field : "compose." + field, what);
}

absl::Status CheckEnvKeys(const google::protobuf::RepeatedPtrField<std::string>& keys,
                          std::string_view field) {
  RETURN_IF_ERROR(server::CheckMaxCount(keys.size(), kMaxEnvKeys, field));
  std::set<std::string> seen;
  for (const std::string& k : keys) {
    bool ok = !k.empty() && k.size() <= 256 &&
              (absl::ascii_isalpha(static_cast<unsigned char>(k[0])) || k[0] == '_');
    for (char c : k) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_') ok = false;
    }
    if (!ok) {
      return InvalidFieldError(
          field,
          absl::StrCat("\"", k.substr(0, 64), "\" is not an env name ^[A-Za-z_][A-Za-z0-9_]*$"));
    }
    if (!seen.insert(k).second) {
      return InvalidFieldError(field, absl::StrCat("\"", k, "\" is given twice"));
    }
  }
  return absl::OkStatus();
}

pb::CvmStatus StatusToProto(std::string_view status) {
  if (status == "provisioning") return pb::CVM_STATUS_PROVISIONING;
  if (status == "starting") return pb::CVM_STATUS_STARTING;
  if (status == "running") return pb::CVM_STATUS_RUNNING;
  if (status == "boot_failed") return pb::CVM_STATUS_BOOT_FAILED;
  if (status == "stopped") return pb::CVM_STATUS_STOPPED;
  return pb::CVM_STATUS_UNSPECIFIED;
}

void CvmToProto(const CvmRecord& cvm, const pb::KmsRef& kms, pb::Cvm* out) {
  out->set_id(cvm.id);
  out->set_name(cvm.name);
  out->set_status(StatusToProto(cvm.status));
  out->set_status_reason(cvm.status_reason);
  out->set_app_id(Raw(cvm.app_id));
  out->set_compose_hash(Raw(cvm.compose_hash));
  out->set_node(cvm.node);
  out->set_device_id(Raw(cvm.device_id));
  out->set_os_image_hash(Raw(cvm.os_image_hash));
  *out->mutable_kms() = kms;
  for (const std::string& k : cvm.env_keys) out->add_env_keys(k);
  out->set_deployer(Raw(ByteView(cvm.deployer)));
  out->set_created_at(cvm.created_at);
  out->set_updated_at(cvm.updated_at);
  out->set_revision(static_cast<uint64_t>(cvm.revision));
}

absl::Status HashNotAllowedError(const Address& app, const Hash32& hash) {
  return WithReason(absl::FailedPreconditionError(
                        absl::StrCat("compose hash ", Hex0x(hash.bytes), " is not allowed by app ",
                                     Hex0x(app.bytes), " on chain (addComposeHash first)")),
                    Reason::kHashNotAllowed,
                    {{"app_id", Hex0x(app.bytes)}, {"compose_hash", Hex0x(hash.bytes)}});
}

absl::Status DeviceNotAllowedError(const Address& app, const Hash32& device,
                                   std::string_view node) {
  return WithReason(absl::FailedPreconditionError(absl::StrCat(
                        "device ", Hex0x(device.bytes), " of node ", std::string(node),
                        " is not allowed by app ", Hex0x(app.bytes), " (addDevice first)")),
                    Reason::kDeviceNotAllowed,
                    {{"app_id", Hex0x(app.bytes)}, {"device_id", Hex0x(device.bytes)}});
}

absl::Status TransactionUnprovenError(const Hash32& tx, std::string_view detail) {
  return WithReason(absl::FailedPreconditionError(
                        absl::StrCat("transaction ", Hex0x(tx.bytes),
                                     " does not prove the registration: ", std::string(detail))),
                    Reason::kTransactionVerificationFailed,
                    {{"tx_hash", Hex0x(tx.bytes)}, {"detail", std::string(detail)}});
}

std::string Hex0xOf(std::string_view raw) {
  return Hex0x(ByteView(reinterpret_cast<const uint8_t*>(raw.data()), raw.size()));
}

std::string NewId(std::string_view prefix) {
  return absl::StrCat(std::string(prefix), HexEncode(RandomBytes(12)));
}

bool IsId(std::string_view id, std::string_view prefix) {
  if (id.size() != prefix.size() + 24 || id.substr(0, prefix.size()) != prefix) return false;
  for (char c : id.substr(prefix.size())) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

absl::StatusOr<int64_t> PageSize(uint32_t requested, std::string_view field) {
  if (requested == 0) return 20;
  if (requested > 100) return InvalidFieldError(field, "at most 100");
  return static_cast<int64_t>(requested);
}

}  // namespace chainkms::provisioning
