// SQLite engine: one connection guarded by a mutex (SQLite serializes writers anyway), WAL, a
// busy timeout, foreign keys on. Placeholders $1… are SQLite named parameters bound by name.
#include <sqlite3.h>

#include "absl/strings/str_cat.h"
#include "lib/common/sync.h"
#include "lib/store/engines.h"

namespace chainkms::store {
namespace {

absl::Status Error(sqlite3* db, int rc, std::string_view what) {
  const std::string msg = absl::StrCat("sqlite ", std::string(what), ": ",
                                       db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  const int primary = rc & 0xff;
  if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
    return absl::AlreadyExistsError(msg);
  }
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED || primary == SQLITE_IOERR ||
      primary == SQLITE_FULL || primary == SQLITE_CANTOPEN || primary == SQLITE_READONLY) {
    return absl::UnavailableError(msg);
  }
  if (primary == SQLITE_CONSTRAINT) return absl::FailedPreconditionError(msg);
  return absl::InternalError(msg);
}

class SqliteConn final : public SqlConn {
 public:
  explicit SqliteConn(sqlite3* db) : db_(db) {}

  absl::StatusOr<std::vector<Row>> Query(std::string_view sql,
                                         const std::vector<SqlValue>& params) override {
    std::vector<Row> rows;
    absl::Status s = Run(sql, params, &rows);
    if (!s.ok()) return s;
    return rows;
  }
  absl::StatusOr<int64_t> Exec(std::string_view sql, const std::vector<SqlValue>& params) override {
    absl::Status s = Run(sql, params, nullptr);
    if (!s.ok()) return s;
    return static_cast<int64_t>(sqlite3_changes(db_));
  }

 private:
  absl::Status Run(std::string_view sql, const std::vector<SqlValue>& params,
                   std::vector<Row>* rows) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
    if (rc != SQLITE_OK) return Error(db_, rc, "prepare");
    for (size_t i = 0; i < params.size() && rc == SQLITE_OK; ++i) {
      const std::string name = absl::StrCat("$", i + 1);
      const int index = sqlite3_bind_parameter_index(stmt, name.c_str());
      if (index == 0) continue;  // a parameter the statement does not use
      const SqlValue& v = params[i];
      if (std::holds_alternative<std::monostate>(v)) {
        rc = sqlite3_bind_null(stmt, index);
      } else if (const auto* n = std::get_if<int64_t>(&v)) {
        rc = sqlite3_bind_int64(stmt, index, *n);
      } else if (const auto* t = std::get_if<std::string>(&v)) {
        rc = sqlite3_bind_text64(stmt, index, t->data(), t->size(), SQLITE_TRANSIENT, SQLITE_UTF8);
      } else {
        const Bytes& b = std::get<Bytes>(v);
        // An empty vector's data() may be null, which SQLite would bind as NULL: an empty BLOB
        // must stay an empty BLOB (as BYTEA '' on PostgreSQL).
        rc = b.empty() ? sqlite3_bind_zeroblob(stmt, index, 0)
                       : sqlite3_bind_blob64(stmt, index, b.data(), b.size(), SQLITE_TRANSIENT);
      }
    }
    if (rc != SQLITE_OK) {
      sqlite3_finalize(stmt);
      return Error(db_, rc, "bind");
    }
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      if (rows == nullptr) continue;
      Row row;
      const int n = sqlite3_column_count(stmt);
      for (int c = 0; c < n; ++c) {
        switch (sqlite3_column_type(stmt, c)) {
          case SQLITE_INTEGER:
            row.values.emplace_back(static_cast<int64_t>(sqlite3_column_int64(stmt, c)));
            break;
          case SQLITE_TEXT: {
            const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
            row.values.emplace_back(
                std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt, c))));
            break;
          }
          case SQLITE_BLOB: {
            const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(stmt, c));
            row.values.emplace_back(Bytes(p, p + sqlite3_column_bytes(stmt, c)));
            break;
          }
          default:
            row.values.emplace_back(std::monostate{});
        }
      }
      rows->push_back(std::move(row));
    }
    const int ext = sqlite3_extended_errcode(db_);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) return Error(db_, ext, "step");
    return absl::OkStatus();
  }

  sqlite3* db_;
};

class SqliteDatabase final : public Database {
 public:
  explicit SqliteDatabase(sqlite3* db) : db_(db), conn_(db) {}
  ~SqliteDatabase() override { sqlite3_close_v2(db_); }

  Engine engine() const override { return Engine::kSqlite; }
  absl::StatusOr<std::vector<Row>> Query(std::string_view sql,
                                         const std::vector<SqlValue>& params) override {
    MutexLock l(&mu_);
    return conn_.Query(sql, params);
  }
  absl::StatusOr<int64_t> Exec(std::string_view sql, const std::vector<SqlValue>& params) override {
    MutexLock l(&mu_);
    return conn_.Exec(sql, params);
  }
  absl::Status Transaction(const std::function<absl::Status(SqlConn&)>& body) override {
    MutexLock l(&mu_);
    return RunInTransaction(conn_, "BEGIN IMMEDIATE", body);
  }
  absl::Status Ping() override { return Query("SELECT 1", {}).status(); }

 private:
  sqlite3* db_;
  Mutex mu_;
  SqliteConn conn_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

absl::StatusOr<std::unique_ptr<Database>> OpenSqlite(const std::string& path,
                                                     const DatabaseOptions& options) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    absl::Status s = absl::UnavailableError(absl::StrCat(
        "sqlite open ", path, ": ", db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
    sqlite3_close_v2(db);
    return s;
  }
  sqlite3_busy_timeout(db, static_cast<int>(absl::ToInt64Milliseconds(options.busy_timeout)));
  auto out = std::make_unique<SqliteDatabase>(db);
  for (const char* pragma :
       {"PRAGMA journal_mode=WAL", "PRAGMA foreign_keys=ON", "PRAGMA synchronous=NORMAL"}) {
    if (absl::StatusOr<std::vector<Row>> r = out->Query(pragma, {}); !r.ok()) return r.status();
  }
  return std::unique_ptr<Database>(std::move(out));
}

}  // namespace chainkms::store
