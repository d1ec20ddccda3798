// RestApi: the gateway's HTTP/JSON surface, Phala Cloud-compatible under /api/v1 (docs/gateway.md
// lists every route; docs/phala-cloud-api.md is what @phala/cloud 0.2.9 sends and accepts):
//
//   POST  /api/v1/cvms/provision                 ProvisionCvm
//   POST  /api/v1/cvms                           CommitCvmProvision
//   GET   /api/v1/cvms                           ListCvms
//   GET   /api/v1/cvms/{cvm}                     GetCvm
//   GET   /api/v1/cvms/{cvm}/compose_file        GetComposeFile
//   PATCH /api/v1/cvms/{cvm}                     PatchCvm (X-Prepare-Only) → 200 | 465, or with
//                                                X-Compose-Hash + X-Transaction-Hash
//                                                ConfirmCvmPatch
//   POST  /api/v1/cvms/{cvm}/commit-update       CommitCvmUpdate (no API key: the token is it)
//   POST  /api/v1/cvms/{cvm}/is-allowed          the CVM's hash and device on chain
//   GET   /api/v1/kms, /kms/{slug}, /kms/{slug}/pubkey/{app_id}
//   GET   /api/v1/apps/{app_id}/device-allowlist
//   GET|POST /api/v1/workspace/webhooks, DELETE /workspace/webhooks/{id},
//   POST  /api/v1/workspace/webhooks/{id}/rotate-secret, GET /workspace/webhooks/{id}/deliveries
//
// Errors are FastAPI-style {"detail": {error_code, message, details: [{field, value}]}}: 400 for
// bad input (naming the field), 401 one generic message, 404, 409 ERR-03-007, 429 + Retry-After,
// 465-468 ERR-01-005…008, 503/504 for backend trouble — never a backend's address or a stack trace.
// The handler is a pure function of the request and the backends' answers (fuzzed).
#pragma once

#include <string>
#include <vector>

#include "services/gateway/gateway.h"
#include "services/gateway/http_server.h"

namespace chainkms::gateway {

struct RestOptions {
  // Origins CORS answers for; empty = CORS off (no Access-Control-* header, preflight 405).
  std::vector<std::string> cors_origins;
};

class RestApi {
 public:
  RestApi(Gateway& gateway, RestOptions options)
      : gateway_(gateway), options_(std::move(options)) {}
  HttpResponse Handle(const HttpRequest& req);

 private:
  Gateway& gateway_;
  RestOptions options_;
};

}  // namespace chainkms::gateway
