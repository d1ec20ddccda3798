#include "services/gateway/apikeys_cli.h"

#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "chainkms/v1/provisioning.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "lib/server/config.h"
#include "nlohmann/json.hpp"

namespace chainkms::gateway {

namespace pb = ::chainkms::v1;
using json = nlohmann::json;

namespace {

constexpr char kUsage[] =
    "usage:\n"
    "  chainkms-gateway apikeys create --workspace W [--name N] [--provisioning ADDR] [--json]\n"
    "  chainkms-gateway apikeys list   --workspace W [--provisioning ADDR] [--json]\n"
    "  chainkms-gateway apikeys revoke --workspace W --key-id ck_... [--provisioning ADDR] "
    "[--json]\n";

std::string When(int64_t unix_seconds) {
  if (unix_seconds == 0) return "-";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(unix_seconds),
                          absl::UTCTimeZone());
}

json KeyJson(const pb::ApiKey& k) {
  return {{"id", k.id()},
          {"workspace", k.workspace()},
          {"name", k.name()},
          {"created_at", When(k.created_at())},
          {"revoked_at", k.revoked_at() == 0 ? json(nullptr) : json(When(k.revoked_at()))}};
}

int Fail(std::ostream& err, std::string_view verb, const grpc::Status& s) {
  err << "apikeys " << verb << ": " << s.error_message();
  if (s.error_code() == grpc::StatusCode::UNAVAILABLE ||
      s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    err << " (is chainkms-provisioning reachable at --provisioning?)";
  }
  err << "\n";
  return 1;
}

}  // namespace

std::optional<int> RunApiKeysCommand(int argc, char** argv, std::ostream& out, std::ostream& err) {
  if (argc < 2 || std::string_view(argv[1]) != "apikeys") return std::nullopt;
  if (argc < 3 || std::string_view(argv[2]).starts_with("-")) {
    (argc >= 3 && (std::string_view(argv[2]) == "--help" || std::string_view(argv[2]) == "-h")
         ? out
         : err)
        << kUsage;
    return argc >= 3 && std::string_view(argv[2]).starts_with("-h") ? 0 : 2;
  }
  const std::string verb = argv[2];
  if (verb != "create" && verb != "list" && verb != "revoke") {
    err << "apikeys: unknown command \"" << verb << "\"\n" << kUsage;
    return 2;
  }
  std::string workspace, name, key_id, provisioning;
  bool as_json = false;
  int64_t timeout_s = 10;
  server::FlagSet flags(absl::StrCat("chainkms-gateway apikeys ", verb));
  flags.AddString("workspace", &workspace, "", "the workspace the keys belong to");
  flags.AddString("provisioning", &provisioning, "127.0.0.1:50053",
                  "chainkms-provisioning's gRPC address");
  flags.AddInt("timeout", &timeout_s, 10, "seconds to wait for provisioning",
               server::InRange(1, 600));
  flags.AddBool("json", &as_json, false, "print JSON");
  if (verb == "create") flags.AddString("name", &name, "", "a label for the key");
  if (verb == "revoke") flags.AddString("key-id", &key_id, "", "the key's id (ck_<16 hex>)");
  absl::StatusOr<server::ParseOutcome> parsed = flags.Parse(argc - 2, argv + 2);
  if (!parsed.ok()) {
    err << parsed.status().message() << "\n" << kUsage;
    return 2;
  }
  if (*parsed == server::ParseOutcome::kHelp) {
    out << flags.Help();
    return 0;
  }
  if (workspace.empty()) {
    err << "apikeys " << verb << ": --workspace is required\n";
    return 2;
  }
  if (verb == "revoke" && key_id.empty()) {
    err << "apikeys revoke: --key-id is required\n";
    return 2;
  }
  auto stub = pb::ProvisioningAdmin::NewStub(
      grpc::CreateChannel(provisioning, grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(timeout_s)));
  ctx.set_wait_for_ready(true);
  if (verb == "create") {
    pb::CreateApiKeyRequest req;
    req.set_workspace(workspace);
    req.set_name(name);
    pb::CreateApiKeyResponse resp;
    grpc::Status s = stub->CreateApiKey(&ctx, req, &resp);
    if (!s.ok()) return Fail(err, verb, s);
    if (as_json) {
      json j = KeyJson(resp.key());
      j["api_key"] = resp.api_key();
      out << j.dump(2) << "\n";
    } else {
      out << resp.api_key() << "\n";
      err << "created " << resp.key().id() << " for workspace " << workspace
          << "; the key above is shown only now (send it as X-API-Key / x-api-key)\n";
    }
    return 0;
  }
  if (verb == "list") {
    pb::ListApiKeysRequest req;
    req.set_workspace(workspace);
    pb::ListApiKeysResponse resp;
    grpc::Status s = stub->ListApiKeys(&ctx, req, &resp);
    if (!s.ok()) return Fail(err, verb, s);
    if (as_json) {
      json items = json::array();
      for (const pb::ApiKey& k : resp.keys()) items.push_back(KeyJson(k));
      out << items.dump(2) << "\n";
    } else {
      out << "ID                   CREATED               REVOKED               NAME\n";
      for (const pb::ApiKey& k : resp.keys()) {
        out << k.id() << "  " << When(k.created_at()) << "  "
            << (k.revoked_at() == 0 ? std::string("-                   ") : When(k.revoked_at()))
            << "  " << k.name() << "\n";
      }
    }
    return 0;
  }
  pb::RevokeApiKeyRequest req;
  req.set_workspace(workspace);
  req.set_key_id(key_id);
  pb::RevokeApiKeyResponse resp;
  grpc::Status s = stub->RevokeApiKey(&ctx, req, &resp);
  if (!s.ok()) return Fail(err, verb, s);
  if (as_json) {
    out << KeyJson(resp.key()).dump(2) << "\n";
  } else {
    out << "revoked " << resp.key().id() << " at " << When(resp.key().revoked_at()) << "\n";
  }
  return 0;
}

}  // namespace chainkms::gateway
