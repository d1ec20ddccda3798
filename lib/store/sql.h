// A small SQL seam with two engines: SQLite (the embedded default: one file, WAL, busy timeout)
// and PostgreSQL (libpq, a connection pool). Services write one schema in the SQL both accept and
// use $1, $2, … placeholders on both. Versioned migrations are applied at open (migrations.h).
//
//   ASSIGN_OR_RETURN(std::unique_ptr<Database> db,
//   OpenDatabase("sqlite:///var/lib/chainkms/p.db")); RETURN_IF_ERROR(db->Transaction([&](SqlConn&
//   c) -> absl::Status {
//     ASSIGN_OR_RETURN(auto rows, c.Query("SELECT id FROM cvms WHERE workspace = $1", {ws}));
//     return c.Exec("UPDATE cvms SET status = $1 WHERE id = $2", {"running", id}).status();
//   }));
//
// Errors: the database unreachable, busy or failing → UNAVAILABLE; a unique or primary key
// violation → ALREADY_EXISTS; bad SQL → INTERNAL. A transaction either commits all or nothing.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/common/bytes.h"

namespace chainkms::store {

// NULL, INTEGER (BIGINT), TEXT, BLOB (BYTEA).
using SqlValue = std::variant<std::monostate, int64_t, std::string, Bytes>;

struct Row {
  std::vector<SqlValue> values;
  bool is_null(size_t i) const { return std::holds_alternative<std::monostate>(values.at(i)); }
  int64_t integer(size_t i) const;   // 0 for NULL or another type
  std::string text(size_t i) const;  // "" for NULL or another type
  Bytes blob(size_t i) const;        // empty for NULL or another type
};

class SqlConn {
 public:
  virtual ~SqlConn() = default;
  virtual absl::StatusOr<std::vector<Row>> Query(std::string_view sql,
                                                 const std::vector<SqlValue>& params = {}) = 0;
  // The number of rows changed.
  virtual absl::StatusOr<int64_t> Exec(std::string_view sql,
                                       const std::vector<SqlValue>& params = {}) = 0;
};

enum class Engine { kSqlite, kPostgres };

class Database {
 public:
  virtual ~Database() = default;
  virtual Engine engine() const = 0;
  // One statement outside a transaction (autocommit).
  virtual absl::StatusOr<std::vector<Row>> Query(std::string_view sql,
                                                 const std::vector<SqlValue>& params = {}) = 0;
  virtual absl::StatusOr<int64_t> Exec(std::string_view sql,
                                       const std::vector<SqlValue>& params = {}) = 0;
  // Runs `body` in one transaction: committed when it returns OK, rolled back otherwise (its
  // status is returned). SQLite: BEGIN IMMEDIATE; PostgreSQL: READ COMMITTED, so write with
  // conditions (UPDATE … WHERE used = false) and check the rows changed.
  virtual absl::Status Transaction(const std::function<absl::Status(SqlConn&)>& body) = 0;
  // Cheap liveness check (health).
  virtual absl::Status Ping() = 0;
};

struct DatabaseOptions {
  absl::Duration busy_timeout = absl::Seconds(5);  // SQLite: wait for a lock this long
  int pool_size = 4;                               // PostgreSQL connections
  absl::Duration connect_timeout = absl::Seconds(5);
};

// "sqlite:<path>" / "sqlite://<path>" / a bare path → SQLite; "postgres://…" / "postgresql://…"
// → PostgreSQL. INVALID_ARGUMENT for anything else; UNAVAILABLE when it cannot be opened.
absl::StatusOr<std::unique_ptr<Database>> OpenDatabase(std::string_view url,
                                                       DatabaseOptions options = {});

// A URL without its password, for logs.
std::string RedactDatabaseUrl(std::string_view url);

}  // namespace chainkms::store
