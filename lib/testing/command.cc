#include "lib/testing/command.h"

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "lib/testing/temp_dir.h"

namespace chainkms::testutil {

CommandResult RunCommand(const std::string& cmd) {
  CommandResult r;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) r.out.append(buf, n);
  const int status = pclose(p);
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string SourceDir() {
  const char* d = std::getenv("CHAINKMS_SOURCE_DIR");
  return d != nullptr ? d : ".";
}

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

absl::StatusOr<std::vector<nlohmann::json>> RunNodeOnCases(const std::string& script,
                                                           const nlohmann::json& cases) {
  TempDir dir;
  const std::string path = dir.path() + "/cases.json";
  std::ofstream(path) << cases.dump();
  const CommandResult r =
      RunCommand(absl::StrCat("node ", SourceDir(), "/", script, " ", ShellQuote(path)));
  if (r.rc != 0) return absl::InternalError(absl::StrCat(script, " exited ", r.rc, ": ", r.out));
  std::vector<nlohmann::json> out;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return absl::InternalError(absl::StrCat(script, " printed: ", line));
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace chainkms::testutil
