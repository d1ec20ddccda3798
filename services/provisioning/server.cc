#include "services/provisioning/server.h"

#include <atomic>
#include <memory>
#include <thread>

#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"
#include "lib/common/status_macros.h"
#include "lib/server/server.h"
#include "lib/server/service_main.h"
#include "lib/store/sql.h"
#include "services/provisioning/outbox.h"
#include "services/provisioning/provisioning_admin.h"
#include "services/provisioning/provisioning_service.h"

namespace chainkms::provisioning {

absl::Status Run(const Config& config, const Deps& deps) {
  server::Logger& log = *deps.logger;
  server::GrpcServer server({.config = config.server, .logger = &log});
  ASSIGN_OR_RETURN(
      std::unique_ptr<ProvisioningStore> store,
      ProvisioningStore::Open(config.database_url,
                              {.pool_size = static_cast<int>(config.database_pool_size)},
                              &server.metrics()));
  log.Info("store open", {{"database", store::RedactDatabaseUrl(config.database_url)}});

  grpc::ChannelArguments args;
  args.SetLoadBalancingPolicyName("round_robin");
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(config.registry, grpc::InsecureChannelCredentials(), args);
  std::unique_ptr<chainkms::v1::Registry::Stub> stub = chainkms::v1::Registry::NewStub(channel);
  RegistryClient registry(*stub, *deps.clock, {.timeout = config.registry_timeout});

  ProvisioningService* service_ptr = nullptr;
  ASSIGN_OR_RETURN(std::unique_ptr<NodePool> nodes,
                   NodePool::Create(
                       config.nodes,
                       [&service_ptr](const std::string& id, const std::string& status,
                                      const std::string& reason) {
                         if (service_ptr != nullptr) service_ptr->OnNodeStatus(id, status, reason);
                       },
                       config.local_node, config.vmm_node));
  if (config.nodes.empty()) log.Warn("no node configured (--node): ProvisionCvm will refuse");
  for (const NodeConfig& n : config.nodes) {
    log.Info("node", {{"name", n.name}, {"driver", n.driver}});
  }

  WebhookOutbox outbox(*store, *deps.clock,
                       {.retry_delays = config.webhook_retry_delays,
                        .timeout = config.webhook_timeout,
                        .allow_private = config.webhook_allow_private,
                        .poll_interval = config.webhook_poll_interval,
                        .lease = config.webhook_timeout + absl::Seconds(50),
                        .owner = config.replica,
                        .metrics = server.metrics().registry()},
                       &log);
  if (config.webhook_allow_private) {
    log.Warn("webhook targets on private networks are allowed (--webhook-allow-private)");
  }
  ProvisioningService service(*store, registry, *nodes, server.serving(), *deps.clock,
                              {.kms = config.kms,
                               .public_url = config.public_url,
                               .token_ttl = config.commit_token_ttl,
                               .webhook_allow_private = config.webhook_allow_private},
                              [&outbox] { outbox.Notify(); });
  service_ptr = &service;
  server.AddService(&service);
  ProvisioningAdminService admin(*store, server.serving(), *deps.clock);
  server.AddService(&admin);
  outbox.Start();

  // Health follows the Store.
  chainkms::Notification done;
  std::thread health([&] {
    bool ready = true;
    do {
      const bool ok = store->Ping().ok();
      if (ok != ready) {
        ready = ok;
        server.SetReady(ok);
        if (ok) {
          log.Info("store reachable again; serving");
        } else {
          log.Warn("store unreachable; health NOT_SERVING");
        }
      }
    } while (!done.WaitForNotificationWithTimeout(deps.health_interval));
  });
  absl::Status status = server::RunWithSeams(server, deps.on_serving, deps.stop);
  done.Notify();
  health.join();
  outbox.Stop();
  nodes->Shutdown();  // local CVMs stop; their last reports reach the service still alive
  service_ptr = nullptr;
  return status;
}

server::ServiceMainSpec<Config> MainSpec() {
  return {.name = "chainkms-provisioning",
          .summary =
              "chainkms-provisioning: CVMs, compose hashes, two-phase updates, commit "
              "tokens and webhooks (chainkms.v1.Provisioning)",
          .register_flags = RegisterFlags,
          .finish = [](Config* c) { return FinishConfig(c); },
          .run = [](const Config& c) { return Run(c); }};
}

int Main(int argc, char** argv) { return server::ServiceMain<Config>(argc, argv, MainSpec()); }

}  // namespace chainkms::provisioning
