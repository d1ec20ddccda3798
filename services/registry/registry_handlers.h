// Internal to services/registry: the template helpers the handler files share.
#pragma once

#include <utility>

#include "lib/chain/errors.h"
#include "lib/common/status_macros.h"
#include "lib/server/handle.h"
#include "services/registry/registry_service.h"

namespace chainkms::registry {

inline absl::Status ClassifyRegistryError(absl::Status status) {
  return ClassifyChainError(std::move(status));
}

template <typename Body>
grpc::Status RegistryService::Unary(Body&& body) {
  return server::Handle(serving_.unary, std::forward<Body>(body), &ClassifyRegistryError);
}

template <typename Request>
absl::Status RegistryService::AppWrite(const Request& req, const Address& app, Bytes data,
                                       chainkms::v1::TransactionStatus* out) {
  return Write({.chain_id = req.chain_id(), .from = &req.from(), .options = &req.options(),
                .to = app, .data = std::move(data), .check = OwnerCheck::kOwner,
                .owned_contract = app},
               out)
      .status();
}

template <typename Request>
absl::Status RegistryService::KmsWrite(const Request& req, Bytes data,
                                       chainkms::v1::TransactionStatus* out) {
  ASSIGN_OR_RETURN(Chain * chain, chains_.Find(req.chain_id()));
  return Write({.chain_id = req.chain_id(), .from = &req.from(), .options = &req.options(),
                .to = chain->kms, .data = std::move(data), .check = OwnerCheck::kOwner,
                .owned_contract = chain->kms},
               out)
      .status();
}

}  // namespace chainkms::registry
