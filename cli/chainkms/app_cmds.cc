#include "cli/chainkms/app_cmds.h"

#include <functional>
#include <iomanip>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/chainkms/common.h"
#include "lib/chain/contracts.h"
#include "lib/common/hex.h"

namespace chainkms::cli {
namespace {

using json = nlohmann::json;
using Body = std::function<absl::Status(const Flags&, const Context&, const ApiClient&)>;

// Parses `args` with `spec` plus the API flags, --json, --debug and --help; resolves the API and
// runs `body`. Usage errors exit 2, failures 1.
int RunApi(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
           FlagSpec spec, std::string_view usage, const Body& body) {
  for (std::string_view v : {"--api-url", "--api-key", "--profile"}) spec.values.push_back({v});
  for (std::string_view b : {"--json", "-j", "--debug", "-h", "--help"}) spec.bools.push_back(b);
  absl::StatusOr<Flags> f = ParseFlags(args, spec);
  if (!f.ok()) {
    err << "chainkms: " << f.status().message() << "\n" << usage;
    return 2;
  }
  if (f->Has("-h") || f->Has("--help")) {
    out << usage << kApiFlagsUsage;
    return 0;
  }
  Context ctx{out, err, f->Has("--json") || f->Has("-j"), f->Has("--debug")};
  absl::StatusOr<ApiSettings> settings = ResolveApiSettings(*f);
  if (!settings.ok()) return ctx.Fail(settings.status());
  ApiClient api(*settings);
  absl::Status s = body(*f, ctx, api);
  return s.ok() ? 0 : ctx.Fail(s);
}

// The app (and its chain) a command is about: --app-id, else the CVM's app.
struct AppRef {
  Address app;
  uint64_t chain_id = 0;
  Address kms;  // zero when unknown
};
absl::StatusOr<AppRef> ResolveApp(const Flags& f, const ApiClient& api) {
  AppRef r;
  if (std::optional<std::string> id = f.Get("--cvm-id")) {
    absl::StatusOr<json> cvm = api.Call("GET", absl::StrCat("/cvms/", *id));
    if (!cvm.ok()) return cvm.status();
    absl::StatusOr<Address> app = AddressField(*cvm, "app_id");
    if (!app.ok()) return app.status();
    r.app = *app;
    const json k = V(*cvm, "kms_info", json::object());
    r.chain_id = V(k, "chain_id", uint64_t{0});
    if (absl::StatusOr<Address> kms = AddressField(k, "dstack_kms_address"); kms.ok()) r.kms = *kms;
    return r;
  }
  std::optional<std::string> id = f.Get("--app-id");
  if (!id) return absl::InvalidArgumentError("pass --cvm-id ID or --app-id 0x<40 hex>");
  absl::StatusOr<Address> app = HexDecodeFixed<20>(*id, "--app-id");
  if (!app.ok()) return absl::InvalidArgumentError("--app-id: expected 0x + 40 hex digits");
  r.app = *app;
  absl::StatusOr<json> list =
      api.Call("GET", absl::StrCat("/apps/", HexEncode(app->view()), "/device-allowlist"));
  if (!list.ok()) return list.status();
  r.chain_id = V(*list, "chain_id", uint64_t{0});
  return r;
}

absl::StatusOr<std::unique_ptr<OnChain>> ConnectFor(const Flags& f, const AppRef& app,
                                                    const Context& ctx) {
  std::optional<std::string> rpc = f.Get("--rpc-url", "ETH_RPC_URL");
  if (!rpc) {
    return WithHint(absl::FailedPreconditionError("no RPC URL to reach the chain"),
                    "pass --rpc-url or set ETH_RPC_URL");
  }
  return OnChain::Connect(*rpc, app.chain_id, app.kms, ctx.err);
}

constexpr char kAllowUsage[] =
    "usage: chainkms allow-devices list (--cvm-id ID | --app-id 0x…)\n"
    "       chainkms allow-devices add|remove DEVICE_ID (--cvm-id ID | --app-id 0x…)\n"
    "       chainkms allow-devices allow-any|disallow-any (--cvm-id ID | --app-id 0x…)\n"
    "  writes sign here: --private-key K|PRIVATE_KEY --rpc-url URL|ETH_RPC_URL\n";

absl::Status AllowDevices(const Flags& f, const Context& ctx, const ApiClient& api) {
  const std::vector<std::string>& pos = f.positional();
  if (pos.empty())
    return absl::InvalidArgumentError(
        "name a subcommand: list, add, remove, allow-any, disallow-any");
  const std::string& sub = pos[0];
  absl::StatusOr<AppRef> app = ResolveApp(f, api);
  if (!app.ok()) return app.status();
  if (sub == "list" || sub == "ls") {
    absl::StatusOr<json> l =
        api.Call("GET", absl::StrCat("/apps/", HexEncode(app->app.view()), "/device-allowlist"));
    if (!l.ok()) return l.status();
    json devices = json::array();
    for (const json& d : V(*l, "devices", json::array())) {
      devices.push_back({{"deviceId", With0x(V(d, "device_id", ""))},
                         {"nodeName", V(d, "node_name", "")},
                         {"allowed", V(d, "allowed_onchain", false)}});
    }
    // The owner, when the chain can be read (--rpc-url / ETH_RPC_URL).
    json owner = nullptr;
    if (f.Get("--rpc-url", "ETH_RPC_URL")) {
      absl::StatusOr<std::unique_ptr<OnChain>> chain = ConnectFor(f, *app, ctx);
      if (!chain.ok()) return chain.status();
      absl::StatusOr<AppState> state = (*chain)->reader().GetApp(app->app);
      if (!state.ok()) return state.status();
      owner = Hex0x(state->owner.view());
    }
    if (ctx.json) {
      ctx.Json({{"appAddress", Hex0x(app->app.view())},
                {"chain", V(*l, "chain_id", uint64_t{0})},
                {"owner", owner},
                {"allowAnyDevice", V(*l, "allow_any_device", false)},
                {"devices", devices}});
      return absl::OkStatus();
    }
    ctx.out << "Contract:          " << Hex0x(app->app.view()) << "\n"
            << "Chain:             " << ChainLabel(V(*l, "chain_id", uint64_t{0})) << "\n"
            << "Owner:             "
            << (owner.is_string() ? owner.get<std::string>() : "(pass --rpc-url to read it)")
            << "\n"
            << "Allow Any Device:  " << (V(*l, "allow_any_device", false) ? "yes" : "no") << "\n\n";
    ctx.out << std::left << std::setw(68) << "DEVICE_ID" << std::setw(16) << "NODE"
            << "ON CHAIN\n";
    for (const json& d : devices) {
      ctx.out << std::setw(68) << d["deviceId"].get<std::string>() << std::setw(16)
              << d["nodeName"].get<std::string>()
              << (d["allowed"].get<bool>() ? "allowed" : "not allowed") << "\n";
    }
    return absl::OkStatus();
  }
  Bytes data;
  std::string what, done;
  if (sub == "add" || sub == "remove" || sub == "rm") {
    if (pos.size() < 2)
      return absl::InvalidArgumentError(absl::StrCat(sub, " needs a DEVICE_ID (0x + 64 hex)"));
    absl::StatusOr<Hash32> device = HexDecodeFixed<32>(pos[1], "DEVICE_ID");
    if (!device.ok()) return absl::InvalidArgumentError("DEVICE_ID: expected 0x + 64 hex digits");
    const bool add = sub == "add";
    data = add ? dstack_app::AddDevice(*device) : dstack_app::RemoveDevice(*device);
    what = add ? "addDevice" : "removeDevice";
    done = absl::StrCat(add ? "Added " : "Removed ", Hex0x(device->view()));
  } else if (sub == "allow-any" || sub == "disallow-any") {
    const bool allow = sub == "allow-any";
    data = dstack_app::SetAllowAnyDevice(allow);
    what = "setAllowAnyDevice";
    done = allow ? "Any device may now boot the app" : "Only listed devices may now boot the app";
  } else {
    return absl::InvalidArgumentError(absl::StrCat("unknown allow-devices subcommand ", sub));
  }
  absl::StatusOr<std::shared_ptr<Signer>> signer = LoadPrivateKey(f);
  if (!signer.ok()) return signer.status();
  absl::StatusOr<std::unique_ptr<OnChain>> chain = ConnectFor(f, *app, ctx);
  if (!chain.ok()) return chain.status();
  absl::StatusOr<Receipt> r = (*chain)->Send(*signer, app->app, std::move(data), what, app->app);
  if (!r.ok()) return r.status();
  const std::string tx = Hex0x(r->transaction_hash.view());
  const std::string explorer = ExplorerUrl(app->chain_id);
  if (ctx.json) {
    ctx.Json(json::array(
        {{{"action", sub},
          {"deviceId", pos.size() > 1 ? json(With0x(pos[1])) : json(nullptr)},
          {"txHash", tx},
          {"explorer", explorer.empty() ? json(nullptr) : json(explorer + "/tx/" + tx)}}}));
  } else {
    ctx.out << done << "\nTransaction: " << tx << "\n";
    if (!explorer.empty()) ctx.out << "Explorer:    " << explorer << "/tx/" << tx << "\n";
  }
  return absl::OkStatus();
}

constexpr char kCheckUsage[] =
    "usage: chainkms check-prerequisites --cvm-id ID [--compose-hash 0x…] [--device-id 0x…]\n";

absl::Status CheckPrerequisites(const Flags& f, const Context& ctx, const ApiClient& api) {
  std::optional<std::string> cvm = f.Get("--cvm-id");
  if (!cvm) return absl::InvalidArgumentError("--cvm-id is required");
  json req = json::object();
  for (auto [flag, key] :
       {std::pair{"--compose-hash", "compose_hash"}, {"--device-id", "device_id"}}) {
    if (std::optional<std::string> v = f.Get(flag)) {
      if (!HexDecodeFixed<32>(*v, flag).ok()) {
        return absl::InvalidArgumentError(absl::StrCat(flag, ": expected 0x + 64 hex digits"));
      }
      req[key] = *v;
    }
  }
  absl::StatusOr<json> r = api.Call("POST", absl::StrCat("/cvms/", *cvm, "/is-allowed"), req);
  if (!r.ok()) return r.status();
  ctx.Debug(absl::StrCat("compose hash (on chain check): ", With0x(V(*r, "compose_hash", ""))));
  if (ctx.json) {
    ctx.Json(*r);
    return absl::OkStatus();
  }
  auto yes = [](bool b) { return b ? "yes" : "NO"; };
  const bool device_ok = V(*r, "device_id_allowed", false) || V(*r, "allow_any_device", false);
  ctx.out << "App contract:          " << V(*r, "app_contract_address", "") << "\n"
          << "Compose hash:          " << With0x(V(*r, "compose_hash", "")) << "\n"
          << "  allowed on chain:    " << yes(V(*r, "compose_hash_allowed", false)) << "\n"
          << "Device:                " << With0x(V(*r, "device_id", "")) << "\n"
          << "  allowed on chain:    " << yes(device_ok)
          << (V(*r, "allow_any_device", false) ? " (any device)" : "") << "\n"
          << "Ready to boot:         " << yes(V(*r, "is_allowed", false)) << "\n";
  return absl::OkStatus();
}

constexpr char kEnvsUsage[] =
    "usage: chainkms envs encrypt -e .env|KEY=VALUE … (--cvm-id ID | --app-id 0x… --kms SLUG)\n"
    "         --rpc-url URL|ETH_RPC_URL [-n|--no-newline]\n"
    "  prints the hex the CVM decrypts; the KMS's env key is verified against the chain first\n";

// The KMS slug and its chain/contract from GET /kms/{slug}.
absl::StatusOr<AppRef> KmsOf(const ApiClient& api, const std::string& slug, AppRef app) {
  absl::StatusOr<json> k = api.Call("GET", absl::StrCat("/kms/", slug));
  if (!k.ok()) return k.status();
  app.chain_id = V(*k, "chain_id", uint64_t{0});
  absl::StatusOr<Address> kms = AddressField(*k, "kms_contract_address");
  if (!kms.ok()) return kms.status();
  app.kms = *kms;
  return app;
}

absl::StatusOr<std::string> SlugOf(const Flags& f, const ApiClient& api, uint64_t chain_id) {
  if (std::optional<std::string> s = f.Get("--kms")) return *s;
  absl::StatusOr<std::string> slug = KmsSlugForChain(api, chain_id);
  if (slug.status().code() == absl::StatusCode::kNotFound) {
    return WithHint(absl::NotFoundError("no KMS found for the app"), "pass --kms SLUG (GET /kms)");
  }
  return slug;
}

absl::Status Envs(const Flags& f, const Context& ctx, const ApiClient& api) {
  if (f.positional().empty() || f.positional()[0] != "encrypt") {
    return absl::InvalidArgumentError("name a subcommand: encrypt");
  }
  absl::StatusOr<EnvList> env = CollectEnv(f.All("--env"));
  if (!env.ok()) return env.status();
  if (env->empty())
    return absl::InvalidArgumentError("nothing to encrypt: pass -e .env or -e KEY=VALUE");
  absl::StatusOr<AppRef> app = ResolveApp(f, api);
  if (!app.ok()) return app.status();
  absl::StatusOr<std::string> slug = SlugOf(f, api, app->chain_id);
  if (!slug.ok()) return slug.status();
  app = KmsOf(api, *slug, *app);
  if (!app.ok()) return app.status();
  absl::StatusOr<std::unique_ptr<OnChain>> chain = ConnectFor(f, *app, ctx);
  if (!chain.ok()) return chain.status();
  absl::StatusOr<Hash32> pub = VerifiedEnvPublicKey(api, **chain, *slug, app->app, ctx);
  if (!pub.ok()) return pub.status();
  absl::StatusOr<std::string> sealed = EncryptEnvHex(*pub, *env);
  if (!sealed.ok()) return sealed.status();
  if (ctx.json) {
    json keys = json::array();
    for (const auto& [k, v] : *env) keys.push_back(k);
    ctx.Json({{"encrypted_env", *sealed}, {"env_keys", keys}, {"app_id", Hex0x(app->app.view())}});
  } else {
    ctx.out << *sealed << (f.Has("--no-newline") || f.Has("-n") ? "" : "\n");
  }
  return absl::OkStatus();
}

constexpr char kKmsUsage[] =
    "usage: chainkms kms pubkey --app-id 0x… [--kms SLUG] [--rpc-url URL|ETH_RPC_URL]\n"
    "       chainkms kms list\n"
    "  with --rpc-url the public key's signature is checked against the KMS key on chain\n";

absl::Status Kms(const Flags& f, const Context& ctx, const ApiClient& api) {
  const std::string sub = f.positional().empty() ? "" : f.positional()[0];
  if (sub == "list" || sub == "ls") {
    absl::StatusOr<json> l = api.Call("GET", "/kms");
    if (!l.ok()) return l.status();
    if (ctx.json) {
      ctx.Json(*l);
      return absl::OkStatus();
    }
    for (const json& k : V(*l, "items", json::array())) {
      ctx.out << std::left << std::setw(12) << V(k, "slug", "") << std::setw(20)
              << ChainLabel(V(k, "chain_id", uint64_t{0})) << " "
              << V(k, "kms_contract_address", "") << "\n";
    }
    return absl::OkStatus();
  }
  if (sub != "pubkey") return absl::InvalidArgumentError("name a subcommand: pubkey, list");
  std::optional<std::string> id = f.Get("--app-id");
  if (!id) return absl::InvalidArgumentError("--app-id is required");
  absl::StatusOr<Address> app = HexDecodeFixed<20>(*id, "--app-id");
  if (!app.ok()) return absl::InvalidArgumentError("--app-id: expected 0x + 40 hex digits");
  absl::StatusOr<std::string> slug = SlugOf(f, api, 0);
  if (!slug.ok()) return slug.status();
  std::optional<Hash32> verified;
  if (f.Get("--rpc-url", "ETH_RPC_URL")) {
    absl::StatusOr<AppRef> ref = KmsOf(api, *slug, AppRef{.app = *app});
    if (!ref.ok()) return ref.status();
    absl::StatusOr<std::unique_ptr<OnChain>> chain = ConnectFor(f, *ref, ctx);
    if (!chain.ok()) return chain.status();
    absl::StatusOr<Hash32> pub = VerifiedEnvPublicKey(api, **chain, *slug, *app, ctx);
    if (!pub.ok()) return pub.status();
    verified = *pub;
  }
  absl::StatusOr<json> got =
      api.Call("GET", absl::StrCat("/kms/", *slug, "/pubkey/", Hex0x(app->view())));
  if (!got.ok()) return got.status();
  const std::string pub = V(*got, "public_key", "");
  if (verified && With0x(pub) != Hex0x(verified->view())) {
    return absl::FailedPreconditionError("the KMS answered two different env keys");
  }
  if (ctx.json) {
    ctx.Json({{"app_id", Hex0x(app->view())},
              {"kms", *slug},
              {"public_key", pub},
              {"signature", V(*got, "signature", "")},
              {"verified_on_chain", verified.has_value()}});
  } else {
    ctx.out << "App ID:      " << Hex0x(app->view()) << "\n"
            << "Public key:  " << With0x(pub) << "\n"
            << "Signature:   " << With0x(V(*got, "signature", "")) << "\n"
            << "Verified:    "
            << (verified ? "yes (signed by the KMS k256 key on chain)"
                         : "no (pass --rpc-url to check it against the chain)")
            << "\n";
  }
  return absl::OkStatus();
}

constexpr char kCvmsUsage[] = "usage: chainkms cvms list | chainkms cvms get ID\n";

void PrintCvm(const Context& ctx, const json& c) {
  ctx.out << "CVM ID:        " << V(c, "id", "") << "\n"
          << "Name:          " << V(c, "name", "") << "\n"
          << "Status:        " << V(c, "status", "");
  if (!V(c, "status_reason", "").empty()) ctx.out << " (" << V(c, "status_reason", "") << ")";
  const json k = V(c, "kms_info", json::object());
  ctx.out << "\n"
          << "App ID:        " << With0x(V(c, "app_id", "")) << "\n"
          << "Compose Hash:  " << V(c, "compose_hash", "") << "\n"
          << "Node:          " << V(V(c, "node_info", json::object()), "name", "") << "\n"
          << "Chain:         " << ChainLabel(V(k, "chain_id", uint64_t{0})) << "\n"
          << "KMS contract:  " << V(k, "dstack_kms_address", "") << "\n";
}

absl::Status Cvms(const Flags& f, const Context& ctx, const ApiClient& api) {
  const std::string sub = f.positional().empty() ? "" : f.positional()[0];
  if (sub == "get") {
    if (f.positional().size() < 2) return absl::InvalidArgumentError("cvms get needs a CVM id");
    absl::StatusOr<json> c = api.Call("GET", absl::StrCat("/cvms/", f.positional()[1]));
    if (!c.ok()) return c.status();
    if (ctx.json) {
      ctx.Json(*c);
    } else {
      PrintCvm(ctx, *c);
    }
    return absl::OkStatus();
  }
  if (sub != "list" && sub != "ls")
    return absl::InvalidArgumentError("name a subcommand: list, get");
  absl::StatusOr<json> l = api.Call("GET", "/cvms");
  if (!l.ok()) return l.status();
  const json items = V(*l, "items", json::array());
  if (ctx.json) {
    json out = json::array();
    for (const json& c : items) {
      out.push_back({{"appId", With0x(V(c, "app_id", ""))},
                     {"cvmName", V(c, "name", "")},
                     {"vmUuid", V(c, "id", "")},
                     {"status", V(c, "status", "")},
                     {"composeHash", V(c, "compose_hash", "")}});
    }
    // The phala CLI's list shape; the gateway answers one page of up to 100.
    const uint64_t total = V(*l, "total", uint64_t{items.size()});
    ctx.Json({{"page", 1},
              {"pageSize", items.size()},
              {"total", total},
              {"totalPages", items.empty() ? 0 : (total + items.size() - 1) / items.size()},
              {"items", out}});
    return absl::OkStatus();
  }
  ctx.out << std::left << std::setw(40) << "CVM ID" << std::setw(24) << "NAME" << std::setw(14)
          << "STATUS"
          << "APP ID\n";
  for (const json& c : items) {
    ctx.out << std::setw(40) << V(c, "id", "") << std::setw(24) << V(c, "name", "") << std::setw(14)
            << V(c, "status", "") << With0x(V(c, "app_id", "")) << "\n";
  }
  return absl::OkStatus();
}

constexpr char kWebhooksUsage[] =
    "usage: chainkms webhooks create --url URL [--events cvm.updated,cvm.update.pending_approval]\n"
    "       chainkms webhooks list\n"
    "       chainkms webhooks rotate ID\n"
    "  create and rotate print the signing secret once\n";

absl::Status Webhooks(const Flags& f, const Context& ctx, const ApiClient& api) {
  const std::string sub = f.positional().empty() ? "" : f.positional()[0];
  absl::StatusOr<json> r;
  if (sub == "create") {
    std::optional<std::string> url = f.Get("--url");
    if (!url) return absl::InvalidArgumentError("--url is required");
    json events = json::array();
    if (std::optional<std::string> e = f.Get("--events")) {
      for (absl::string_view ev : absl::StrSplit(*e, ',', absl::SkipEmpty()))
        events.push_back(std::string(ev));
    }
    r = api.Call("POST", "/workspace/webhooks", json{{"url", *url}, {"events", events}});
  } else if (sub == "list" || sub == "ls") {
    r = api.Call("GET", "/workspace/webhooks");
  } else if (sub == "rotate") {
    if (f.positional().size() < 2) return absl::InvalidArgumentError("rotate needs a webhook id");
    r = api.Call("POST", absl::StrCat("/workspace/webhooks/", f.positional()[1], "/rotate-secret"));
  } else {
    return absl::InvalidArgumentError("name a subcommand: create, list, rotate");
  }
  if (!r.ok()) return r.status();
  if (ctx.json) {
    ctx.Json(*r);
    return absl::OkStatus();
  }
  if (sub == "list" || sub == "ls") {
    for (const json& w : V(*r, "items", json::array())) {
      std::vector<std::string> ev;
      for (const json& e : V(w, "events", json::array())) ev.push_back(e.get<std::string>());
      ctx.out << std::left << std::setw(28) << V(w, "id", "") << std::setw(48) << V(w, "url", "")
              << absl::StrJoin(ev, ",") << "\n";
    }
    return absl::OkStatus();
  }
  ctx.out << "Webhook ID:  " << V(*r, "id", "") << "\n"
          << "URL:         " << V(*r, "url", "") << "\n"
          << "Secret:      " << V(*r, "secret", "") << "\n"
          << "(the secret is shown only now: verify X-Webhook-Signature with it)\n";
  return absl::OkStatus();
}

}  // namespace

int AllowDevicesCommand(const std::vector<std::string>& args, std::ostream& out,
                        std::ostream& err) {
  return RunApi(args, out, err,
                {.values = {{"--cvm-id"}, {"--app-id"}, {"--private-key"}, {"--rpc-url"}},
                 .max_positional = 2},
                kAllowUsage, AllowDevices);
}

int CheckPrerequisitesCommand(const std::vector<std::string>& args, std::ostream& out,
                              std::ostream& err) {
  return RunApi(args, out, err, {.values = {{"--cvm-id"}, {"--compose-hash"}, {"--device-id"}}},
                kCheckUsage, CheckPrerequisites);
}

int EnvsCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  return RunApi(
      args, out, err,
      {.values = {{"--env", "-e", true}, {"--cvm-id"}, {"--app-id"}, {"--kms"}, {"--rpc-url"}},
       .bools = {"--no-newline", "-n"},
       .max_positional = 1},
      kEnvsUsage, Envs);
}

int KmsCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  return RunApi(args, out, err,
                {.values = {{"--app-id"}, {"--kms"}, {"--rpc-url"}}, .max_positional = 1},
                kKmsUsage, Kms);
}

int CvmsCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  return RunApi(args, out, err, {.max_positional = 2}, kCvmsUsage, Cvms);
}

int WebhooksCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  return RunApi(args, out, err, {.values = {{"--url"}, {"--events"}}, .max_positional = 2},
                kWebhooksUsage, Webhooks);
}

}  // namespace chainkms::cli
