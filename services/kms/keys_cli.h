// chainkms-kms's offline subcommands (no server, no chain):
//
//   chainkms-kms keys init --dir D          create root-ca.key, root-k256.key, root-ca.crt in D
//   chainkms-kms keys show --dir D [--chain-id N] [--json]
//                                           public material and the setKmsInfo registration
//   chainkms-kms audit verify FILE [--json] check an audit log's hash chain
//   chainkms-kms attestation verify --quote F [--collateral C] [--event-log E] [--at TIME] [--json]
//                                           explain a TDX verdict step by step (attestation_cli.h)
//
// Exit codes: 0 ok, 1 failure (a broken chain, existing keys, unreadable files), 2 usage.
#pragma once

#include <optional>
#include <ostream>

#include "absl/time/time.h"

namespace chainkms::kms {

// nullopt when argv[1] is not a subcommand (the server runs instead).
std::optional<int> RunSubcommand(int argc, char** argv, std::ostream& out, std::ostream& err,
                                 absl::Time now);

}  // namespace chainkms::kms
