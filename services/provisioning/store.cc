#include "services/provisioning/store.h"

#include "services/provisioning/store_internal.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "lib/common/hex.h"
#include "lib/common/reason.h"
#include "lib/common/status_macros.h"
#include "lib/store/migrations.h"

namespace chainkms::provisioning {
namespace store_internal {

std::string Sql(std::string_view a, std::string_view b, std::string_view c) {
  return absl::StrCat(std::string(a), std::string(b), std::string(c));
}

}  // namespace store_internal

namespace {

using store_internal::DeliveryFromRow;
using store_internal::Sql;
using store_internal::WebhookNotFound;

using store::Row;
using store::SqlConn;
using store::SqlValue;

constexpr std::string_view kCvmColumns =
    "id, workspace, name, app_id, compose_hash, app_compose, kms_slug, node, device_id, "
    "os_image_hash, encrypted_env, env_keys, deployer, status, status_reason, created_at, "
    "updated_at, revision";
constexpr std::string_view kPendingColumns =
    "id, cvm_id, workspace, compose_hash, app_compose, has_env, encrypted_env, env_keys, "
    "token_hash, state, created_at, expires_at";

template <size_t N>
FixedBytes<N> Fixed(const Bytes& b) {
  FixedBytes<N> out;
  if (b.size() == N) std::copy(b.begin(), b.end(), out.bytes.begin());
  return out;
}
template <size_t N>
Bytes ToBytes(const FixedBytes<N>& f) {
  return Bytes(f.bytes.begin(), f.bytes.end());
}

CvmRecord CvmFromRow(const Row& r) {
  CvmRecord c;
  c.id = r.text(0);
  c.workspace = r.text(1);
  c.name = r.text(2);
  c.app_id = Fixed<20>(r.blob(3));
  c.compose_hash = Fixed<32>(r.blob(4));
  c.app_compose = r.text(5);
  c.kms_slug = r.text(6);
  c.node = r.text(7);
  c.device_id = Fixed<32>(r.blob(8));
  c.os_image_hash = Fixed<32>(r.blob(9));
  c.encrypted_env = r.blob(10);
  c.env_keys = SplitList(r.text(11));
  c.deployer = r.blob(12);
  c.status = r.text(13);
  c.status_reason = r.text(14);
  c.created_at = r.integer(15);
  c.updated_at = r.integer(16);
  c.revision = r.integer(17);
  return c;
}

PendingUpdate PendingFromRow(const Row& r) {
  PendingUpdate p;
  p.id = r.text(0);
  p.cvm_id = r.text(1);
  p.workspace = r.text(2);
  p.compose_hash = Fixed<32>(r.blob(3));
  p.app_compose = r.text(4);
  p.has_env = r.integer(5) != 0;
  p.encrypted_env = r.blob(6);
  p.env_keys = SplitList(r.text(7));
  p.token_hash = r.blob(8);
  p.state = r.text(9);
  p.created_at = r.integer(10);
  p.expires_at = r.integer(11);
  return p;
}

// app_<40 hex>, 0x<40 hex> or 40 hex: a CVM named by its app id.
std::optional<Address> AppIdForm(std::string_view ref) {
  if (ref.starts_with("app_")) ref.remove_prefix(4);
  if (ref.size() != 40 && !(ref.size() == 42 && (ref.starts_with("0x") || ref.starts_with("0X")))) {
    return std::nullopt;
  }
  absl::StatusOr<Address> a = HexDecodeFixed<20>(ref, "cvm_id");
  if (!a.ok()) return std::nullopt;
  return *a;
}

absl::Status CvmNotFound(std::string_view id) {
  return WithReason(absl::NotFoundError(absl::StrCat("no CVM ", std::string(id))),
                    Reason::kCvmNotFound, {{"cvm_id", std::string(id)}});
}

absl::Status InvalidOrExpired(std::string_view detail, std::string_view message) {
  return WithReason(absl::FailedPreconditionError(std::string(message)),
                    Reason::kHashInvalidOrExpired, {{"detail", std::string(detail)}});
}

bool Subscribed(const std::vector<std::string>& events, std::string_view event) {
  if (events.empty()) return true;
  for (const std::string& e : events) {
    if (e == event) return true;
  }
  return false;
}

// Queues `events` for every subscribed webhook of the workspace, inside the caller's transaction.
absl::Status Enqueue(SqlConn& c, std::string_view workspace, const std::vector<OutboxEvent>& events,
                     int64_t now) {
  if (events.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(
      std::vector<Row> hooks,
      c.Query("SELECT id, events FROM webhooks WHERE workspace = $1", {std::string(workspace)}));
  for (const OutboxEvent& e : events) {
    for (const Row& h : hooks) {
      if (!Subscribed(SplitList(h.text(1)), e.event)) continue;
      RETURN_IF_ERROR(
          c.Exec("INSERT INTO webhook_deliveries (id, webhook_id, workspace, event_id, event, "
                 "payload, state, attempts, next_attempt_at, lease_owner, lease_until, "
                 "last_http_status, last_error, created_at, delivered_at) VALUES ($1, $2, $3, "
                 "$4, $5, $6, 'pending', 0, $7, '', 0, 0, '', $7, 0)",
                 {absl::StrCat(e.event_id, ".", h.text(0)), h.text(0), std::string(workspace),
                  e.event_id, e.event, e.payload, now})
              .status());
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<CvmRecord> LoadCvm(SqlConn& c, std::string_view workspace, std::string_view id) {
  ASSIGN_OR_RETURN(
      std::vector<Row> rows,
      c.Query(Sql("SELECT ", kCvmColumns, " FROM cvms WHERE workspace = $1 AND id = $2"),
              {std::string(workspace), std::string(id)}));
  if (rows.empty()) return CvmNotFound(id);
  return CvmFromRow(rows[0]);
}

absl::Status SupersedePending(SqlConn& c, std::string_view cvm_id) {
  return c
      .Exec(
          "UPDATE pending_updates SET state = 'superseded' WHERE cvm_id = $1 AND state = "
          "'pending'",
          {std::string(cvm_id)})
      .status();
}

// Writes the compose/env of `change` onto the CVM and bumps its revision.
absl::Status WriteChange(SqlConn& c, std::string_view cvm_id, const PendingUpdate& change,
                         int64_t now) {
  if (change.has_env) {
    return c
        .Exec(
            "UPDATE cvms SET compose_hash = $1, app_compose = $2, encrypted_env = $3, "
            "env_keys = $4, updated_at = $5, revision = revision + 1 WHERE id = $6",
            {ToBytes(change.compose_hash), change.app_compose, change.encrypted_env,
             JoinList(change.env_keys), now, std::string(cvm_id)})
        .status();
  }
  return c
      .Exec(
          "UPDATE cvms SET compose_hash = $1, app_compose = $2, updated_at = $3, "
          "revision = revision + 1 WHERE id = $4",
          {ToBytes(change.compose_hash), change.app_compose, now, std::string(cvm_id)})
      .status();
}

}  // namespace

std::string JoinList(const std::vector<std::string>& items) { return absl::StrJoin(items, "\n"); }

std::vector<std::string> SplitList(std::string_view text) {
  std::vector<std::string> out;
  for (absl::string_view s :
       absl::StrSplit(absl::string_view(text.data(), text.size()), '\n', absl::SkipEmpty())) {
    out.emplace_back(s.data(), s.size());
  }
  return out;
}

absl::StatusOr<std::unique_ptr<ProvisioningStore>> ProvisioningStore::Open(
    std::string_view url, store::DatabaseOptions options, server::Metrics* metrics) {
  ASSIGN_OR_RETURN(std::unique_ptr<store::Database> db, store::OpenDatabase(url, options));
  RETURN_IF_ERROR(store::ApplyMigrations(*db, store_internal::Migrations()));
  return std::make_unique<ProvisioningStore>(std::move(db), metrics);
}

ProvisioningStore::ProvisioningStore(std::unique_ptr<store::Database> db, server::Metrics* metrics)
    : db_(std::move(db)), metrics_(metrics) {}

absl::Status ProvisioningStore::Ping() {
  return Timed("ping", [&] { return db_->Ping(); });
}

absl::Status ProvisioningStore::PutProvision(const ProvisionRecord& p) {
  return Timed("put_provision", [&] {
    return db_->Transaction([&](SqlConn& c) -> absl::Status {
      RETURN_IF_ERROR(c.Exec("DELETE FROM provisions WHERE workspace = $1 AND compose_hash = $2",
                             {p.workspace, ToBytes(p.compose_hash)})
                          .status());
      return c
          .Exec(
              "INSERT INTO provisions (workspace, compose_hash, name, app_compose, kms_slug, "
              "node, device_id, os_image_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, "
              "$5, $6, $7, $8, $9, $10)",
              {p.workspace, ToBytes(p.compose_hash), p.name, p.app_compose, p.kms_slug, p.node,
               ToBytes(p.device_id), ToBytes(p.os_image_hash), p.created_at, p.expires_at})
          .status();
    });
  });
}

absl::StatusOr<ProvisionRecord> ProvisioningStore::GetProvision(std::string_view workspace,
                                                                const Hash32& hash, int64_t now) {
  return Timed("get_provision", [&]() -> absl::StatusOr<ProvisionRecord> {
    ASSIGN_OR_RETURN(
        std::vector<Row> rows,
        db_->Query("SELECT name, app_compose, kms_slug, node, device_id, os_image_hash, "
                   "created_at, expires_at FROM provisions WHERE workspace = $1 AND "
                   "compose_hash = $2",
                   {std::string(workspace), ToBytes(hash)}));
    if (rows.empty()) {
      return InvalidOrExpired("unknown", absl::StrCat("compose hash ", Hex0x(hash.bytes),
                                                      " was not provisioned in this workspace; "
                                                      "call ProvisionCvm first"));
    }
    const Row& r = rows[0];
    ProvisionRecord p{.workspace = std::string(workspace),
                      .compose_hash = hash,
                      .name = r.text(0),
                      .app_compose = r.text(1),
                      .kms_slug = r.text(2),
                      .node = r.text(3),
                      .device_id = Fixed<32>(r.blob(4)),
                      .os_image_hash = Fixed<32>(r.blob(5)),
                      .created_at = r.integer(6),
                      .expires_at = r.integer(7)};
    if (p.expires_at <= now) {
      return InvalidOrExpired("expired",
                              "the provision of this compose hash expired; call "
                              "ProvisionCvm again");
    }
    return p;
  });
}

absl::StatusOr<CreatedCvm> ProvisioningStore::CreateCvm(const CvmRecord& cvm,
                                                        const std::vector<OutboxEvent>& events) {
  return Timed("create_cvm", [&]() -> absl::StatusOr<CreatedCvm> {
    CreatedCvm out;
    const absl::Status tx = db_->Transaction([&](SqlConn& c) -> absl::Status {
      ASSIGN_OR_RETURN(std::vector<Row> rows,
                       c.Query(Sql("SELECT ", kCvmColumns, " FROM cvms WHERE app_id = $1"),
                               {ToBytes(cvm.app_id)}));
      if (!rows.empty()) {
        CvmRecord existing = CvmFromRow(rows[0]);
        if (existing.workspace == cvm.workspace && existing.compose_hash == cvm.compose_hash) {
          out = {.cvm = std::move(existing), .created = false};
          return absl::OkStatus();
        }
        return WithReason(
            absl::AlreadyExistsError(absl::StrCat("a CVM for app ", Hex0x(cvm.app_id.bytes),
                                                  " is already recorded with another compose "
                                                  "hash; patch that CVM instead")),
            Reason::kCvmAppIdConflict,
            {{"app_id", Hex0x(cvm.app_id.bytes)},
             {"compose_hash", existing.workspace == cvm.workspace
                                  ? Hex0x(existing.compose_hash.bytes)
                                  : std::string()}});
      }
      RETURN_IF_ERROR(
          c.Exec(
               Sql("INSERT INTO cvms (", kCvmColumns,
                   ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, "
                   "$15, $16, $17, $18)"),
               {cvm.id, cvm.workspace, cvm.name, ToBytes(cvm.app_id), ToBytes(cvm.compose_hash),
                cvm.app_compose, cvm.kms_slug, cvm.node, ToBytes(cvm.device_id),
                ToBytes(cvm.os_image_hash), cvm.encrypted_env, JoinList(cvm.env_keys), cvm.deployer,
                cvm.status, cvm.status_reason, cvm.created_at, cvm.updated_at, cvm.revision})
              .status());
      RETURN_IF_ERROR(Enqueue(c, cvm.workspace, events, cvm.created_at));
      out = {.cvm = cvm, .created = true};
      return absl::OkStatus();
    });
    RETURN_IF_ERROR(tx);
    return out;
  });
}

absl::StatusOr<CvmRecord> ProvisioningStore::GetCvm(std::string_view workspace,
                                                    std::string_view cvm_id) {
  return Timed("get_cvm", [&]() -> absl::StatusOr<CvmRecord> {
    std::vector<Row> rows;
    if (std::optional<Address> app = AppIdForm(cvm_id); app.has_value()) {
      ASSIGN_OR_RETURN(rows, db_->Query(Sql("SELECT ", kCvmColumns,
                                            " FROM cvms WHERE workspace = $1 AND app_id = $2"),
                                        {std::string(workspace), ToBytes(*app)}));
    } else {
      // An id, else a name (the newest CVM of that name).
      ASSIGN_OR_RETURN(rows, db_->Query(Sql("SELECT ", kCvmColumns,
                                            " FROM cvms WHERE workspace = $1 AND (id = $2 OR "
                                            "name = $2) ORDER BY (id = $2) DESC, created_at DESC, "
                                            "id DESC LIMIT 1"),
                                        {std::string(workspace), std::string(cvm_id)}));
    }
    if (rows.empty()) return CvmNotFound(cvm_id);
    return CvmFromRow(rows[0]);
  });
}

absl::StatusOr<std::vector<CvmRecord>> ProvisioningStore::ListCvms(std::string_view workspace,
                                                                   int64_t limit,
                                                                   std::string_view after) {
  return Timed("list_cvms", [&]() -> absl::StatusOr<std::vector<CvmRecord>> {
    std::vector<Row> rows;
    if (after.empty()) {
      ASSIGN_OR_RETURN(rows, db_->Query(Sql("SELECT ", kCvmColumns,
                                            " FROM cvms WHERE workspace = $1 ORDER BY "
                                            "created_at DESC, id DESC LIMIT $2"),
                                        {std::string(workspace), limit}));
    } else {
      ASSIGN_OR_RETURN(
          rows, db_->Query(Sql("SELECT ", kCvmColumns,
                               " FROM cvms WHERE workspace = $1 AND (created_at < (SELECT "
                               "created_at FROM cvms WHERE id = $2) OR (created_at = (SELECT "
                               "created_at FROM cvms WHERE id = $2) AND id < $2)) ORDER BY "
                               "created_at DESC, id DESC LIMIT $3"),
                           {std::string(workspace), std::string(after), limit}));
    }
    std::vector<CvmRecord> out;
    out.reserve(rows.size());
    for (const Row& r : rows) out.push_back(CvmFromRow(r));
    return out;
  });
}

absl::StatusOr<int64_t> ProvisioningStore::CountCvms(std::string_view workspace) {
  return Timed("count_cvms", [&]() -> absl::StatusOr<int64_t> {
    ASSIGN_OR_RETURN(
        std::vector<Row> rows,
        db_->Query("SELECT COUNT(*) FROM cvms WHERE workspace = $1", {std::string(workspace)}));
    return rows.empty() ? 0 : rows[0].integer(0);
  });
}

absl::StatusOr<CvmRecord> ProvisioningStore::ApplyUpdate(std::string_view workspace,
                                                         std::string_view cvm_id,
                                                         const PendingUpdate& change, int64_t now,
                                                         const std::vector<OutboxEvent>& events) {
  return Timed("apply_update", [&]() -> absl::StatusOr<CvmRecord> {
    CvmRecord out;
    const absl::Status tx = db_->Transaction([&](SqlConn& c) -> absl::Status {
      RETURN_IF_ERROR(LoadCvm(c, workspace, cvm_id).status());
      RETURN_IF_ERROR(SupersedePending(c, cvm_id));
      RETURN_IF_ERROR(WriteChange(c, cvm_id, change, now));
      RETURN_IF_ERROR(Enqueue(c, workspace, events, now));
      ASSIGN_OR_RETURN(out, LoadCvm(c, workspace, cvm_id));
      return absl::OkStatus();
    });
    RETURN_IF_ERROR(tx);
    return out;
  });
}

absl::Status ProvisioningStore::CreatePendingUpdate(const PendingUpdate& u,
                                                    const std::vector<OutboxEvent>& events) {
  return Timed("create_pending_update", [&] {
    return db_->Transaction([&](SqlConn& c) -> absl::Status {
      RETURN_IF_ERROR(LoadCvm(c, u.workspace, u.cvm_id).status());
      RETURN_IF_ERROR(SupersedePending(c, u.cvm_id));
      RETURN_IF_ERROR(
          c.Exec(Sql("INSERT INTO pending_updates (", kPendingColumns,
                     ", used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', $10, "
                     "$11, 0)"),
                 {u.id, u.cvm_id, u.workspace, ToBytes(u.compose_hash), u.app_compose,
                  int64_t{u.has_env ? 1 : 0}, u.encrypted_env, JoinList(u.env_keys),
                  u.token_hash.empty() ? SqlValue{} : SqlValue{u.token_hash}, u.created_at,
                  u.expires_at})
              .status());
      return Enqueue(c, u.workspace, events, u.created_at);
    });
  });
}

absl::StatusOr<PendingUpdate> ProvisioningStore::GetPendingByToken(const Bytes& token_hash) {
  return Timed("get_pending_by_token", [&]() -> absl::StatusOr<PendingUpdate> {
    ASSIGN_OR_RETURN(
        std::vector<Row> rows,
        db_->Query(Sql("SELECT ", kPendingColumns, " FROM pending_updates WHERE token_hash = $1"),
                   {token_hash}));
    if (rows.empty()) return InvalidOrExpired("unknown", "unknown commit token");
    return PendingFromRow(rows[0]);
  });
}

absl::StatusOr<PendingUpdate> ProvisioningStore::GetPendingForHash(std::string_view workspace,
                                                                   std::string_view cvm_id,
                                                                   const Hash32& hash) {
  return Timed("get_pending_for_hash", [&]() -> absl::StatusOr<PendingUpdate> {
    ASSIGN_OR_RETURN(
        std::vector<Row> rows,
        db_->Query(Sql("SELECT ", kPendingColumns,
                       " FROM pending_updates WHERE workspace = $1 AND cvm_id = $2 AND "
                       "compose_hash = $3 ORDER BY created_at DESC, id DESC LIMIT 1"),
                   {std::string(workspace), std::string(cvm_id), ToBytes(hash)}));
    if (rows.empty()) {
      return InvalidOrExpired("unknown",
                              absl::StrCat("no pending update of ", std::string(cvm_id), " for ",
                                           Hex0x(hash.bytes), "; call PatchCvm first"));
    }
    return PendingFromRow(rows[0]);
  });
}

absl::StatusOr<CvmRecord> ProvisioningStore::ApplyPendingUpdate(
    const PendingUpdate& u, int64_t now, const std::vector<OutboxEvent>& events) {
  return Timed("apply_pending_update", [&]() -> absl::StatusOr<CvmRecord> {
    CvmRecord out;
    const absl::Status tx = db_->Transaction([&](SqlConn& c) -> absl::Status {
      // The one conditional write every racing caller goes through: only one sees a row change.
      ASSIGN_OR_RETURN(int64_t changed,
                       c.Exec("UPDATE pending_updates SET state = 'used', used_at = $1 WHERE id "
                              "= $2 AND state = 'pending' AND expires_at > $1",
                              {now, u.id}));
      if (changed != 1) {
        ASSIGN_OR_RETURN(
            std::vector<Row> rows,
            c.Query("SELECT state, expires_at FROM pending_updates WHERE id = $1", {u.id}));
        const std::string state = rows.empty() ? "unknown" : rows[0].text(0);
        if (state == "pending") {
          return InvalidOrExpired("expired", "the pending update expired; prepare it again");
        }
        return InvalidOrExpired(
            state, absl::StrCat("the pending update is ", state, "; prepare it again"));
      }
      RETURN_IF_ERROR(WriteChange(c, u.cvm_id, u, now));
      RETURN_IF_ERROR(Enqueue(c, u.workspace, events, now));
      ASSIGN_OR_RETURN(out, LoadCvm(c, u.workspace, u.cvm_id));
      return absl::OkStatus();
    });
    RETURN_IF_ERROR(tx);
    return out;
  });
}

absl::StatusOr<CvmRecord> ProvisioningStore::SetCvmStatus(std::string_view cvm_id,
                                                          std::string_view status,
                                                          std::string_view reason, int64_t now,
                                                          const EventsFor& events_for) {
  return Timed("set_cvm_status", [&]() -> absl::StatusOr<CvmRecord> {
    CvmRecord out;
    const absl::Status tx = db_->Transaction([&](SqlConn& c) -> absl::Status {
      ASSIGN_OR_RETURN(std::vector<Row> rows,
                       c.Query("SELECT workspace FROM cvms WHERE id = $1", {std::string(cvm_id)}));
      if (rows.empty()) return CvmNotFound(cvm_id);
      const std::string workspace = rows[0].text(0);
      RETURN_IF_ERROR(c.Exec("UPDATE cvms SET status = $1, status_reason = $2, updated_at = $3 "
                             "WHERE id = $4",
                             {std::string(status), std::string(reason), now, std::string(cvm_id)})
                          .status());
      ASSIGN_OR_RETURN(out, LoadCvm(c, workspace, cvm_id));
      if (events_for) RETURN_IF_ERROR(Enqueue(c, workspace, events_for(out), now));
      return absl::OkStatus();
    });
    RETURN_IF_ERROR(tx);
    return out;
  });
}

}  // namespace chainkms::provisioning
