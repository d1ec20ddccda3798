// Configuration of chainkms-registry: the chains it serves and where its signing keys come from.
//
// A chain is one spec (lib/chain/chain_set.h) `<chain id>=<rpc url>[,<rpc url>...];kms=<DstackKms address>`; the
// `--chain` flag (env CHAINKMS_CHAIN) holds one or more specs separated by whitespace:
//
//   --chain '31337=http://127.0.0.1:8545,http://backup:8545;kms=0x5FbDB2315678afecb367f032d93F642f64180aa3
//            8453=https://mainnet.base.org;kms=0x...'
//
//   Config config;
//   FlagSet flags("chainkms-registry: on-chain governance over gRPC");
//   RegisterFlags(flags, &config);
//   ... flags.Parse(argc, argv) ...
//   RETURN_IF_ERROR(FinishConfig(&config));   // parses the chain list into config.chains
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/chain/chain_set.h"
#include "lib/common/bytes.h"
#include "lib/server/config.h"

namespace chainkms::registry {

struct Config {
  server::ServerConfig server;
  std::string chain_specs;  // raw --chain value
  std::vector<ChainConfig> chains;
  std::string keystore_dir;
  std::string keystore_password_file;  // first line is the password
  std::string keystore_password_env;   // name of the variable holding the password
  std::string dev_private_key_env;  // name of an env var holding a raw hex key (local use only)
  int64_t default_confirmations = 1;
  absl::Duration default_wait_timeout = absl::Seconds(120);
  absl::Duration tx_poll_interval = absl::Seconds(1);
};

// Registers the server flags plus --chain, --keystore-dir, --keystore-password-file,
// --keystore-password-env, --dev-private-key-env, --default-confirmations,
// --default-wait-timeout and --tx-poll-interval.
void RegisterFlags(server::FlagSet& flags, Config* config);

// After Parse: fills config->chains from config->chain_specs. Errors name the flag.
absl::Status FinishConfig(Config* config);

}  // namespace chainkms::registry
