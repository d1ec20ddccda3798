// Webhook endpoints of a workspace and their deliveries (the outbox worker sends them).
#include "absl/strings/str_cat.h"
#include "lib/common/reason.h"
#include "lib/common/status_macros.h"
#include "lib/server/handle.h"
#include "lib/server/proto_fields.h"
#include "lib/webhook/sign.h"
#include "lib/webhook/target.h"
#include "services/provisioning/events.h"
#include "services/provisioning/proto_convert.h"
#include "services/provisioning/provisioning_service.h"

namespace chainkms::provisioning {

namespace pb = ::chainkms::v1;
using server::Handle;

namespace {

void WebhookToProto(const WebhookRecord& w, pb::Webhook* out) {
  out->set_id(w.id);
  out->set_url(w.url);
  for (const std::string& e : w.events) out->add_events(e);
  out->set_created_at(w.created_at);
  out->set_secret_prefix(w.secret.substr(0, 10));
}

pb::DeliveryState StateToProto(std::string_view s) {
  if (s == "pending") return pb::DELIVERY_STATE_PENDING;
  if (s == "delivered") return pb::DELIVERY_STATE_DELIVERED;
  if (s == "failed") return pb::DELIVERY_STATE_FAILED;
  return pb::DELIVERY_STATE_UNSPECIFIED;
}

absl::Status CheckWebhookId(std::string_view id) {
  if (IsId(id, "wh_")) return absl::OkStatus();
  return InvalidFieldError("webhook_id", "not a webhook id (wh_ + 24 hex)");
}

}  // namespace

grpc::Status ProvisioningService::CreateWebhook(Ctx* ctx, const pb::CreateWebhookRequest* req,
                                                pb::CreateWebhookResponse* resp) {
  return Handle(serving_.unary, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(std::string ws, WorkspaceOf(*ctx));
    absl::StatusOr<webhook::WebhookUrl> url =
        webhook::CheckWebhookUrl(req->url(), options_.webhook_allow_private);
    if (!url.ok()) return InvalidFieldError("url", std::string(url.status().message()));
    RETURN_IF_ERROR(server::CheckMaxCount(req->events_size(), 4, "events"));
    for (const std::string& e : req->events()) {
      if (!IsKnownEvent(e)) {
        return InvalidFieldError("events",
                                 absl::StrCat("unknown event \"", e.substr(0, 64),
                                              "\" (cvm.created, cvm.updated, cvm.boot_failed, "
                                              "cvm.update.pending_approval)"));
      }
    }
    ASSIGN_OR_RETURN(std::vector<WebhookRecord> existing, store_.ListWebhooks(ws));
    if (static_cast<int>(existing.size()) >= options_.max_webhooks) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "this workspace has ", existing.size(), " webhooks, the most allowed; delete one first"));
    }
    WebhookRecord w{.id = NewId("wh_"),
                    .workspace = ws,
                    .url = req->url(),
                    .secret = webhook::NewWebhookSecret(),
                    .events = {req->events().begin(), req->events().end()},
                    .created_at = Now()};
    RETURN_IF_ERROR(store_.CreateWebhook(w));
    WebhookToProto(w, resp->mutable_webhook());
    resp->set_secret(w.secret);
    return absl::OkStatus();
  });
}

grpc::Status ProvisioningService::ListWebhooks(Ctx* ctx, const pb::ListWebhooksRequest*,
                                               pb::ListWebhooksResponse* resp) {
  return Handle(serving_.unary, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(std::string ws, WorkspaceOf(*ctx));
    ASSIGN_OR_RETURN(std::vector<WebhookRecord> all, store_.ListWebhooks(ws));
    for (const WebhookRecord& w : all) WebhookToProto(w, resp->add_webhooks());
    return absl::OkStatus();
  });
}

grpc::Status ProvisioningService::RotateWebhookSecret(Ctx* ctx,
                                                      const pb::RotateWebhookSecretRequest* req,
                                                      pb::RotateWebhookSecretResponse* resp) {
  return Handle(serving_.unary, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(std::string ws, WorkspaceOf(*ctx));
    RETURN_IF_ERROR(CheckWebhookId(req->webhook_id()));
    const std::string secret = webhook::NewWebhookSecret();
    RETURN_IF_ERROR(store_.RotateWebhookSecret(ws, req->webhook_id(), secret));
    ASSIGN_OR_RETURN(WebhookRecord w, store_.GetWebhook(ws, req->webhook_id()));
    WebhookToProto(w, resp->mutable_webhook());
    resp->set_secret(secret);
    return absl::OkStatus();
  });
}

grpc::Status ProvisioningService::DeleteWebhook(Ctx* ctx, const pb::DeleteWebhookRequest* req,
                                                pb::DeleteWebhookResponse*) {
  return Handle(serving_.unary, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(std::string ws, WorkspaceOf(*ctx));
    RETURN_IF_ERROR(CheckWebhookId(req->webhook_id()));
    return store_.DeleteWebhook(ws, req->webhook_id());
  });
}

grpc::Status ProvisioningService::ListWebhookDeliveries(Ctx* ctx,
                                                        const pb::ListWebhookDeliveriesRequest* req,
                                                        pb::ListWebhookDeliveriesResponse* resp) {
  return Handle(serving_.unary, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(std::string ws, WorkspaceOf(*ctx));
    RETURN_IF_ERROR(CheckWebhookId(req->webhook_id()));
    ASSIGN_OR_RETURN(int64_t limit, PageSize(req->page_size(), "page_size"));
    if (req->page_token().size() > 128) {
      return InvalidFieldError("page_token", "not a token this service issued");
    }
    ASSIGN_OR_RETURN(std::vector<DeliveryRecord> page,
                     store_.ListDeliveries(ws, req->webhook_id(), limit + 1, req->page_token()));
    const bool more = static_cast<int64_t>(page.size()) > limit;
    if (more) page.pop_back();
    for (const DeliveryRecord& d : page) {
      pb::WebhookDelivery* out = resp->add_deliveries();
      out->set_event_id(d.event_id);
      out->set_event(d.event);
      out->set_state(StateToProto(d.state));
      out->set_attempts(static_cast<uint32_t>(d.attempts));
      out->set_last_http_status(static_cast<int32_t>(d.last_http_status));
      out->set_last_error(d.last_error);
      out->set_created_at(d.created_at);
      out->set_next_attempt_at(d.state == "pending" ? d.next_attempt_at : 0);
      out->set_delivered_at(d.delivered_at);
      out->set_payload(d.payload);
    }
    if (more) resp->set_next_page_token(page.back().id);
    return absl::OkStatus();
  });
}

}  // namespace chainkms::provisioning
