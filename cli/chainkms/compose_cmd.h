// chainkms compose hash: the compose hash of an app, offline, as the provisioning service computes
// it (lib/compose, byte-identical to the dstack SDK's getComposeHash).
//
//   chainkms compose hash -c docker-compose.yml [--name N] [--pre-launch-script F]
//       [--allowed-envs A,B] [--no-kms] [--no-gateway] [--private-logs] [--private-sysinfo]
//       [--private-tcbinfo] [--no-instance-id] [--secure-time] [--key-provider-id HEX]
//       [--storage-fs zfs|ext4] [--swap-size BYTES] [--json]
//   chainkms compose hash --app-compose app-compose.json [--normalize] [--json]
//
// Prints the 0x-prefixed hash; --json prints {"compose_hash": …, "app_compose": <the exact JSON
// text hashed>}. Exit 0 ok, 1 bad input (one line naming the problem), 2 usage.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace chainkms::cli {

int ComposeCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace chainkms::cli
