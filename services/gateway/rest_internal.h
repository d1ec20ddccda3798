// Shared by the RestApi handlers (rest_api.cc, rest_cvms.cc, rest_misc.cc): the parsed request,
// JSON helpers and the error answers.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "grpcpp/support/status.h"
#include "nlohmann/json.hpp"
#include "services/gateway/gateway.h"
#include "services/gateway/http_server.h"

namespace chainkms::gateway::rest {

using json = nlohmann::json;

// One request on its way through a handler.
struct Call {
  const HttpRequest& http;
  std::vector<std::string> segments;  // path segments after /api/v1
  CallScope scope;
  Gateway& gateway;
};

// A handler's answer: the response, or an error status to render.
using Handler = HttpResponse (*)(Call& call);

HttpResponse Json(int status, const json& body);
// Renders an absl error (reason → HTTP status and error_code, see rest_api.h).
HttpResponse Error(const absl::Status& status);
// Renders a backend's error unchanged in meaning.
HttpResponse Error(const grpc::Status& status);
// 400 INVALID_FIELD naming `field`.
HttpResponse BadField(std::string_view field, std::string_view what);

// The body as a JSON object ({} for an empty body); a parse error names the position.
absl::StatusOr<json> BodyObject(const HttpRequest& req);
// Typed reads of optional fields: an absent or null key leaves `out` unchanged; a wrong type is
// INVALID_FIELD naming the key.
absl::Status ReadString(const json& obj, std::string_view key, std::string* out,
                        bool* present = nullptr);
absl::Status ReadBool(const json& obj, std::string_view key, std::optional<bool>* out);
absl::Status ReadStrings(const json& obj, std::string_view key, std::vector<std::string>* out,
                         bool* present = nullptr);
absl::Status ReadUint(const json& obj, std::string_view key, std::optional<uint64_t>* out);

// Hex input (0x optional) of exactly `n` bytes, as raw bytes; INVALID_FIELD otherwise.
absl::StatusOr<std::string> HexField(std::string_view value, size_t n, std::string_view field);
// Hex of any length (0x optional), e.g. encrypted_env.
absl::StatusOr<std::string> HexBytes(std::string_view value, std::string_view field);
std::string Hex0x(const std::string& raw);
std::string HexPlain(const std::string& raw);

// Renders protobuf shapes the way @phala/cloud's schemas expect them.
json KmsInfoJson(const chainkms::v1::KmsRef& kms);
json CvmJson(const chainkms::v1::Cvm& cvm, const std::string& workspace);
std::string StatusName(chainkms::v1::CvmStatus status);

// One backend call in the request's scope (retried once on UNAVAILABLE when a read).
template <typename Stub, typename Req, typename Resp>
grpc::Status Forward(Call& c, Stub& stub,
                     grpc::Status (Stub::*m)(grpc::ClientContext*, const Req&, Resp*),
                     const Req& req, Resp* resp, Idempotency idem) {
  return c.gateway.backends().Call(c.scope, idem, [&](grpc::ClientContext* ctx) {
    resp->Clear();
    return (stub.*m)(ctx, req, resp);
  });
}
template <typename Req, typename Resp>
grpc::Status Prov(Call& c,
                  grpc::Status (chainkms::v1::Provisioning::StubInterface::*m)(grpc::ClientContext*,
                                                                               const Req&, Resp*),
                  const Req& req, Resp* resp, Idempotency idem) {
  return Forward(c, c.gateway.backends().provisioning(), m, req, resp, idem);
}

// Route handlers.
HttpResponse ProvisionCvm(Call& c);
HttpResponse CommitCvmProvision(Call& c);
HttpResponse ListCvms(Call& c);
HttpResponse GetCvm(Call& c);
HttpResponse GetComposeFile(Call& c);
HttpResponse PatchCvm(Call& c);
HttpResponse CommitCvmUpdate(Call& c);
HttpResponse IsAllowed(Call& c);
HttpResponse ListKms(Call& c);
HttpResponse GetKms(Call& c);
HttpResponse GetKmsPubkey(Call& c);
HttpResponse DeviceAllowlist(Call& c);
HttpResponse ListWebhooks(Call& c);
HttpResponse CreateWebhook(Call& c);
HttpResponse DeleteWebhook(Call& c);
HttpResponse RotateWebhook(Call& c);
HttpResponse ListDeliveries(Call& c);

}  // namespace chainkms::gateway::rest
