// The engines behind OpenDatabase (sql.h); not for direct use.
#pragma once

#include <memory>
#include <string>

#include "lib/store/sql.h"

namespace chainkms::store {

absl::StatusOr<std::unique_ptr<Database>> OpenSqlite(const std::string& path,
                                                     const DatabaseOptions& options);
absl::StatusOr<std::unique_ptr<Database>> OpenPostgres(const std::string& url,
                                                       const DatabaseOptions& options);

}  // namespace chainkms::store
