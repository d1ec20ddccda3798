// Configuration of chainkms-registry: the chains it serves and where its signing keys come from.
//
// A chain is one spec `<chain id>=<rpc url>[,<rpc url>...];kms=<DstackKms address>`; the
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
#include "lib/common/bytes.h"
#include "lib/server/config.h"

namespace chainkms::registry {

struct ChainConfig {
  uint64_t chain_id = 0;
  std::vector<std::string> rpc_urls;  // in order of preference; may hold credentials (never logged)
  Address kms = {};                   // the DstackKms proxy
};

struct Config {
  server::ServerConfig server;
  std::string chain_specs;  // raw --chain value
  std::vector<ChainConfig> chains;
  std::string keystore_dir;
  std::string keystore_password_file;  // first line is the password
  std::string keystore_password_env;   // name of the variable holding the password
  std::string dev_private_key_env;  // name of an env var holding a raw hex key (local use only)
};

// Parses one spec "31337=http://a,http://b;kms=0x…". INVALID_ARGUMENT naming what is wrong
// (never echoing URLs, which may carry API keys).
absl::StatusOr<ChainConfig> ParseChainSpec(std::string_view spec);

// Parses whitespace-separated specs; chain ids must be distinct and at least one is required.
absl::StatusOr<std::vector<ChainConfig>> ParseChainSpecs(std::string_view specs);

// Registers the server flags plus --chain, --keystore-dir, --dev-private-key-env.
void RegisterFlags(server::FlagSet& flags, Config* config);

// After Parse: fills config->chains from config->chain_specs. Errors name the flag.
absl::Status FinishConfig(Config* config);

}  // namespace chainkms::registry
