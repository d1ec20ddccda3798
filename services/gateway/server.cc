#include "services/gateway/server.h"

#include <iostream>
#include <memory>
#include <optional>
#include <thread>

#include "lib/common/status_macros.h"
#include "lib/server/server.h"
#include "services/gateway/access.h"
#include "services/gateway/apikeys_cli.h"
#include "services/gateway/backends.h"
#include "services/gateway/custodial.h"
#include "services/gateway/gateway.h"
#include "services/gateway/grpc_proxies.h"
#include "services/gateway/http_server.h"
#include "services/gateway/rest_api.h"

namespace chainkms::gateway {

absl::Status Run(const Config& config, const Deps& deps) {
  server::Logger& log = *deps.logger;
  // Not ready until the first backend check passes.
  server::GrpcServer server({.config = config.server, .logger = &log, .start_ready = false});
  std::unique_ptr<Backends> backends =
      Backends::Connect(config.provisioning, config.registry, config.kms, config.backend_timeout);
  ApiKeyAuthenticator auth(backends->admin(), *deps.clock, config.api_key_cache_ttl);
  RateLimiter limiter(*deps.clock, config.rate_limit, config.rate_burst);
  Gateway gateway(*backends, auth, limiter, server.serving());
  ProvisioningProxy provisioning(gateway);
  RegistryProxy registry(gateway);
  KmsProxy kms(gateway);
  server.AddService(&provisioning);
  server.AddService(&registry);
  server.AddService(&kms);
  GatewayFlows flows(gateway, config.custodial_signers);
  server.AddService(&flows);
  log.Info(
      "backends",
      {{"provisioning", config.provisioning}, {"registry", config.registry}, {"kms", config.kms}});
  if (config.rate_limit == 0) log.Warn("per-key rate limit off (--rate-limit 0)");
  for (const auto& [ws, signers] : config.custodial_signers) {
    log.Info("custodial flows allowed", {{"workspace", ws}, {"signers", signers.size()}});
  }

  RestApi rest(gateway, {.cors_origins = config.cors_origin_list});
  std::unique_ptr<HttpServer> http;
  if (!config.http_listen.empty()) {
    ASSIGN_OR_RETURN(http,
                     HttpServer::Start({.listen = config.http_listen,
                                        .threads = config.http_threads,
                                        .max_body_bytes = config.max_body_bytes,
                                        .metrics = &server.metrics()},
                                       [&rest](const HttpRequest& r) { return rest.Handle(r); }));
    log.Info("http listening", {{"http_port", http->port()}});
    if (deps.on_http) deps.on_http(http->port());
  }

  // Health follows the backends: SERVING only while all three answer SERVING.
  chainkms::Notification done;
  std::thread health([&] {
    std::optional<bool> ready;
    do {
      const absl::Duration t = absl::Seconds(2);
      const bool p = BackendServing(backends->provisioning_channel(), t);
      const bool r = BackendServing(backends->registry_channel(), t);
      const bool k = BackendServing(backends->kms_channel(), t);
      const bool ok = p && r && k;
      if (!ready.has_value() || ok != *ready) {
        ready = ok;
        server.SetReady(ok);
        if (ok) {
          log.Info("backends serving; gateway SERVING");
        } else {
          log.Warn("a backend is not serving; health NOT_SERVING",
                   {{"provisioning", p}, {"registry", r}, {"kms", k}});
        }
      }
    } while (!done.WaitForNotificationWithTimeout(config.health_interval));
  });
  absl::Status status = server::RunWithSeams(server, deps.on_serving, deps.stop);
  done.Notify();
  health.join();
  if (http) http->Stop();
  return status;
}

server::ServiceMainSpec<Config> MainSpec() {
  return {.name = "chainkms-gateway",
          .summary =
              "chainkms-gateway: the public door — API keys, rate limits, the public gRPC API and "
              "the Phala Cloud-compatible HTTP API over provisioning, registry and kms",
          .register_flags = RegisterFlags,
          .finish = [](Config* c) { return FinishConfig(c); },
          .run = [](const Config& c) { return Run(c); }};
}

int Main(int argc, char** argv) {
  if (std::optional<int> rc = RunApiKeysCommand(argc, argv, std::cout, std::cerr)) return *rc;
  return server::ServiceMain<Config>(argc, argv, MainSpec());
}

}  // namespace chainkms::gateway
