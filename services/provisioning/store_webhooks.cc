// ProvisioningStore: webhook endpoints, the outbox (deliveries, leases, attempts) and API keys.
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/common/reason.h"
#include "lib/common/status_macros.h"
#include "services/provisioning/store.h"
#include "services/provisioning/store_internal.h"

namespace chainkms::provisioning {

namespace store_internal {

DeliveryRecord DeliveryFromRow(const store::Row& r) {
  DeliveryRecord d;
  d.id = r.text(0);
  d.webhook_id = r.text(1);
  d.workspace = r.text(2);
  d.event_id = r.text(3);
  d.event = r.text(4);
  d.payload = r.text(5);
  d.state = r.text(6);
  d.attempts = r.integer(7);
  d.next_attempt_at = r.integer(8);
  d.last_http_status = r.integer(9);
  d.last_error = r.text(10);
  d.created_at = r.integer(11);
  d.delivered_at = r.integer(12);
  return d;
}

absl::Status WebhookNotFound(std::string_view id) {
  return WithReason(absl::NotFoundError(absl::StrCat("no webhook ", std::string(id))),
                    Reason::kWebhookNotFound, {{"webhook_id", std::string(id)}});
}

}  // namespace store_internal

using store::Row;
using store::SqlConn;
using store_internal::DeliveryFromRow;
using store_internal::kDeliveryColumns;
using store_internal::Sql;
using store_internal::WebhookNotFound;

absl::Status ProvisioningStore::CreateWebhook(const WebhookRecord& w) {
  return Timed("create_webhook", [&] {
    return db_
        ->Exec(
            "INSERT INTO webhooks (id, workspace, url, secret, events, created_at) VALUES ($1, "
            "$2, $3, $4, $5, $6)",
            {w.id, w.workspace, w.url, w.secret, JoinList(w.events), w.created_at})
        .status();
  });
}

absl::StatusOr<std::vector<WebhookRecord>> ProvisioningStore::ListWebhooks(
    std::string_view workspace) {
  return Timed("list_webhooks", [&]() -> absl::StatusOr<std::vector<WebhookRecord>> {
    ASSIGN_OR_RETURN(std::vector<Row> rows,
                     db_->Query("SELECT id, workspace, url, secret, events, created_at FROM "
                                "webhooks WHERE workspace = $1 ORDER BY created_at, id",
                                {std::string(workspace)}));
    std::vector<WebhookRecord> out;
    for (const Row& r : rows) {
      out.push_back({.id = r.text(0),
                     .workspace = r.text(1),
                     .url = r.text(2),
                     .secret = r.text(3),
                     .events = SplitList(r.text(4)),
                     .created_at = r.integer(5)});
    }
    return out;
  });
}

absl::StatusOr<WebhookRecord> ProvisioningStore::GetWebhook(std::string_view workspace,
                                                            std::string_view id) {
  ASSIGN_OR_RETURN(std::vector<WebhookRecord> all, ListWebhooks(workspace));
  for (WebhookRecord& w : all) {
    if (w.id == id) return std::move(w);
  }
  return WebhookNotFound(id);
}

absl::Status ProvisioningStore::RotateWebhookSecret(std::string_view workspace, std::string_view id,
                                                    std::string_view secret) {
  return Timed("rotate_webhook_secret", [&]() -> absl::Status {
    ASSIGN_OR_RETURN(int64_t changed,
                     db_->Exec("UPDATE webhooks SET secret = $1 WHERE workspace = $2 AND id = $3",
                               {std::string(secret), std::string(workspace), std::string(id)}));
    return changed == 1 ? absl::OkStatus() : WebhookNotFound(id);
  });
}

absl::Status ProvisioningStore::DeleteWebhook(std::string_view workspace, std::string_view id) {
  return Timed("delete_webhook", [&] {
    return db_->Transaction([&](SqlConn& c) -> absl::Status {
      ASSIGN_OR_RETURN(int64_t changed,
                       c.Exec("DELETE FROM webhooks WHERE workspace = $1 AND id = $2",
                              {std::string(workspace), std::string(id)}));
      if (changed != 1) return WebhookNotFound(id);
      return c
          .Exec("DELETE FROM webhook_deliveries WHERE webhook_id = $1 AND state = 'pending'",
                {std::string(id)})
          .status();
    });
  });
}

absl::StatusOr<std::vector<DeliveryRecord>> ProvisioningStore::ListDeliveries(
    std::string_view workspace, std::string_view webhook_id, int64_t limit,
    std::string_view after) {
  RETURN_IF_ERROR(GetWebhook(workspace, webhook_id).status());
  return Timed("list_deliveries", [&]() -> absl::StatusOr<std::vector<DeliveryRecord>> {
    std::vector<Row> rows;
    if (after.empty()) {
      ASSIGN_OR_RETURN(rows, db_->Query(Sql("SELECT ", kDeliveryColumns,
                                            " FROM webhook_deliveries WHERE workspace = $1 AND "
                                            "webhook_id = $2 ORDER BY created_at DESC, id DESC "
                                            "LIMIT $3"),
                                        {std::string(workspace), std::string(webhook_id), limit}));
    } else {
      ASSIGN_OR_RETURN(
          rows,
          db_->Query(Sql("SELECT ", kDeliveryColumns,
                         " FROM webhook_deliveries WHERE workspace = $1 AND webhook_id = $2 AND "
                         "(created_at < (SELECT created_at FROM webhook_deliveries WHERE id = $3) "
                         "OR (created_at = (SELECT created_at FROM webhook_deliveries WHERE id = "
                         "$3) AND id < $3)) ORDER BY created_at DESC, id DESC LIMIT $4"),
                     {std::string(workspace), std::string(webhook_id), std::string(after), limit}));
    }
    std::vector<DeliveryRecord> out;
    for (const Row& r : rows) out.push_back(DeliveryFromRow(r));
    return out;
  });
}

absl::StatusOr<std::vector<ClaimedDelivery>> ProvisioningStore::ClaimDueDeliveries(
    std::string_view owner, int64_t now, int64_t lease_until, int64_t limit) {
  return Timed("claim_deliveries", [&]() -> absl::StatusOr<std::vector<ClaimedDelivery>> {
    ASSIGN_OR_RETURN(std::vector<Row> due,
                     db_->Query("SELECT id FROM webhook_deliveries WHERE state = 'pending' AND "
                                "next_attempt_at <= $1 AND lease_until <= $1 ORDER BY "
                                "next_attempt_at, id LIMIT $2",
                                {now, limit}));
    std::vector<ClaimedDelivery> out;
    for (const Row& d : due) {
      // Claim one at a time with a conditional update: another worker that got there first
      // leaves zero rows changed here.
      ASSIGN_OR_RETURN(int64_t changed,
                       db_->Exec("UPDATE webhook_deliveries SET lease_owner = $1, lease_until = "
                                 "$2 WHERE id = $3 AND state = 'pending' AND lease_until <= $4",
                                 {std::string(owner), lease_until, d.text(0), now}));
      if (changed != 1) continue;
      ASSIGN_OR_RETURN(
          std::vector<Row> rows,
          db_->Query(Sql("SELECT ", kDeliveryColumns,
                         ", (SELECT url FROM webhooks w WHERE w.id = webhook_id), (SELECT secret "
                         "FROM webhooks w WHERE w.id = webhook_id) FROM webhook_deliveries WHERE "
                         "id = $1"),
                     {d.text(0)}));
      if (rows.empty() || rows[0].is_null(13)) continue;  // the webhook was deleted meanwhile
      out.push_back({.delivery = DeliveryFromRow(rows[0]),
                     .url = rows[0].text(13),
                     .secret = rows[0].text(14)});
    }
    return out;
  });
}

absl::Status ProvisioningStore::RecordAttempt(std::string_view delivery_id, std::string_view owner,
                                              bool delivered, int64_t http_status,
                                              std::string_view error, int64_t now,
                                              int64_t next_attempt_at) {
  return Timed("record_attempt", [&]() -> absl::Status {
    const std::string state =
        delivered ? "delivered" : (next_attempt_at > 0 ? "pending" : "failed");
    ASSIGN_OR_RETURN(
        int64_t changed,
        db_->Exec("UPDATE webhook_deliveries SET state = $1, attempts = attempts + 1, "
                  "next_attempt_at = $2, lease_owner = '', lease_until = 0, last_http_status = "
                  "$3, last_error = $4, delivered_at = $5 WHERE id = $6 AND lease_owner = $7",
                  {state, next_attempt_at, http_status, std::string(error),
                   delivered ? now : int64_t{0}, std::string(delivery_id), std::string(owner)}));
    if (changed != 1) {
      return absl::AbortedError("the delivery's lease was lost before the attempt was recorded");
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::optional<int64_t>> ProvisioningStore::NextDueAt() {
  return Timed("next_due", [&]() -> absl::StatusOr<std::optional<int64_t>> {
    ASSIGN_OR_RETURN(std::vector<Row> rows,
                     db_->Query("SELECT MIN(next_attempt_at) FROM webhook_deliveries WHERE state "
                                "= 'pending'"));
    if (rows.empty() || rows[0].is_null(0)) return std::optional<int64_t>();
    return std::optional<int64_t>(rows[0].integer(0));
  });
}

namespace {

constexpr std::string_view kApiKeyColumns =
    "id, workspace, name, secret_sha256, created_at, revoked_at";

ApiKeyRecord ApiKeyFromRow(const Row& r) {
  return {.id = r.text(0),
          .workspace = r.text(1),
          .name = r.text(2),
          .secret_sha256 = r.blob(3),
          .created_at = r.integer(4),
          .revoked_at = r.integer(5)};
}

absl::Status ApiKeyNotFound(std::string_view id) {
  return WithReason(absl::NotFoundError(absl::StrCat("no API key ", std::string(id))),
                    Reason::kApiKeyNotFound, {{"key_id", std::string(id)}});
}

}  // namespace

absl::Status ProvisioningStore::CreateApiKey(const ApiKeyRecord& key) {
  return Timed("create_api_key", [&] {
    return db_
        ->Exec(
            "INSERT INTO api_keys (id, workspace, name, secret_sha256, created_at, revoked_at) "
            "VALUES ($1, $2, $3, $4, $5, 0)",
            {key.id, key.workspace, key.name, key.secret_sha256, key.created_at})
        .status();
  });
}

absl::StatusOr<ApiKeyRecord> ProvisioningStore::GetApiKey(std::string_view id) {
  return Timed("get_api_key", [&]() -> absl::StatusOr<ApiKeyRecord> {
    ASSIGN_OR_RETURN(std::vector<Row> rows,
                     db_->Query(Sql("SELECT ", kApiKeyColumns, " FROM api_keys WHERE id = $1"),
                                {std::string(id)}));
    if (rows.empty()) return ApiKeyNotFound(id);
    return ApiKeyFromRow(rows[0]);
  });
}

absl::StatusOr<std::vector<ApiKeyRecord>> ProvisioningStore::ListApiKeys(
    std::string_view workspace) {
  return Timed("list_api_keys", [&]() -> absl::StatusOr<std::vector<ApiKeyRecord>> {
    ASSIGN_OR_RETURN(std::vector<Row> rows,
                     db_->Query(Sql("SELECT ", kApiKeyColumns,
                                    " FROM api_keys WHERE workspace = $1 ORDER BY created_at, id"),
                                {std::string(workspace)}));
    std::vector<ApiKeyRecord> out;
    out.reserve(rows.size());
    for (const Row& r : rows) out.push_back(ApiKeyFromRow(r));
    return out;
  });
}

absl::StatusOr<ApiKeyRecord> ProvisioningStore::RevokeApiKey(std::string_view workspace,
                                                             std::string_view id, int64_t now) {
  return Timed("revoke_api_key", [&]() -> absl::StatusOr<ApiKeyRecord> {
    ApiKeyRecord out;
    absl::Status done = db_->Transaction([&](SqlConn& c) -> absl::Status {
      RETURN_IF_ERROR(c.Exec("UPDATE api_keys SET revoked_at = $1 WHERE workspace = $2 AND id = "
                             "$3 AND revoked_at = 0",
                             {now, std::string(workspace), std::string(id)})
                          .status());
      ASSIGN_OR_RETURN(
          std::vector<Row> rows,
          c.Query(Sql("SELECT ", kApiKeyColumns, " FROM api_keys WHERE workspace = $1 AND id = $2"),
                  {std::string(workspace), std::string(id)}));
      if (rows.empty()) return ApiKeyNotFound(id);
      out = ApiKeyFromRow(rows[0]);
      return absl::OkStatus();
    });
    RETURN_IF_ERROR(done);
    return out;
  });
}

}  // namespace chainkms::provisioning
