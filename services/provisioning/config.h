// Configuration of chainkms-provisioning: its Store, the registry it asks, the KMS instances and
// nodes it offers, commit tokens and webhook delivery.
//
//   chainkms-provisioning --database-url sqlite:/var/lib/chainkms/provisioning.db
//       --registry registry:50051 --kms 'ethereum=1;url=https://kms.example base=8453;url=…'
//       --node 'node-1;device_id=0x…;os_image_hash=0x…' --public-url https://chainkms.example
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "lib/common/env.h"
#include "lib/server/config.h"
#include "services/provisioning/node_driver.h"
#include "services/provisioning/provisioning_service.h"

namespace chainkms::provisioning {

struct Config {
  server::ServerConfig server;
  std::string database_url = "sqlite:chainkms-provisioning.db";
  int64_t database_pool_size = 4;
  std::string registry = "127.0.0.1:50051";
  absl::Duration registry_timeout = absl::Seconds(30);
  std::string kms_specs;  // raw --kms
  std::vector<KmsConfig> kms;
  std::string node_specs;  // raw --node
  std::vector<NodeConfig> nodes;
  std::string public_url = "http://127.0.0.1:8080";
  absl::Duration commit_token_ttl = absl::Hours(24 * 7);
  bool webhook_allow_private = false;
  std::string webhook_retry_delays_text = "1m,10m,1h";
  std::vector<absl::Duration> webhook_retry_delays;
  absl::Duration webhook_timeout = absl::Seconds(10);
  absl::Duration webhook_poll_interval = absl::Seconds(1);
  std::string replica;          // default $HOSTNAME
  LocalNodeOptions local_node;  // --cvm-binary, --node-dir (driver=local)
  VmmNodeOptions vmm_node;      // bearer token from --vmm-token-env (driver=dstack-vmm)
  std::string vmm_token_env;
};

// Registers the server flags plus --database-url, --database-pool-size, --registry,
// --registry-timeout, --kms, --node, --public-url, --commit-token-ttl, --webhook-allow-private,
// --webhook-retry-delays, --webhook-timeout, --webhook-poll-interval, --replica, --cvm-binary,
// --node-dir.
void RegisterFlags(server::FlagSet& flags, Config* config);

// After Parse: parses --kms, --node and --webhook-retry-delays. Errors name the flag.
absl::Status FinishConfig(Config* config, const EnvLookup& env = ProcessEnv());

}  // namespace chainkms::provisioning
