// The engines behind OpenDatabase (sql.h); not for direct use.
#pragma once

#include <memory>
#include <string>

#include "lib/store/sql.h"

namespace chainkms::store {

// `begin` (the engine's BEGIN statement), then `body`, then COMMIT; ROLLBACK when either fails.
absl::Status RunInTransaction(SqlConn& conn, std::string_view begin,
                              const std::function<absl::Status(SqlConn&)>& body);

absl::StatusOr<std::unique_ptr<Database>> OpenSqlite(const std::string& path,
                                                     const DatabaseOptions& options);
absl::StatusOr<std::unique_ptr<Database>> OpenPostgres(const std::string& url,
                                                       const DatabaseOptions& options);

}  // namespace chainkms::store
