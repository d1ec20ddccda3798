#include "cli/eth/commands.h"
namespace chainkms::cli {
void AddAbiCommands(std::vector<Command>&) {}
}  // namespace chainkms::cli
