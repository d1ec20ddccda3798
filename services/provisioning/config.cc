#include "services/provisioning/config.h"

#include <filesystem>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/provisioning/outbox.h"

namespace chainkms::provisioning {

void RegisterFlags(server::FlagSet& flags, Config* config) {
  server::ServerConfig defaults;
  defaults.listen = "127.0.0.1:50053";
  defaults.metrics_listen = "127.0.0.1:9466";
  server::RegisterServerFlags(flags, &config->server, defaults);
  flags.AddString("database-url", &config->database_url, "sqlite:chainkms-provisioning.db",
                  "the Store: sqlite:<file> (embedded default; WAL, no setup) or "
                  "postgres://user:password@host:port/db (several replicas)");
  flags.AddInt("database-pool-size", &config->database_pool_size, 4,
               "PostgreSQL connections per replica", server::InRange(1, 256));
  flags.AddString("registry", &config->registry, "127.0.0.1:50051",
                  "chainkms-registry's gRPC address (host:port or dns:///name:port for every "
                  "address of a headless Service, round-robin)");
  flags.AddDuration("registry-timeout", &config->registry_timeout, absl::Seconds(30),
                    "bound on one registry call", server::NonNegativeDuration());
  flags.AddString("kms", &config->kms_specs, "",
                  "KMS instances offered, whitespace-separated <slug>=<chain id>[;url=<kms url>] "
                  "(e.g. 'ethereum=1;url=https://kms.example base=8453;url=…')");
  flags.AddString("node", &config->node_specs, "",
                  "node pool, whitespace-separated "
                  "<name>;device_id=0x<64 hex>;os_image_hash=0x<64 hex>[;driver=fake|local], or "
                  "…;driver=dstack-vmm;vmm_url=<http://host:port|unix:/path>;image=<VMM image>"
                  "[;vcpu=1;memory=2048;disk=20] (MB, GB)");
  flags.AddString("cvm-binary", &config->local_node.cvm_binary, "",
                  "chainkms-cvm for driver=local nodes (default: beside this binary, else PATH)");
  flags.AddString("node-dir", &config->local_node.dir, "chainkms-nodes",
                  "where driver=local nodes keep each CVM's files");
  flags.AddString("vmm-token-env", &config->vmm_token_env, "",
                  "name of an environment variable holding a bearer token for driver=dstack-vmm "
                  "nodes (sent as Authorization: Bearer; never given on the command line)");
  flags.AddString("public-url", &config->public_url, "http://127.0.0.1:8080",
                  "the gateway's public base URL; commit URLs are built on it");
  flags.AddDuration("commit-token-ttl", &config->commit_token_ttl, absl::Hours(24 * 7),
                    "lifetime of pending provisions, pending updates and commit tokens",
                    server::NonNegativeDuration());
  flags.AddBool("webhook-allow-private", &config->webhook_allow_private, false,
                "allow webhook targets on private, loopback and link-local networks (tests, "
                "closed networks)");
  flags.AddString("webhook-retry-delays", &config->webhook_retry_delays_text, "1m,10m,1h",
                  "delays before each webhook retry, comma-separated durations");
  flags.AddDuration("webhook-timeout", &config->webhook_timeout, absl::Seconds(10),
                    "timeout of one webhook delivery", server::NonNegativeDuration());
  flags.AddDuration("webhook-poll-interval", &config->webhook_poll_interval, absl::Seconds(1),
                    "how often the outbox looks for due deliveries", server::NonNegativeDuration());
  flags.AddString("replica", &config->replica, "",
                  "this replica's name in outbox leases (default $HOSTNAME)");
}

absl::Status FinishConfig(Config* config, const EnvLookup& env) {
  absl::StatusOr<std::vector<KmsConfig>> kms = ParseKmsSpecs(config->kms_specs);
  if (!kms.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--kms: ", std::string(kms.status().message()), " (CHAINKMS_KMS)"));
  }
  if (kms->empty()) {
    return absl::InvalidArgumentError(
        "--kms: required, at least one <slug>=<chain id>[;url=<kms url>] (CHAINKMS_KMS)");
  }
  config->kms = std::move(*kms);
  absl::StatusOr<std::vector<NodeConfig>> nodes = ParseNodeSpecs(config->node_specs);
  if (!nodes.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--node: ", std::string(nodes.status().message()), " (CHAINKMS_NODE)"));
  }
  config->nodes = std::move(*nodes);
  absl::StatusOr<std::vector<absl::Duration>> delays =
      ParseRetryDelays(config->webhook_retry_delays_text);
  if (!delays.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--webhook-retry-delays: ", std::string(delays.status().message()),
                     " (CHAINKMS_WEBHOOK_RETRY_DELAYS)"));
  }
  config->webhook_retry_delays = std::move(*delays);
  if (!absl::StartsWith(config->public_url, "http://") &&
      !absl::StartsWith(config->public_url, "https://")) {
    return absl::InvalidArgumentError(
        "--public-url: must start with http:// or https:// "
        "(CHAINKMS_PUBLIC_URL)");
  }
  while (!config->public_url.empty() && config->public_url.back() == '/') {
    config->public_url.pop_back();
  }
  if (!config->vmm_token_env.empty()) {
    std::optional<std::string> token = env(config->vmm_token_env.c_str());
    if (!token.has_value() || token->empty()) {
      return absl::InvalidArgumentError(absl::StrCat("--vmm-token-env: ", config->vmm_token_env,
                                                     " is not set (CHAINKMS_VMM_TOKEN_ENV)"));
    }
    config->vmm_node.bearer_token = *token;
  }
  if (config->local_node.cvm_binary.empty()) {
    std::error_code ec;
    const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
    const std::filesystem::path beside = self.parent_path() / "chainkms-cvm";
    config->local_node.cvm_binary =
        !ec && std::filesystem::exists(beside, ec) ? beside.string() : "chainkms-cvm";
  }
  if (config->replica.empty()) {
    std::optional<std::string> host = env("HOSTNAME");
    config->replica = host.has_value() && !host->empty() ? *host : "provisioning";
  }
  return absl::OkStatus();
}

}  // namespace chainkms::provisioning
