// Running a helper process from a test (Node reference checks, CLIs), and finding the source tree.
//
//   CommandResult r = RunCommand(absl::StrCat("node ", SourceDir(), "/tests/x.mjs ",
//   ShellQuote(arg))); ASSERT_EQ(r.rc, 0) << r.out;
#pragma once

#include <string>

namespace chainkms::testutil {

struct CommandResult {
  int rc = -1;
  std::string out;  // stdout; stderr passes through to the test log
};

CommandResult RunCommand(const std::string& cmd);
// $CHAINKMS_SOURCE_DIR (ctest sets it), else ".".
std::string SourceDir();
// Single-quoted for /bin/sh.
std::string ShellQuote(const std::string& s);

}  // namespace chainkms::testutil
