// chainkms: subcommand dispatch. `chainkms compose hash …` (compose_cmd.h) is offline.
#pragma once

#include <ostream>

namespace chainkms::cli {

int Run(int argc, char** argv, std::ostream& out, std::ostream& err);
int Main(int argc, char** argv);  // Run on stdout / stderr

}  // namespace chainkms::cli
