// ProvisioningAdminService: chainkms.v1.ProvisioningAdmin — API keys for the gateway, stored in
// the ProvisioningStore as SHA-256 hashes only. Internal: never re-served by the gateway.
#pragma once

#include <string>
#include <string_view>

#include "chainkms/v1/provisioning.grpc.pb.h"
#include "lib/common/clock.h"
#include "lib/server/server.h"
#include "services/provisioning/store.h"

namespace chainkms::provisioning {

// "ck_" + 16 hex: the public id of a key; the whole key is id + "_" + 64 hex.
inline constexpr std::string_view kApiKeyPrefix = "ck_";
// The id part of a well-formed key ("" when `key` is not ck_<16 hex>_<64 hex>).
std::string ApiKeyIdOf(std::string_view key);

class ProvisioningAdminService final : public chainkms::v1::ProvisioningAdmin::Service {
 public:
  using Ctx = grpc::ServerContext;
  ProvisioningAdminService(ProvisioningStore& store, server::Serving serving, Clock& clock)
      : store_(store), serving_(serving), clock_(clock) {}

  grpc::Status CreateApiKey(Ctx*, const chainkms::v1::CreateApiKeyRequest*,
                            chainkms::v1::CreateApiKeyResponse*) override;
  grpc::Status ListApiKeys(Ctx*, const chainkms::v1::ListApiKeysRequest*,
                           chainkms::v1::ListApiKeysResponse*) override;
  grpc::Status RevokeApiKey(Ctx*, const chainkms::v1::RevokeApiKeyRequest*,
                            chainkms::v1::RevokeApiKeyResponse*) override;
  grpc::Status LookupApiKey(Ctx*, const chainkms::v1::LookupApiKeyRequest*,
                            chainkms::v1::LookupApiKeyResponse*) override;

 private:
  ProvisioningStore& store_;
  server::Serving serving_;
  Clock& clock_;
};

}  // namespace chainkms::provisioning
