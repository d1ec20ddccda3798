// The chainkms-eth subcommand table. Each family registers its commands from its own file
// (commands_misc.cc, commands_abi.cc, commands_tx.cc, commands_wallet.cc); main.cc dispatches.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/eth/args.h"

namespace chainkms::cli {

// A handler returns the complete stdout text (with its trailing newline) or an error whose
// message becomes the one-line `Error: <message>` on stderr.
using Handler = absl::StatusOr<std::string> (*)(const Args& args);

struct Command {
  std::string_view name;  // "keccak", or "wallet address" for nested ones
  std::string_view summary;
  ArgSpec spec;
  Handler run;
};

void AddMiscCommands(std::vector<Command>& out);
void AddAbiCommands(std::vector<Command>& out);
void AddTxCommands(std::vector<Command>& out);
void AddWalletCommands(std::vector<Command>& out);

const std::vector<Command>& AllCommands();

// Parses argv (without the program name), runs the command, writes stdout / stderr and
// returns the process exit code. Never throws.
int RunCli(const std::vector<std::string>& raw_argv);

}  // namespace chainkms::cli
