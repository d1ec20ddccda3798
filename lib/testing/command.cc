#include "lib/testing/command.h"

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>

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

}  // namespace chainkms::testutil
