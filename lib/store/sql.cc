#include "lib/store/sql.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lib/store/engines.h"

namespace chainkms::store {

int64_t Row::integer(size_t i) const {
  const auto* v = std::get_if<int64_t>(&values.at(i));
  return v != nullptr ? *v : 0;
}
std::string Row::text(size_t i) const {
  const auto* v = std::get_if<std::string>(&values.at(i));
  return v != nullptr ? *v : std::string();
}
Bytes Row::blob(size_t i) const {
  const auto* v = std::get_if<Bytes>(&values.at(i));
  return v != nullptr ? *v : Bytes();
}

absl::Status RunInTransaction(SqlConn& conn, std::string_view begin,
                              const std::function<absl::Status(SqlConn&)>& body) {
  if (absl::StatusOr<int64_t> b = conn.Exec(begin, {}); !b.ok()) return b.status();
  absl::Status s = body(conn);
  if (s.ok()) {
    absl::StatusOr<int64_t> commit = conn.Exec("COMMIT", {});
    if (commit.ok()) return absl::OkStatus();
    s = commit.status();
  }
  (void)conn.Exec("ROLLBACK", {});
  return s;
}

std::string RedactDatabaseUrl(std::string_view url) {
  const size_t scheme = url.find("://");
  const size_t at = url.rfind('@');
  if (scheme == std::string_view::npos || at == std::string_view::npos || at < scheme) {
    return std::string(url);
  }
  const std::string_view userinfo = url.substr(scheme + 3, at - scheme - 3);
  const size_t colon = userinfo.find(':');
  if (colon == std::string_view::npos) return std::string(url);
  return absl::StrCat(std::string(url.substr(0, scheme + 3)),
                      std::string(userinfo.substr(0, colon)), ":***", std::string(url.substr(at)));
}

absl::StatusOr<std::unique_ptr<Database>> OpenDatabase(std::string_view url,
                                                       DatabaseOptions options) {
  const std::string u(url);
  if (absl::StartsWith(u, "postgres://") || absl::StartsWith(u, "postgresql://")) {
    return OpenPostgres(u, options);
  }
  std::string path = u;
  if (absl::StartsWith(path, "sqlite://")) {
    path = path.substr(9);
  } else if (absl::StartsWith(path, "sqlite:")) {
    path = path.substr(7);
  } else if (path.find("://") != std::string::npos) {
    return absl::InvalidArgumentError(
        "database url: sqlite:<path> or postgres://user@host:port/db");
  }
  if (path.empty()) return absl::InvalidArgumentError("database url: empty SQLite path");
  return OpenSqlite(path, options);
}

}  // namespace chainkms::store
