#include "cli/eth/commands.h"
namespace chainkms::cli {
void AddTxCommands(std::vector<Command>&) {}
}  // namespace chainkms::cli
