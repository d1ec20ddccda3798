#include "lib/store/migrations.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "lib/common/status_macros.h"

namespace chainkms::store {

absl::StatusOr<int64_t> SchemaVersion(Database& db) {
  ASSIGN_OR_RETURN(std::vector<Row> rows,
                   db.Query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
  return rows.empty() ? 0 : rows[0].integer(0);
}

absl::Status ApplyMigrations(Database& db, std::span<const Migration> migrations) {
  RETURN_IF_ERROR(db.Exec("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY "
                          "KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)")
                      .status());
  ASSIGN_OR_RETURN(int64_t current, SchemaVersion(db));
  const int64_t latest = migrations.empty() ? 0 : migrations.back().version;
  if (current > latest) {
    return absl::FailedPreconditionError(
        absl::StrCat("database schema is at version ", current, ", newer than this build knows (",
                     latest, "): run the newer release or restore the database"));
  }
  int64_t previous = 0;
  for (const Migration& m : migrations) {
    if (m.version <= previous) return absl::InternalError("migrations out of order");
    previous = m.version;
    if (m.version <= current) continue;
    absl::Status s = db.Transaction([&](SqlConn& c) -> absl::Status {
      RETURN_IF_ERROR(c.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES "
                             "($1, $2, $3)",
                             {m.version, std::string(m.name), absl::ToUnixSeconds(absl::Now())})
                          .status());
      for (absl::string_view stmt :
           absl::StrSplit(absl::string_view(m.sql.data(), m.sql.size()), ';')) {
        const absl::string_view trimmed = absl::StripAsciiWhitespace(stmt);
        if (trimmed.empty()) continue;
        RETURN_IF_ERROR(c.Exec(std::string_view(trimmed.data(), trimmed.size())).status());
      }
      return absl::OkStatus();
    });
    if (s.code() == absl::StatusCode::kAlreadyExists) continue;  // another replica applied it
    if (!s.ok()) {
      return absl::Status(s.code(), absl::StrCat("migration ", m.version, " (", std::string(m.name),
                                                 "): ", std::string(s.message())));
    }
  }
  return absl::OkStatus();
}

}  // namespace chainkms::store
