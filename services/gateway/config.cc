#include "services/gateway/config.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "lib/common/hex.h"

namespace chainkms::gateway {

void RegisterFlags(server::FlagSet& flags, Config* config) {
  server::ServerConfig defaults;
  defaults.listen = "127.0.0.1:50050";
  defaults.metrics_listen = "127.0.0.1:9460";
  server::RegisterServerFlags(flags, &config->server, defaults);
  const std::string backend_help =
      " gRPC address (host:port, or dns:///name:port for every address of a Kubernetes headless "
      "Service, round-robin)";
  flags.AddString("provisioning", &config->provisioning, "127.0.0.1:50053",
                  "chainkms-provisioning's" + backend_help, server::NonEmpty());
  flags.AddString("registry", &config->registry, "127.0.0.1:50051",
                  "chainkms-registry's" + backend_help, server::NonEmpty());
  flags.AddString("kms", &config->kms, "127.0.0.1:50052", "chainkms-kms's" + backend_help,
                  server::NonEmpty());
  flags.AddDuration("backend-timeout", &config->backend_timeout, absl::Seconds(30),
                    "bound on one backend call (a caller's shorter deadline wins)",
                    server::NonNegativeDuration());
  flags.AddDuration("api-key-cache-ttl", &config->api_key_cache_ttl, absl::Seconds(10),
                    "how long a looked-up API key (valid or not) is cached; a revoked key stops "
                    "working within this time",
                    server::NonNegativeDuration());
  flags.AddInt("rate-limit", &config->rate_limit, 20,
               "requests per second per API key (token bucket; 0 = unlimited)",
               server::InRange(0, 1000000));
  flags.AddInt("rate-burst", &config->rate_burst, 40, "token bucket size per API key",
               server::InRange(1, 1000000));
  flags.AddString("http-listen", &config->http_listen, "127.0.0.1:8080",
                  "HTTP/JSON listen address (the Phala Cloud-compatible /api/v1, commit URLs, the "
                  "confirm page); empty disables HTTP",
                  server::IsHostPortOrEmpty());
  flags.AddInt("http-threads", &config->http_threads, 16, "HTTP worker threads",
               server::InRange(1, 1024));
  flags.AddInt("max-body-bytes", &config->max_body_bytes, 1 << 20,
               "largest HTTP request body accepted (413 beyond)", server::InRange(1024, 64 << 20));
  flags.AddString("cors-origins", &config->cors_origins, "",
                  "origins allowed by CORS, comma-separated (empty: CORS off)");
  flags.AddDuration("health-interval", &config->health_interval, absl::Seconds(2),
                    "how often the backends' health is checked", server::NonNegativeDuration());
  flags.AddString("custodial-signers", &config->custodial_signers_text, "",
                  "registry signers each workspace may use in DeployCvm/UpdateCvm, "
                  "whitespace-separated <workspace>=0x<40 hex>[,0x<40 hex>…] (empty: custodial "
                  "flows refused)");
}

absl::Status FinishConfig(Config* config, const EnvLookup&) {
  config->cors_origin_list.clear();
  for (absl::string_view o : absl::StrSplit(config->cors_origins, ',', absl::SkipWhitespace())) {
    absl::string_view trimmed = absl::StripAsciiWhitespace(o);
    std::string origin(trimmed.data(), trimmed.size());
    if (origin != "*" && !origin.starts_with("http://") && !origin.starts_with("https://")) {
      return absl::InvalidArgumentError(
          absl::StrCat("--cors-origins: \"", origin,
                       "\" is not an origin (https://host[:port] or *) "
                       "(CHAINKMS_CORS_ORIGINS)"));
    }
    config->cors_origin_list.push_back(std::move(origin));
  }
  config->custodial_signers.clear();
  for (absl::string_view spec : absl::StrSplit(config->custodial_signers_text,
                                               absl::ByAnyChar(" \t\n"), absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(spec, absl::MaxSplits('=', 1));
    const std::string ws(kv.first.data(), kv.first.size());
    bool ok = !ws.empty() && ws.size() <= 64 && !kv.second.empty();
    for (char c : ws)
      ok = ok && (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-');
    std::vector<std::string>& out = config->custodial_signers[ws];
    for (absl::string_view a : absl::StrSplit(kv.second, ',')) {
      absl::StatusOr<Bytes> raw = HexDecode(std::string_view(a.data(), a.size()));
      ok = ok && raw.ok() && raw->size() == 20;
      if (ok) out.emplace_back(raw->begin(), raw->end());
    }
    if (!ok) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--custodial-signers: \"", std::string(spec.data(), spec.size()),
          "\": expected <workspace>=0x<40 hex>[,0x<40 hex>…] (CHAINKMS_CUSTODIAL_SIGNERS)"));
    }
  }
  if (config->rate_limit > 0 && config->rate_burst < 1) {
    return absl::InvalidArgumentError("--rate-burst: must be at least 1 (CHAINKMS_RATE_BURST)");
  }
  return absl::OkStatus();
}

}  // namespace chainkms::gateway
