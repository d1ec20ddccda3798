// RestApi: KMS, app device allowlist and workspace webhook routes.
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "lib/common/reason.h"
#include "services/gateway/rest_internal.h"

namespace chainkms::gateway::rest {

namespace pb = ::chainkms::v1;

namespace {

absl::StatusOr<pb::ListKmsResponse> AllKms(Call& c) {
  pb::ListKmsResponse resp;
  grpc::Status s = Prov(c, &pb::Provisioning::StubInterface::ListKms, pb::ListKmsRequest(), &resp,
                        Idempotency::kRead);
  if (!s.ok()) return server::FromGrpcStatus(s);
  return resp;
}

// The KMS named by id or slug (they are the same here).
absl::StatusOr<pb::KmsRef> FindKms(Call& c, std::string_view slug) {
  absl::StatusOr<pb::ListKmsResponse> all = AllKms(c);
  if (!all.ok()) return all.status();
  for (const pb::KmsRef& k : all->kms()) {
    if (k.slug() == slug) return k;
  }
  return absl::NotFoundError(absl::StrCat("no KMS \"", std::string(slug), "\""));
}

// 404 ERR-02-011 (KMS_NOT_FOUND) for an unknown slug, else the error as usual.
HttpResponse KmsError(const absl::Status& s, std::string_view slug) {
  if (!absl::IsNotFound(s)) return Error(s);
  return Json(404,
              {{"detail",
                {{"error_code", "ERR-02-011"},
                 {"message", std::string(s.message())},
                 {"details", json::array({{{"field", "kms"}, {"value", std::string(slug)}}})}}}});
}

json WebhookJson(const pb::Webhook& w) {
  return {
      {"id", w.id()},
      {"url", w.url()},
      {"events", w.events()},
      {"secret_prefix", w.secret_prefix()},
      {"created_at", absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(w.created_at()),
                                      absl::UTCTimeZone())}};
}

}  // namespace

HttpResponse ListKms(Call& c) {
  absl::StatusOr<pb::ListKmsResponse> all = AllKms(c);
  if (!all.ok()) return Error(all.status());
  json items = json::array();
  for (const pb::KmsRef& k : all->kms()) items.push_back(KmsInfoJson(k));
  const size_t n = items.size();
  // Exactly the five keys @phala/cloud's strict schema allows.
  return Json(
      200,
      {{"items", items}, {"total", n}, {"page", 1}, {"page_size", n == 0 ? 1 : n}, {"pages", 1}});
}

HttpResponse GetKms(Call& c) {
  absl::StatusOr<pb::KmsRef> kms = FindKms(c, c.segments.at(1));
  if (!kms.ok()) return KmsError(kms.status(), c.segments.at(1));
  return Json(200, KmsInfoJson(*kms));
}

HttpResponse GetKmsPubkey(Call& c) {
  absl::StatusOr<pb::KmsRef> kms = FindKms(c, c.segments.at(1));
  if (!kms.ok()) return KmsError(kms.status(), c.segments.at(1));
  absl::StatusOr<std::string> app = HexField(c.segments.at(3), 20, "app_id");
  if (!app.ok()) return Error(app.status());
  pb::GetAppEnvEncryptPubKeyRequest req;
  req.set_chain_id(kms->chain_id());
  req.set_app_id(*app);
  pb::GetAppEnvEncryptPubKeyResponse resp;
  grpc::Status s =
      Forward(c, c.gateway.backends().kms(), &pb::Kms::StubInterface::GetAppEnvEncryptPubKey, req,
              &resp, Idempotency::kRead);
  if (!s.ok()) return Error(s);
  // Exactly {public_key, signature} (strict schema); the legacy signature, v ∈ {0, 1}.
  return Json(200, {{"public_key", HexPlain(resp.public_key())},
                    {"signature", HexPlain(resp.signature())}});
}

HttpResponse DeviceAllowlist(Call& c) {
  absl::StatusOr<std::string> app =
      HexField(c.segments.at(1).starts_with("app_") ? c.segments.at(1).substr(4) : c.segments.at(1),
               20, "app_id");
  if (!app.ok()) return Error(app.status());
  pb::GetCvmAllowlistStatusRequest req;
  req.set_cvm_id("app_" + HexPlain(*app));
  pb::GetCvmAllowlistStatusResponse resp;
  grpc::Status s = Prov(c, &pb::Provisioning::StubInterface::GetCvmAllowlistStatus, req, &resp,
                        Idempotency::kRead);
  if (!s.ok()) return Error(s);
  json devices = json::array();
  for (const pb::DeviceAllowlistEntry& d : resp.devices()) {
    devices.push_back({{"device_id", HexPlain(d.device_id())},
                       {"node_name", d.node()},
                       {"cvm_ids", json::array()},
                       {"allowed_onchain", d.allowed()},
                       {"status", d.allowed() ? "allowed" : "not_allowed"}});
  }
  return Json(200, {{"is_onchain_kms", true},
                    {"allow_any_device", resp.allow_any_device()},
                    {"chain_id", resp.chain_id()},
                    {"app_contract_address", "0x" + HexPlain(resp.app_id())},
                    {"compose_hash_allowed", resp.compose_hash_allowed()},
                    {"block_number", resp.block_number()},
                    {"devices", devices}});
}

HttpResponse ListWebhooks(Call& c) {
  pb::ListWebhooksResponse resp;
  grpc::Status s = Prov(c, &pb::Provisioning::StubInterface::ListWebhooks,
                        pb::ListWebhooksRequest(), &resp, Idempotency::kRead);
  if (!s.ok()) return Error(s);
  json items = json::array();
  for (const pb::Webhook& w : resp.webhooks()) items.push_back(WebhookJson(w));
  return Json(200, {{"items", items}, {"total", items.size()}});
}

HttpResponse CreateWebhook(Call& c) {
  absl::StatusOr<json> body = BodyObject(c.http);
  if (!body.ok()) return Error(body.status());
  std::string url;
  std::vector<std::string> events;
  if (absl::Status s = ReadString(*body, "url", &url); !s.ok()) return Error(s);
  if (absl::Status s = ReadStrings(*body, "events", &events); !s.ok()) return Error(s);
  pb::CreateWebhookRequest req;
  req.set_url(url);
  for (std::string& e : events) req.add_events(std::move(e));
  pb::CreateWebhookResponse resp;
  grpc::Status s =
      Prov(c, &pb::Provisioning::StubInterface::CreateWebhook, req, &resp, Idempotency::kWrite);
  if (!s.ok()) return Error(s);
  json out = WebhookJson(resp.webhook());
  out["secret"] = resp.secret();
  return Json(201, out);
}

HttpResponse DeleteWebhook(Call& c) {
  pb::DeleteWebhookRequest req;
  req.set_webhook_id(c.segments.at(2));
  pb::DeleteWebhookResponse resp;
  grpc::Status s =
      Prov(c, &pb::Provisioning::StubInterface::DeleteWebhook, req, &resp, Idempotency::kWrite);
  if (!s.ok()) return Error(s);
  HttpResponse r;
  r.status = 204;
  return r;
}

HttpResponse RotateWebhook(Call& c) {
  pb::RotateWebhookSecretRequest req;
  req.set_webhook_id(c.segments.at(2));
  pb::RotateWebhookSecretResponse resp;
  grpc::Status s = Prov(c, &pb::Provisioning::StubInterface::RotateWebhookSecret, req, &resp,
                        Idempotency::kWrite);
  if (!s.ok()) return Error(s);
  json out = WebhookJson(resp.webhook());
  out["secret"] = resp.secret();
  return Json(200, out);
}

HttpResponse ListDeliveries(Call& c) {
  pb::ListWebhookDeliveriesRequest req;
  req.set_webhook_id(c.segments.at(2));
  std::string v;
  if (c.http.QueryParam("page_token", &v)) req.set_page_token(v);
  if (c.http.QueryParam("page_size", &v)) {
    uint32_t n = 0;
    if (!absl::SimpleAtoi(v, &n)) return BadField("page_size", "must be a positive integer");
    req.set_page_size(n);
  }
  pb::ListWebhookDeliveriesResponse resp;
  grpc::Status s = Prov(c, &pb::Provisioning::StubInterface::ListWebhookDeliveries, req, &resp,
                        Idempotency::kRead);
  if (!s.ok()) return Error(s);
  json items = json::array();
  for (const pb::WebhookDelivery& d : resp.deliveries()) {
    items.push_back({{"event_id", d.event_id()},
                     {"event", d.event()},
                     {"state", pb::DeliveryState_Name(d.state())},
                     {"attempts", d.attempts()},
                     {"last_http_status", d.last_http_status()},
                     {"last_error", d.last_error()},
                     {"created_at", d.created_at()},
                     {"next_attempt_at", d.next_attempt_at()},
                     {"delivered_at", d.delivered_at()}});
  }
  return Json(200, {{"items", items}, {"next_page_token", resp.next_page_token()}});
}

}  // namespace chainkms::gateway::rest
