// Versioned schema migrations, applied at startup in order, each in its own transaction and
// recorded in schema_migrations(version, name, applied_at). Safe to run from several replicas at
// once: a version another replica recorded first is skipped (its insert fails on the primary key
// and the transaction rolls back). A database newer than the code is refused.
//
//   constexpr Migration kMigrations[] = {{1, "cvms", "CREATE TABLE cvms (...)"}, ...};
//   RETURN_IF_ERROR(ApplyMigrations(*db, kMigrations));
#pragma once

#include <span>
#include <string_view>

#include "absl/status/status.h"
#include "lib/store/sql.h"

namespace chainkms::store {

struct Migration {
  int64_t version;
  std::string_view name;
  std::string_view sql;  // one statement per ';'-terminated line group; both engines' SQL
};

// FAILED_PRECONDITION when the database has a version this code does not know.
absl::Status ApplyMigrations(Database& db, std::span<const Migration> migrations);

absl::StatusOr<int64_t> SchemaVersion(Database& db);

}  // namespace chainkms::store
