// GatewayFlows: chainkms.v1.Gateway — the custodial DeployCvm and UpdateCvm flows (gateway.proto)
// over provisioning and the registry, for workspaces allowed to use a registry signer
// (--custodial-signers). Each reports the steps it took and their transaction hashes.
//
// Backend calls per flow (the minimum each needs; the bench counts them):
//   DeployCvm  ProvisionCvm, Registry.DeployApp (1 transaction, waited for), CommitCvmProvision
//   UpdateCvm  PatchCvm, Registry.AddComposeHash (1 transaction, waited for), ConfirmCvmPatch
#pragma once

#include <map>
#include <string>
#include <vector>

#include "chainkms/v1/gateway.grpc.pb.h"
#include "services/gateway/gateway.h"

namespace chainkms::gateway {

class GatewayFlows final : public chainkms::v1::Gateway::Service {
 public:
  using Ctx = grpc::ServerContext;
  // `signers`: workspace → the 20-byte registry signers it may use.
  GatewayFlows(Gateway& gateway, std::map<std::string, std::vector<std::string>> signers)
      : gateway_(gateway), signers_(std::move(signers)) {}

  grpc::Status DeployCvm(Ctx*, const chainkms::v1::DeployCvmRequest*,
                         chainkms::v1::DeployCvmResponse*) override;
  grpc::Status UpdateCvm(Ctx*, const chainkms::v1::UpdateCvmRequest*,
                         chainkms::v1::UpdateCvmResponse*) override;

 private:
  absl::Status CheckSigner(const CallScope& scope, const std::string& owner) const;
  absl::Status DoDeploy(const CallScope& scope, const chainkms::v1::DeployCvmRequest& req,
                        chainkms::v1::DeployCvmResponse* resp);
  absl::Status DoUpdate(const CallScope& scope, const chainkms::v1::UpdateCvmRequest& req,
                        chainkms::v1::UpdateCvmResponse* resp);

  Gateway& gateway_;
  std::map<std::string, std::vector<std::string>> signers_;
};

}  // namespace chainkms::gateway
