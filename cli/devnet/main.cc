#include <string>
#include <vector>

#include "cli/devnet/devnet_cli.h"

int main(int argc, char** argv) {
  return chainkms::devnet::RunDevnetCli(std::vector<std::string>(argv + 1, argv + argc));
}
