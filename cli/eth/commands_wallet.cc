#include "cli/eth/commands.h"
namespace chainkms::cli {
void AddWalletCommands(std::vector<Command>&) {}
}  // namespace chainkms::cli
