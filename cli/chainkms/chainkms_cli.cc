#include "cli/chainkms/chainkms_cli.h"

#include <iostream>
#include <string>
#include <vector>

#include "cli/chainkms/compose_cmd.h"

namespace chainkms::cli {

int Run(int argc, char** argv, std::ostream& out, std::ostream& err) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "-h" || args[0] == "--help") {
    (args.empty() ? err : out) << "usage: chainkms <command>\n"
                                  "  compose hash   the compose hash of an app (offline)\n";
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "compose") {
    return ComposeCommand(std::vector<std::string>(args.begin() + 1, args.end()), out, err);
  }
  err << "chainkms: unknown command " << args[0] << " (try --help)\n";
  return 2;
}

int Main(int argc, char** argv) { return Run(argc, argv, std::cout, std::cerr); }

}  // namespace chainkms::cli
