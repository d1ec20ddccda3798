// Running a helper process from a test (Node reference checks, CLIs), and finding the source tree.
//
//   CommandResult r = RunCommand(absl::StrCat("node ", SourceDir(), "/tests/x.mjs ",
//   ShellQuote(arg))); ASSERT_EQ(r.rc, 0) << r.out;
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace chainkms::testutil {

struct CommandResult {
  int rc = -1;
  std::string out;  // stdout; stderr passes through to the test log
};

CommandResult RunCommand(const std::string& cmd);
// $CHAINKMS_SOURCE_DIR (ctest sets it), else ".".
std::string SourceDir();
// Writes `cases` (a JSON array) to a temp file, runs `node <source>/<script> <file>` and returns
// one parsed JSON value per non-empty line it printed. INTERNAL with the output when node fails
// or prints a line that is not JSON. For the reference checks under tests/ (*.mjs).
absl::StatusOr<std::vector<nlohmann::json>> RunNodeOnCases(const std::string& script,
                                                           const nlohmann::json& cases);
// Single-quoted for /bin/sh.
std::string ShellQuote(const std::string& s);

}  // namespace chainkms::testutil
