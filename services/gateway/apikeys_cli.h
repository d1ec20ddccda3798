// chainkms-gateway's operator subcommands, over ProvisioningAdmin (the keys live, hashed, in the
// provisioning Store):
//
//   chainkms-gateway apikeys create --workspace W [--name N] [--provisioning ADDR] [--json]
//   chainkms-gateway apikeys list   --workspace W [--provisioning ADDR] [--json]
//   chainkms-gateway apikeys revoke --workspace W --key-id ck_… [--provisioning ADDR] [--json]
//
// create prints the key once (it is never shown again). Exit codes: 0 ok, 1 failure, 2 usage.
#pragma once

#include <optional>
#include <ostream>

namespace chainkms::gateway {

// nullopt when argv[1] is not "apikeys" (the server runs instead).
std::optional<int> RunApiKeysCommand(int argc, char** argv, std::ostream& out, std::ostream& err);

}  // namespace chainkms::gateway
