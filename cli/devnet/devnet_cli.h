// chainkms-devnet: puts the chainkms contracts on a development chain and shows them working.
//   chainkms-devnet bootstrap --rpc URL [--out FILE]      deploy; addresses as JSON
//   chainkms-devnet demo --rpc URL --devnet FILE          deploy an app, read its policy
// The deployer key comes from --private-key or CHAINKMS_DEVNET_PRIVATE_KEY, else anvil's first
// well-known development key (never use it on a real chain).
#pragma once

#include <string>
#include <vector>

namespace chainkms::devnet {

// Returns the process exit code; errors are printed as one line on stderr.
int RunDevnetCli(const std::vector<std::string>& args);

}  // namespace chainkms::devnet
