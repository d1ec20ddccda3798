#include "services/provisioning/provisioning_admin.h"

#include "absl/strings/str_cat.h"
#include "lib/common/hex.h"
#include "lib/common/reason.h"
#include "lib/common/secret_bytes.h"
#include "lib/common/status_macros.h"
#include "lib/crypto/hash.h"
#include "lib/crypto/random.h"
#include "lib/server/handle.h"
#include "services/provisioning/proto_convert.h"

namespace chainkms::provisioning {

namespace pb = ::chainkms::v1;
using server::Handle;

namespace {

constexpr size_t kIdHex = 16;
constexpr size_t kSecretHex = 64;
constexpr size_t kMaxName = 128;

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

absl::Status CheckWorkspace(std::string_view ws) {
  if (!IsValidWorkspace(ws)) return InvalidFieldError("workspace", "must be 1-64 of [A-Za-z0-9_-]");
  return absl::OkStatus();
}

absl::Status CheckKeyId(std::string_view id) {
  if (id.size() != kApiKeyPrefix.size() + kIdHex || !id.starts_with(kApiKeyPrefix) ||
      !IsLowerHex(id.substr(kApiKeyPrefix.size()))) {
    return InvalidFieldError("key_id", "must be ck_ followed by 16 lowercase hex digits");
  }
  return absl::OkStatus();
}

void ToProto(const ApiKeyRecord& k, pb::ApiKey* out) {
  out->set_id(k.id);
  out->set_workspace(k.workspace);
  out->set_name(k.name);
  out->set_created_at(k.created_at);
  out->set_revoked_at(k.revoked_at);
}

}  // namespace

std::string ApiKeyIdOf(std::string_view key) {
  const size_t id_len = kApiKeyPrefix.size() + kIdHex;
  if (key.size() != id_len + 1 + kSecretHex || !key.starts_with(kApiKeyPrefix) ||
      key[id_len] != '_' || !IsLowerHex(key.substr(kApiKeyPrefix.size(), kIdHex)) ||
      !IsLowerHex(key.substr(id_len + 1))) {
    return "";
  }
  return std::string(key.substr(0, id_len));
}

grpc::Status ProvisioningAdminService::CreateApiKey(Ctx*, const pb::CreateApiKeyRequest* req,
                                                    pb::CreateApiKeyResponse* resp) {
  return Handle(serving_.unary, [&]() -> absl::Status {
    RETURN_IF_ERROR(CheckWorkspace(req->workspace()));
    if (req->name().size() > kMaxName) {
      return InvalidFieldError("name", absl::StrCat("at most ", kMaxName, " characters"));
    }
    ApiKeyRecord k{.id = absl::StrCat(std::string(kApiKeyPrefix), HexEncode(RandomBytes(8))),
                   .workspace = req->workspace(),
                   .name = req->name(),
                   .created_at = absl::ToUnixSeconds(clock_.Now())};
    SecretBytes secret = RandomSecret(kSecretHex / 2);
    std::string key = absl::StrCat(k.id, "_", HexEncode(secret.view()));
    const Hash32 h = Sha256(ByteView(reinterpret_cast<const uint8_t*>(key.data()), key.size()));
    k.secret_sha256 = Bytes(h.bytes.begin(), h.bytes.end());
    RETURN_IF_ERROR(store_.CreateApiKey(k));
    ToProto(k, resp->mutable_key());
    resp->set_api_key(key);
    SecureWipe(std::span<uint8_t>(reinterpret_cast<uint8_t*>(key.data()), key.size()));
    return absl::OkStatus();
  });
}

grpc::Status ProvisioningAdminService::ListApiKeys(Ctx*, const pb::ListApiKeysRequest* req,
                                                   pb::ListApiKeysResponse* resp) {
  return Handle(serving_.unary, [&]() -> absl::Status {
    RETURN_IF_ERROR(CheckWorkspace(req->workspace()));
    ASSIGN_OR_RETURN(std::vector<ApiKeyRecord> keys, store_.ListApiKeys(req->workspace()));
    for (const ApiKeyRecord& k : keys) ToProto(k, resp->add_keys());
    return absl::OkStatus();
  });
}

grpc::Status ProvisioningAdminService::RevokeApiKey(Ctx*, const pb::RevokeApiKeyRequest* req,
                                                    pb::RevokeApiKeyResponse* resp) {
  return Handle(serving_.unary, [&]() -> absl::Status {
    RETURN_IF_ERROR(CheckWorkspace(req->workspace()));
    RETURN_IF_ERROR(CheckKeyId(req->key_id()));
    ASSIGN_OR_RETURN(ApiKeyRecord k, store_.RevokeApiKey(req->workspace(), req->key_id(),
                                                         absl::ToUnixSeconds(clock_.Now())));
    ToProto(k, resp->mutable_key());
    return absl::OkStatus();
  });
}

grpc::Status ProvisioningAdminService::LookupApiKey(Ctx*, const pb::LookupApiKeyRequest* req,
                                                    pb::LookupApiKeyResponse* resp) {
  return Handle(serving_.unary, [&]() -> absl::Status {
    RETURN_IF_ERROR(CheckKeyId(req->key_id()));
    ASSIGN_OR_RETURN(ApiKeyRecord k, store_.GetApiKey(req->key_id()));
    ToProto(k, resp->mutable_key());
    resp->set_secret_sha256(std::string(k.secret_sha256.begin(), k.secret_sha256.end()));
    return absl::OkStatus();
  });
}

}  // namespace chainkms::provisioning
