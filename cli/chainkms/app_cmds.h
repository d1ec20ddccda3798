// The `chainkms` subcommands besides deploy and compose (docs/cli.md):
//   allow-devices list|add|remove|allow-any|disallow-any   (--cvm-id ID | --app-id 0x…)
//   check-prerequisites   (--cvm-id ID [--compose-hash H] [--device-id D])
//   envs encrypt -e …     (--cvm-id ID | --app-id 0x… --kms SLUG) --rpc-url URL
//   kms pubkey --app-id 0x… [--kms SLUG] [--rpc-url URL]
//   cvms list | cvms get ID
//   webhooks create --url U --events a,b | webhooks list | webhooks rotate ID
// Each takes the API flags (--api-url, --api-key, --profile), --json and --debug; the on-chain
// writes take --private-key / PRIVATE_KEY and --rpc-url / ETH_RPC_URL and sign here.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace chainkms::cli {

int AllowDevicesCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int CheckPrerequisitesCommand(const std::vector<std::string>& args, std::ostream& out,
                              std::ostream& err);
int EnvsCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int KmsCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int CvmsCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int WebhooksCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace chainkms::cli
