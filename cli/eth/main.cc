// chainkms-eth: a cast-compatible Ethereum toolbox over lib/eth (offline only).
#include <string>
#include <vector>

#include "cli/eth/commands.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return chainkms::cli::RunCli(args);
}
