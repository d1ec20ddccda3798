// ProvisioningStore: the provisioning service's durable state over lib/store (SQLite or
// PostgreSQL, one schema, versioned migrations applied at Open): pending provisions, CVMs,
// pending updates with their commit tokens (only SHA-256 hashes stored), webhook endpoints and the
// webhook outbox. Every read and write takes the workspace; a record of another workspace is
// never returned or changed.
//
// Every state change commits together with the webhook events it causes (the outbox): either
// both are written or neither. Commit-token use is one conditional UPDATE (… WHERE state =
// 'pending'), so two replicas racing on one token see exactly one winner.
//
//   ASSIGN_OR_RETURN(auto store, ProvisioningStore::Open("sqlite:p.db", {}, &metrics));
//   ASSIGN_OR_RETURN(CvmRecord cvm, store->GetCvm("ws1", "cvm_…"));
//
// Errors: the database down or busy → UNAVAILABLE / STORE_UNAVAILABLE (nothing written); not
// found → NOT_FOUND with CVM_NOT_FOUND / WEBHOOK_NOT_FOUND / HASH_INVALID_OR_EXPIRED.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/common/bytes.h"
#include "lib/server/metrics.h"
#include "lib/store/sql.h"

namespace chainkms::provisioning {

// An event to queue for the workspace's webhooks subscribed to `event`, in the same transaction.
struct OutboxEvent {
  std::string event_id;  // evt_…
  std::string event;     // cvm.created, …
  std::string payload;   // the exact JSON body
};

struct ProvisionRecord {
  std::string workspace;
  Hash32 compose_hash;
  std::string name;
  std::string app_compose;
  std::string kms_slug;
  std::string node;
  Hash32 device_id;
  Hash32 os_image_hash;
  int64_t created_at = 0;
  int64_t expires_at = 0;
};

struct CvmRecord {
  std::string id;
  std::string workspace;
  std::string name;
  Address app_id;
  Hash32 compose_hash;
  std::string app_compose;
  std::string kms_slug;
  std::string node;
  Hash32 device_id;
  Hash32 os_image_hash;
  Bytes encrypted_env;
  std::vector<std::string> env_keys;
  Bytes deployer;      // 20 bytes or empty
  std::string status;  // provisioning | starting | running | boot_failed | stopped
  std::string status_reason;
  int64_t created_at = 0;
  int64_t updated_at = 0;
  int64_t revision = 1;
};

struct PendingUpdate {
  std::string id;
  std::string cvm_id;
  std::string workspace;
  Hash32 compose_hash;
  std::string app_compose;
  bool has_env = false;  // false: keep the CVM's env
  Bytes encrypted_env;
  std::vector<std::string> env_keys;
  Bytes token_hash;   // SHA-256 of the commit token; empty for EOA (ConfirmCvmPatch) updates
  std::string state;  // pending | superseded | used
  int64_t created_at = 0;
  int64_t expires_at = 0;
};

struct WebhookRecord {
  std::string id;
  std::string workspace;
  std::string url;
  std::string secret;
  std::vector<std::string> events;  // empty = all
  int64_t created_at = 0;
};

struct DeliveryRecord {
  std::string id;
  std::string webhook_id;
  std::string workspace;
  std::string event_id;
  std::string event;
  std::string payload;
  std::string state;  // pending | delivered | failed
  int64_t attempts = 0;
  int64_t next_attempt_at = 0;
  int64_t last_http_status = 0;
  std::string last_error;
  int64_t created_at = 0;
  int64_t delivered_at = 0;
};

struct ApiKeyRecord {
  std::string id;  // ck_<16 hex>
  std::string workspace;
  std::string name;
  Bytes secret_sha256;  // SHA-256 of the whole key string
  int64_t created_at = 0;
  int64_t revoked_at = 0;  // 0 while valid
};

// A delivery claimed by one worker: what to send and where.
struct ClaimedDelivery {
  DeliveryRecord delivery;
  std::string url;
  std::string secret;
};

// The outcome of CreateCvm.
struct CreatedCvm {
  CvmRecord cvm;
  bool created = false;  // false: the same app id and hash were committed before (idempotent)
};

class ProvisioningStore {
 public:
  // Opens the database (lib/store URL rules) and applies the migrations. `metrics` (may be null)
  // receives chainkms_store_latency_seconds{op,outcome} for every operation.
  static absl::StatusOr<std::unique_ptr<ProvisioningStore>> Open(std::string_view url,
                                                                 store::DatabaseOptions options,
                                                                 server::Metrics* metrics);
  ProvisioningStore(std::unique_ptr<store::Database> db, server::Metrics* metrics);

  store::Database& database() { return *db_; }
  absl::Status Ping();

  // Pending provisions, keyed by (workspace, compose hash); a second provision of the same hash
  // replaces the first.
  absl::Status PutProvision(const ProvisionRecord& p);
  // HASH_INVALID_OR_EXPIRED (NOT_FOUND) when there is none or it expired before `now`.
  absl::StatusOr<ProvisionRecord> GetProvision(std::string_view workspace, const Hash32& hash,
                                               int64_t now);

  // Records a CVM unless one with its app id exists: the same workspace and compose hash → that
  // CVM (created = false, no events); anything else → ALREADY_EXISTS / CVM_APP_ID_CONFLICT.
  absl::StatusOr<CreatedCvm> CreateCvm(const CvmRecord& cvm,
                                       const std::vector<OutboxEvent>& events);
  absl::StatusOr<CvmRecord> GetCvm(std::string_view workspace, std::string_view cvm_id);
  // Newest first; `after` is the last id of the previous page ("" = first page).
  absl::StatusOr<std::vector<CvmRecord>> ListCvms(std::string_view workspace, int64_t limit,
                                                  std::string_view after);
  absl::StatusOr<int64_t> CountCvms(std::string_view workspace);

  // Applies a compose/env change now (unchanged hash): supersedes every pending update of the
  // CVM, bumps its revision. Returns the CVM as stored.
  absl::StatusOr<CvmRecord> ApplyUpdate(std::string_view workspace, std::string_view cvm_id,
                                        const PendingUpdate& change, int64_t now,
                                        const std::vector<OutboxEvent>& events);
  // Records a pending update, superseding every earlier one of the CVM.
  absl::Status CreatePendingUpdate(const PendingUpdate& update,
                                   const std::vector<OutboxEvent>& events);
  // The update a commit token was issued for (any state), by the token's hash.
  absl::StatusOr<PendingUpdate> GetPendingByToken(const Bytes& token_hash);
  // The newest pending (state = pending) update of a CVM for `hash`.
  absl::StatusOr<PendingUpdate> GetPendingForHash(std::string_view workspace,
                                                  std::string_view cvm_id, const Hash32& hash);
  // Uses the pending update (state pending → used, only if still pending and unexpired at
  // `now`) and applies it to its CVM, in one transaction. HASH_INVALID_OR_EXPIRED with detail
  // expired | superseded | used when it lost (another caller used it first, or it changed).
  absl::StatusOr<CvmRecord> ApplyPendingUpdate(const PendingUpdate& update, int64_t now,
                                               const std::vector<OutboxEvent>& events);

  // Status reports from the node driver. `events_for` (may be empty) builds the events to queue
  // from the CVM as updated, in the same transaction.
  using EventsFor = std::function<std::vector<OutboxEvent>(const CvmRecord&)>;
  absl::StatusOr<CvmRecord> SetCvmStatus(std::string_view cvm_id, std::string_view status,
                                         std::string_view reason, int64_t now,
                                         const EventsFor& events_for);

  // Webhook endpoints.
  absl::Status CreateWebhook(const WebhookRecord& w);
  absl::StatusOr<std::vector<WebhookRecord>> ListWebhooks(std::string_view workspace);
  absl::StatusOr<WebhookRecord> GetWebhook(std::string_view workspace, std::string_view id);
  absl::Status RotateWebhookSecret(std::string_view workspace, std::string_view id,
                                   std::string_view secret);
  absl::Status DeleteWebhook(std::string_view workspace, std::string_view id);
  // Newest first; `after` is the last delivery id of the previous page.
  absl::StatusOr<std::vector<DeliveryRecord>> ListDeliveries(std::string_view workspace,
                                                             std::string_view webhook_id,
                                                             int64_t limit, std::string_view after);

  // API keys (the admin service). Get is by id alone: the caller compares the hash and reads the
  // workspace from the record. Revoke is idempotent (the first revoked_at stays).
  absl::Status CreateApiKey(const ApiKeyRecord& key);
  absl::StatusOr<ApiKeyRecord> GetApiKey(std::string_view id);
  absl::StatusOr<std::vector<ApiKeyRecord>> ListApiKeys(std::string_view workspace);
  absl::StatusOr<ApiKeyRecord> RevokeApiKey(std::string_view workspace, std::string_view id,
                                            int64_t now);

  // Outbox. Claims up to `limit` due deliveries (pending, next_attempt_at ≤ now, no live lease)
  // for `owner` until `lease_until`; a delivery is claimed by one owner at a time.
  absl::StatusOr<std::vector<ClaimedDelivery>> ClaimDueDeliveries(std::string_view owner,
                                                                  int64_t now, int64_t lease_until,
                                                                  int64_t limit);
  // Records an attempt by the lease owner: delivered (at `now`), retry at `next_attempt_at`, or
  // failed for good (next_attempt_at = 0 and !delivered). Releases the lease.
  absl::Status RecordAttempt(std::string_view delivery_id, std::string_view owner, bool delivered,
                             int64_t http_status, std::string_view error, int64_t now,
                             int64_t next_attempt_at);
  // The earliest next_attempt_at of a pending delivery, if any (the worker's next wake-up).
  absl::StatusOr<std::optional<int64_t>> NextDueAt();

 private:
  template <typename F>
  auto Timed(std::string_view op, F&& f) -> decltype(f());

  std::unique_ptr<store::Database> db_;
  server::Metrics* metrics_;
};

// Joins / splits the newline-separated lists stored in TEXT columns (env names, event names).
std::string JoinList(const std::vector<std::string>& items);
std::vector<std::string> SplitList(std::string_view text);

}  // namespace chainkms::provisioning
