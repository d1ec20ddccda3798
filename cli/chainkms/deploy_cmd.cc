#include "cli/chainkms/deploy_cmd.h"

#include <filesystem>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/chainkms/common.h"
#include "cli/chainkms/prepared.h"
#include "lib/chain/contracts.h"
#include "lib/common/hex.h"

namespace chainkms::cli {
namespace {

constexpr char kUsage[] =
    "usage: chainkms deploy -c docker-compose.yml [-e .env|KEY=VALUE …] --kms "
    "ethereum|base|<slug>\n"
    "         [--name N] [--node NODE] [--owner 0x…] [--allow-any-device] [--pre-launch-script F]\n"
    "         [--wait [--wait-timeout 5m]] --private-key K|PRIVATE_KEY --rpc-url URL|ETH_RPC_URL\n"
    "       chainkms deploy --cvm-id ID -c docker-compose.yml [-e …] [--wait] --private-key … "
    "--rpc-url …\n"
    "       chainkms deploy --cvm-id ID -c docker-compose.yml [-e …] --prepare-only\n"
    "       chainkms deploy --cvm-id ID --commit --token T [--compose-hash 0x…]\n"
    "         [--transaction-hash 0x…|already-registered]\n";

FlagSpec Spec() {
  return {.values = {{"--compose", "-c"},
                     {"--env", "-e", true},
                     {"--kms"},
                     {"--private-key"},
                     {"--rpc-url"},
                     {"--name", "-n"},
                     {"--node", "--node-id"},
                     {"--owner"},
                     {"--pre-launch-script"},
                     {"--cvm-id"},
                     {"--token"},
                     {"--compose-hash"},
                     {"--transaction-hash"},
                     {"--wait-timeout"},
                     {"--api-url"},
                     {"--api-key"},
                     {"--profile"}},
          .bools = {"--prepare-only", "--commit", "--wait", "--json", "--debug",
                    "--allow-any-device", "-j", "-h", "--help"}};
}

// The compose part of a provision or patch body: docker_compose_file, allowed_envs (the env's
// keys, when -e is given), pre_launch_script, name.
absl::StatusOr<nlohmann::json> ComposeBody(const Flags& f, const EnvList& env, bool have_env,
                                           const std::string& name) {
  std::string path = f.Get("--compose").value_or("docker-compose.yml");
  absl::StatusOr<std::string> yaml = ReadFileText(path);
  if (!yaml.ok()) {
    return WithHint(absl::NotFoundError(absl::StrCat("compose file not found: ", path)),
                    "pass -c docker-compose.yml");
  }
  nlohmann::json c = {{"docker_compose_file", *yaml}};
  if (!name.empty()) c["name"] = name;
  if (have_env) {
    nlohmann::json keys = nlohmann::json::array();
    for (const auto& [k, v] : env) keys.push_back(k);
    c["allowed_envs"] = keys;
  }
  if (std::optional<std::string> script = f.Get("--pre-launch-script")) {
    absl::StatusOr<std::string> text = ReadFileText(*script);
    if (!text.ok()) return text.status();
    c["pre_launch_script"] = *text;
  }
  return c;
}

std::string KmsSlug(std::string kms) {
  kms = absl::AsciiStrToLower(kms);
  return kms == "eth" ? "ethereum" : kms;
}

nlohmann::json EnvKeys(const EnvList& env) {
  nlohmann::json keys = nlohmann::json::array();
  for (const auto& [k, v] : env) keys.push_back(k);
  return keys;
}

// The app's chain, KMS contract and slug from a CVM's JSON (GET /cvms/{cvm}).
struct CvmChain {
  uint64_t chain_id = 0;
  Address kms;
  Address app;
  std::string slug;
};
absl::StatusOr<CvmChain> ChainOfCvm(const nlohmann::json& cvm) {
  CvmChain c;
  const nlohmann::json& k = V(cvm, "kms_info", nlohmann::json::object());
  c.chain_id = V(k, "chain_id", uint64_t{0});
  absl::StatusOr<Address> kms = AddressField(k, "dstack_kms_address");
  absl::StatusOr<Address> app = AddressField(cvm, "app_id");
  if (!kms.ok() || !app.ok() || c.chain_id == 0) {
    return absl::UnavailableError("the API answered a CVM without its on-chain KMS");
  }
  c.kms = *kms;
  c.app = *app;
  c.slug = V(cvm, "kms_slug", "");
  return c;
}

class Deploy {
 public:
  Deploy(const Flags& f, const Context& ctx) : f_(f), ctx_(ctx) {}

  int Run() {
    absl::Status s;
    if (f_.Has("--commit")) {
      s = Commit();
    } else if (f_.Get("--cvm-id")) {
      s = Update();
    } else {
      s = Create();
    }
    return s.ok() ? 0 : ctx_.Fail(s);
  }

 private:
  absl::Status Setup(bool need_key) {
    absl::StatusOr<ApiSettings> settings = ResolveApiSettings(f_);
    if (!settings.ok()) return settings.status();
    if (need_key && settings->key.empty()) {
      return WithHint(absl::FailedPreconditionError("no API key"),
                      "pass --api-key, set CHAINKMS_API_KEY, or add api_key to a profile in "
                      "~/.config/chainkms/config.toml");
    }
    api_.emplace(*settings);
    absl::StatusOr<EnvList> env = CollectEnv(f_.All("--env"));
    if (!env.ok()) return env.status();
    env_ = std::move(*env);
    have_env_ = !f_.All("--env").empty();
    return absl::OkStatus();
  }

  absl::Status Connect(uint64_t chain_id, const Address& kms) {
    std::optional<std::string> rpc = f_.Get("--rpc-url", "ETH_RPC_URL");
    if (!rpc) {
      return WithHint(absl::FailedPreconditionError("no RPC URL to reach the chain"),
                      "pass --rpc-url or set ETH_RPC_URL");
    }
    absl::StatusOr<std::unique_ptr<OnChain>> c = OnChain::Connect(*rpc, chain_id, kms, ctx_.err);
    if (!c.ok()) return c.status();
    chain_ = std::move(*c);
    return absl::OkStatus();
  }

  absl::Status Create() {
    if (absl::Status s = Setup(true); !s.ok()) return s;
    std::optional<std::string> kms = f_.Get("--kms");
    if (!kms) {
      return WithHint(absl::InvalidArgumentError("--kms is required for a new deploy"),
                      "--kms ethereum, --kms base, or the slug of a local chain's KMS (GET /kms)");
    }
    absl::StatusOr<std::shared_ptr<Signer>> signer = LoadPrivateKey(f_);
    if (!signer.ok()) return signer.status();
    std::string name = f_.Get("--name").value_or(
        std::filesystem::absolute(f_.Get("--compose").value_or("docker-compose.yml"))
            .parent_path()
            .filename()
            .string());
    absl::StatusOr<nlohmann::json> compose = ComposeBody(f_, env_, have_env_, name);
    if (!compose.ok()) return compose.status();
    nlohmann::json req = {{"name", name}, {"compose_file", *compose}, {"kms_id", KmsSlug(*kms)}};
    if (std::optional<std::string> node = f_.Get("--node")) req["node"] = *node;
    ctx_.err << "Provisioning CVM " << name << "…\n";
    absl::StatusOr<nlohmann::json> prov = api_->Call("POST", "/cvms/provision", req);
    if (!prov.ok()) return prov.status();
    absl::StatusOr<Hash32> hash = HashField(*prov, "compose_hash");
    absl::StatusOr<Hash32> device = HashField(*prov, "device_id");
    const nlohmann::json kms_info = V(*prov, "kms_info", nlohmann::json::object());
    absl::StatusOr<Address> kms_addr = AddressField(kms_info, "kms_contract_address");
    if (!hash.ok() || !device.ok() || !kms_addr.ok()) {
      return absl::UnavailableError("the API answered a provision without hash, device or KMS");
    }
    const uint64_t chain_id = V(kms_info, "chain_id", uint64_t{0});
    const std::string slug = V(kms_info, "slug", KmsSlug(*kms));
    ctx_.Debug(absl::StrCat("compose hash (provision): ", Hex0x(hash->view())));
    if (absl::Status s = Connect(chain_id, *kms_addr); !s.ok()) return s;

    Address owner = (*signer)->address();
    if (std::optional<std::string> o = f_.Get("--owner")) {
      absl::StatusOr<Address> a = HexDecodeFixed<20>(*o, "--owner");
      if (!a.ok()) return absl::InvalidArgumentError("--owner: expected 0x + 40 hex digits");
      owner = *a;
    }
    ctx_.err << "Deploying the app contract through DstackKms " << Hex0x(kms_addr->view()) << " on "
             << ChainLabel(chain_id) << "…\n";
    absl::StatusOr<Receipt> deployed = chain_->Send(
        *signer, *kms_addr,
        dstack_kms::DeployAndRegisterApp({.owner = owner,
                                          .allow_any_device = f_.Has("--allow-any-device"),
                                          .device_id = *device,
                                          .compose_hash = *hash}),
        "deployAndRegisterApp");
    if (!deployed.ok()) return deployed.status();
    std::optional<Address> app;
    for (const ContractEvent& e : deployed->EventsFrom(*kms_addr)) {
      if (const auto* d = std::get_if<AppDeployedViaFactory>(&e)) app = d->app_id;
    }
    if (!app) {
      return absl::FailedPreconditionError(
          absl::StrCat("deployAndRegisterApp emitted no AppDeployedViaFactory (transaction ",
                       Hex0x(deployed->transaction_hash.view()), ")"));
    }
    ctx_.err << "App " << Hex0x(app->view()) << " deployed (transaction "
             << Hex0x(deployed->transaction_hash.view()) << ")\n";
    if (ctx_.debug) TraceOnChain(*app, *hash);

    nlohmann::json commit = {{"app_id", HexEncode(app->view())},
                             {"compose_hash", HexEncode(hash->view())},
                             {"contract_address", Hex0x(app->view())},
                             {"deployer_address", Hex0x((*signer)->address().view())}};
    if (have_env_) {
      absl::StatusOr<Hash32> pub = VerifiedEnvPublicKey(*api_, *chain_, slug, *app, ctx_);
      if (!pub.ok()) return pub.status();
      absl::StatusOr<std::string> sealed = EncryptEnvHex(*pub, env_);
      if (!sealed.ok()) return sealed.status();
      commit["encrypted_env"] = *sealed;
      commit["env_keys"] = EnvKeys(env_);
    }
    absl::StatusOr<nlohmann::json> cvm = api_->Call("POST", "/cvms", commit);
    if (!cvm.ok()) return cvm.status();
    const std::string cvm_id = V(*cvm, "cvm_id", V(*cvm, "id", ""));
    ctx_.Debug(absl::StrCat("compose hash (commit): ", With0x(V(*cvm, "compose_hash", ""))));
    std::string status = V(*cvm, "status", "");
    if (f_.Has("--wait")) {
      absl::StatusOr<absl::Duration> timeout = WaitTimeout(f_);
      if (!timeout.ok()) return timeout.status();
      absl::StatusOr<nlohmann::json> ran =
          WaitForRunning(*api_, cvm_id, Hex0x(hash->view()), *timeout, ctx_);
      if (!ran.ok()) return ran.status();
      status = V(*ran, "status", status);
    }
    ctx_.Debug(absl::StrCat("chain round trips: ", chain_->round_trips(),
                            ", API requests: ", api_->requests()));
    ctx_.Debug(absl::StrCat("chain calls: ", absl::StrJoin(chain_->calls(), " ")));
    if (ctx_.json) {
      ctx_.Json({{"success", true},
                 {"vm_uuid", cvm_id},
                 {"cvm_id", cvm_id},
                 {"name", name},
                 {"app_id", Hex0x(app->view())},
                 {"compose_hash", Hex0x(hash->view())},
                 {"device_id", Hex0x(device->view())},
                 {"chain_id", chain_id},
                 {"transaction_hash", Hex0x(deployed->transaction_hash.view())},
                 {"status", status},
                 {"dashboard_url", nullptr},
                 {"chain_round_trips", chain_->round_trips()}});
    } else {
      ctx_.out << "CVM created successfully!\n\n"
               << "CVM ID:        " << cvm_id << "\n"
               << "Name:          " << name << "\n"
               << "App ID:        " << Hex0x(app->view()) << "\n"
               << "Compose Hash:  " << Hex0x(hash->view()) << "\n"
               << "Chain:         " << ChainLabel(chain_id) << "\n"
               << "Transaction:   " << Hex0x(deployed->transaction_hash.view()) << "\n"
               << "Status:        " << status << "\n";
    }
    return absl::OkStatus();
  }

  void TraceOnChain(const Address& app, const Hash32& hash) {
    const std::vector<Hash32> hashes = {hash};
    absl::StatusOr<Prerequisites> p = chain_->reader().CheckPrerequisites(app, {}, hashes);
    ctx_.Debug(absl::StrCat("compose hash (on chain): ", Hex0x(hash.view()),
                            " allowedComposeHashes = ",
                            p.ok() ? (p->compose_hash_allowed[0] ? "true" : "false")
                                   : std::string(p.status().message()),
                            p.ok() ? absl::StrCat(" at block ", p->block.number) : ""));
  }

  // GET /cvms/{id}, and the env encrypted to its app when -e was given.
  absl::StatusOr<nlohmann::json> PatchBody(const std::string& cvm_id, CvmChain* where) {
    absl::StatusOr<nlohmann::json> cvm = api_->Call("GET", absl::StrCat("/cvms/", cvm_id));
    if (!cvm.ok()) return cvm.status();
    absl::StatusOr<CvmChain> c = ChainOfCvm(*cvm);
    if (!c.ok()) return c.status();
    *where = *c;
    absl::StatusOr<nlohmann::json> body = ComposeBody(f_, env_, have_env_, "");
    if (!body.ok()) return body.status();
    if (have_env_) {
      if (where->slug.empty()) {
        absl::StatusOr<std::string> slug = KmsSlugForChain(*api_, where->chain_id);
        if (!slug.ok()) return slug.status();
        where->slug = *slug;
      }
      if (absl::Status s = Connect(where->chain_id, where->kms); !s.ok()) return s;
      absl::StatusOr<Hash32> pub =
          VerifiedEnvPublicKey(*api_, *chain_, where->slug, where->app, ctx_);
      if (!pub.ok()) return pub.status();
      absl::StatusOr<std::string> sealed = EncryptEnvHex(*pub, env_);
      if (!sealed.ok()) return sealed.status();
      (*body)["encrypted_env"] = *sealed;
      (*body)["env_keys"] = EnvKeys(env_);
    }
    return body;
  }

  absl::Status Update() {
    if (absl::Status s = Setup(true); !s.ok()) return s;
    const std::string cvm_id = *f_.Get("--cvm-id");
    const bool prepare = f_.Has("--prepare-only");
    std::shared_ptr<Signer> signer;
    if (!prepare) {  // fail before anything is sent when there is no key to finish with
      absl::StatusOr<std::shared_ptr<Signer>> s = LoadPrivateKey(f_);
      if (!s.ok()) return s.status();
      signer = *s;
    }
    CvmChain where;
    absl::StatusOr<nlohmann::json> body = PatchBody(cvm_id, &where);
    if (!body.ok()) return body.status();
    std::vector<std::pair<std::string, std::string>> headers;
    if (prepare) headers.emplace_back("X-Prepare-Only", "true");
    absl::StatusOr<ApiResponse> r =
        api_->Send("PATCH", absl::StrCat("/cvms/", cvm_id), *body, headers);
    if (!r.ok()) return r.status();
    if (r->status >= 200 && r->status < 300) {  // the compose hash did not change
      const nlohmann::json cvm = V(r->body, "cvm", nlohmann::json::object());
      ctx_.Debug(absl::StrCat("compose hash (patch, unchanged): ", V(cvm, "compose_hash", "")));
      if (ctx_.json) {
        ctx_.Json({{"success", true},
                   {"vm_uuid", V(cvm, "id", cvm_id)},
                   {"prepare_only", false},
                   {"compose_hash", V(cvm, "compose_hash", "")},
                   {"correlation_id", V(r->body, "correlation_id", "")},
                   {"message", "compose hash unchanged: the update was applied directly"}});
      } else {
        ctx_.out << "CVM updated successfully! (compose hash unchanged: no on-chain step)\n";
      }
      return absl::OkStatus();
    }
    if (r->status != 465) return ApiErrorStatus(*r);
    const PreparedUpdate p = PreparedFromDetails(cvm_id, ErrorDetails(r->body));
    ctx_.Debug(absl::StrCat("compose hash (provision of the update): ", p.compose_hash));
    if (prepare) {
      if (ctx_.json) {
        const auto details = ErrorDetails(r->body);
        ctx_.Json(PreparedJson(
            p, details.contains("kms_info") ? details.at("kms_info") : nlohmann::json(nullptr)));
      } else {
        ctx_.out << RenderPrepared(p);
      }
      return absl::OkStatus();
    }
    return RegisterAndConfirm(cvm_id, where, p, *body, signer);
  }

  absl::Status RegisterAndConfirm(const std::string& cvm_id, const CvmChain& where,
                                  const PreparedUpdate& p, const nlohmann::json& body,
                                  const std::shared_ptr<Signer>& signer) {
    if (!chain_) {
      if (absl::Status s = Connect(where.chain_id, where.kms); !s.ok()) return s;
    }
    absl::StatusOr<Hash32> hash = HexDecodeFixed<32>(p.compose_hash, "compose_hash");
    absl::StatusOr<Hash32> device = HexDecodeFixed<32>(p.device_id, "device_id");
    if (!hash.ok() || !device.ok())
      return absl::UnavailableError("the API answered a malformed hash");
    std::string device_tx, tx;
    if (!p.device_id_allowed) {
      ctx_.err << "Device not registered on-chain, adding " << p.device_id << "…\n";
      absl::StatusOr<Receipt> d =
          chain_->Send(signer, where.app, dstack_app::AddDevice(*device), "addDevice", where.app);
      if (!d.ok()) return d.status();
      device_tx = Hex0x(d->transaction_hash.view());
    }
    nlohmann::json committed;
    if (p.compose_hash_allowed) {
      // Registered already (an earlier run got this far): a prepare-only token, committed as
      // already registered; nothing is sent on chain.
      ctx_.err << "Compose hash " << p.compose_hash << " is already allowed on chain\n";
      absl::StatusOr<ApiResponse> prep =
          api_->Send("PATCH", absl::StrCat("/cvms/", cvm_id), body, {{"X-Prepare-Only", "true"}});
      if (!prep.ok()) return prep.status();
      if (prep->status != 465) return ApiErrorStatus(*prep);
      const PreparedUpdate again = PreparedFromDetails(cvm_id, ErrorDetails(prep->body));
      absl::StatusOr<nlohmann::json> c =
          api_->Call("POST", absl::StrCat("/cvms/", cvm_id, "/commit-update"),
                     nlohmann::json{{"token", again.commit_token},
                                    {"compose_hash", p.compose_hash},
                                    {"transaction_hash", "already-registered"}});
      if (!c.ok()) return c.status();
      committed = *c;
      tx = "already-registered";
    } else {
      ctx_.err << "Registering compose hash " << p.compose_hash << " on " << Hex0x(where.app.view())
               << "…\n";
      absl::StatusOr<Receipt> a = chain_->Send(signer, where.app, dstack_app::AddComposeHash(*hash),
                                               "addComposeHash", where.app);
      if (!a.ok()) return a.status();
      tx = Hex0x(a->transaction_hash.view());
      ctx_.Debug(absl::StrCat("compose hash (on chain): ", p.compose_hash, " added in ", tx));
      absl::StatusOr<nlohmann::json> c =
          api_->Call("PATCH", absl::StrCat("/cvms/", cvm_id), nlohmann::json::object(),
                     {{"X-Compose-Hash", p.compose_hash}, {"X-Transaction-Hash", tx}});
      if (!c.ok()) return c.status();
      committed = *c;
    }
    const nlohmann::json cvm = V(committed, "cvm", nlohmann::json::object());
    ctx_.Debug(absl::StrCat("compose hash (commit): ", V(cvm, "compose_hash", "")));
    std::string status = V(cvm, "status", "");
    if (f_.Has("--wait")) {
      absl::StatusOr<absl::Duration> timeout = WaitTimeout(f_);
      if (!timeout.ok()) return timeout.status();
      absl::StatusOr<nlohmann::json> ran =
          WaitForRunning(*api_, cvm_id, p.compose_hash, *timeout, ctx_);
      if (!ran.ok()) return ran.status();
      status = V(*ran, "status", status);
    }
    if (ctx_.json) {
      nlohmann::json j = {
          {"success", true},        {"vm_uuid", V(cvm, "id", cvm_id)},
          {"app_id", p.app_id},     {"compose_hash", p.compose_hash},
          {"transaction_hash", tx}, {"correlation_id", V(committed, "correlation_id", "")},
          {"status", status}};
      if (!device_tx.empty()) j["device_transaction_hash"] = device_tx;
      ctx_.Json(j);
    } else {
      ctx_.out << "CVM updated successfully!\n\n"
               << "Compose Hash:  " << p.compose_hash << "\n"
               << "App ID:        " << p.app_id << "\n";
      if (!device_tx.empty()) ctx_.out << "Device added:  " << device_tx << "\n";
      ctx_.out << "Transaction:   " << tx << "\n"
               << "Status:        " << status << "\n";
    }
    return absl::OkStatus();
  }

  absl::Status Commit() {
    if (absl::Status s = Setup(false); !s.ok()) return s;
    std::optional<std::string> cvm_id = f_.Get("--cvm-id");
    std::optional<std::string> token = f_.Get("--token");
    if (!token) return absl::InvalidArgumentError("--token is required for --commit mode");
    if (!cvm_id) return absl::InvalidArgumentError("--cvm-id is required for --commit mode");
    std::string tx = f_.Get("--transaction-hash").value_or("");
    if (tx.empty()) {
      ctx_.err << "No --transaction-hash provided, using 'already-registered' (state-only check)\n";
      tx = "already-registered";
    } else if (tx != "already-registered" && !HexDecodeFixed<32>(tx, "--transaction-hash").ok()) {
      return absl::InvalidArgumentError(
          "--transaction-hash: expected 0x + 64 hex digits or already-registered");
    }
    nlohmann::json req = {{"token", *token}, {"transaction_hash", tx}};
    if (std::optional<std::string> h = f_.Get("--compose-hash")) {
      if (!HexDecodeFixed<32>(*h, "--compose-hash").ok()) {
        return absl::InvalidArgumentError("--compose-hash: expected 0x + 64 hex digits");
      }
      req["compose_hash"] = *h;
    }
    absl::StatusOr<nlohmann::json> c =
        api_->Call("POST", absl::StrCat("/cvms/", *cvm_id, "/commit-update"), req);
    if (!c.ok()) {
      if (c.status().message().find("HTTP 466") != std::string_view::npos ||
          c.status().message().find("expired") != std::string_view::npos) {
        return WithHint(c.status(), "Run --prepare-only again to get a new commit token.");
      }
      return c.status();
    }
    const nlohmann::json cvm = V(*c, "cvm", nlohmann::json::object());
    ctx_.Debug(absl::StrCat("compose hash (commit): ", V(cvm, "compose_hash", "")));
    std::string status = V(*c, "status", "");
    if (f_.Has("--wait")) {
      absl::StatusOr<absl::Duration> timeout = WaitTimeout(f_);
      if (!timeout.ok()) return timeout.status();
      absl::StatusOr<nlohmann::json> ran = WaitForRunning(
          *api_, *cvm_id, absl::AsciiStrToLower(V(cvm, "compose_hash", "")), *timeout, ctx_);
      if (!ran.ok()) return ran.status();
      status = V(*ran, "status", status);
    }
    if (ctx_.json) {
      ctx_.Json({{"success", true},
                 {"vm_uuid", V(cvm, "id", *cvm_id)},
                 {"correlation_id", V(*c, "correlation_id", "")},
                 {"compose_hash", V(cvm, "compose_hash", "")},
                 {"status", status}});
    } else {
      ctx_.out << "CVM update committed successfully! Correlation ID: "
               << V(*c, "correlation_id", "") << "\n";
    }
    return absl::OkStatus();
  }

  const Flags& f_;
  const Context& ctx_;
  std::optional<ApiClient> api_;
  std::unique_ptr<OnChain> chain_;
  EnvList env_;
  bool have_env_ = false;
};

}  // namespace

int DeployCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  absl::StatusOr<Flags> f = ParseFlags(args, Spec());
  if (!f.ok()) {
    err << "chainkms deploy: " << f.status().message() << "\n" << kUsage;
    return 2;
  }
  if (f->Has("-h") || f->Has("--help")) {
    out << kUsage << kApiFlagsUsage;
    return 0;
  }
  Context ctx{out, err, f->Has("--json") || f->Has("-j"), f->Has("--debug")};
  if (f->Has("--commit") && f->Has("--prepare-only")) {
    err << "chainkms deploy: --commit and --prepare-only do not go together\n" << kUsage;
    return 2;
  }
  if (f->Has("--prepare-only") && !f->Get("--cvm-id")) {
    err << "chainkms deploy: --prepare-only updates an existing CVM: pass --cvm-id\n" << kUsage;
    return 2;
  }
  return Deploy(*f, ctx).Run();
}

}  // namespace chainkms::cli
