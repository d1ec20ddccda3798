// RestApi: the CVM routes (provision, commit, reads, the unified PATCH, commit-update, is-allowed).
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "lib/common/reason.h"
#include "lib/common/status_macros.h"
#include "services/gateway/rest_internal.h"

namespace chainkms::gateway::rest {

namespace pb = ::chainkms::v1;

namespace {

std::string Rfc3339(int64_t unix_seconds) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(unix_seconds),
                          absl::UTCTimeZone());
}

// The compose keys @phala/cloud sends (compose_file in provision, the PATCH body), onto `spec`.
// Only keys present change it; `*touched` says whether any was.
absl::Status ReadCompose(const json& obj, pb::ComposeSpec* spec, bool* touched) {
  bool present = false;
  *touched = false;
  std::string s;
  RETURN_IF_ERROR(ReadString(obj, "docker_compose_file", &s, &present));
  if (present) spec->set_docker_compose_file(s), *touched = true;
  RETURN_IF_ERROR(ReadString(obj, "pre_launch_script", &s, &present));
  if (present) spec->set_pre_launch_script(s), *touched = true;
  std::vector<std::string> envs;
  RETURN_IF_ERROR(ReadStrings(obj, "allowed_envs", &envs, &present));
  if (present) {
    spec->clear_allowed_envs();
    for (std::string& e : envs) spec->add_allowed_envs(std::move(e));
    *touched = true;
  }
  struct BoolKey {
    const char* key;
    void (pb::ComposeSpec::*set)(bool);
  };
  constexpr BoolKey kBools[] = {
      {"gateway_enabled", &pb::ComposeSpec::set_gateway_enabled},
      {"tproxy_enabled", &pb::ComposeSpec::set_gateway_enabled},
      {"public_logs", &pb::ComposeSpec::set_public_logs},
      {"public_sysinfo", &pb::ComposeSpec::set_public_sysinfo},
      {"public_tcbinfo", &pb::ComposeSpec::set_public_tcbinfo},
      {"no_instance_id", &pb::ComposeSpec::set_no_instance_id},
      {"secure_time", &pb::ComposeSpec::set_secure_time},
  };
  for (const BoolKey& b : kBools) {
    std::optional<bool> v;
    RETURN_IF_ERROR(ReadBool(obj, b.key, &v));
    if (v.has_value()) (spec->*b.set)(*v), *touched = true;
  }
  RETURN_IF_ERROR(ReadString(obj, "storage_fs", &s, &present));
  if (present) spec->set_storage_fs(s), *touched = true;
  std::optional<uint64_t> swap;
  RETURN_IF_ERROR(ReadUint(obj, "swap_size", &swap));
  if (swap.has_value()) spec->set_swap_size(*swap), *touched = true;
  return absl::OkStatus();
}

// A field error inside an object: "compose_file.<key>".
absl::Status Within(std::string_view prefix, absl::Status s) {
  if (s.ok() || ReasonOf(s) != Reason::kInvalidField) return s;
  std::map<std::string, std::string> md;
  for (const auto& [k, v] : MetadataOf(s)) md[k] = v;
  return InvalidFieldError(absl::StrCat(std::string(prefix), ".", md["field"]), md["detail"]);
}

std::string_view Cvm0(const Call& c) { return c.segments.at(1); }

// `already-registered` (or _) as the proof, else a 32-byte transaction hash.
absl::Status ReadProof(std::string_view tx, pb::CommitCvmUpdateRequest* req,
                       std::string_view field) {
  if (tx == "already-registered" || tx == "already_registered") {
    req->set_already_registered(true);
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(std::string raw, HexField(tx, 32, field));
  req->set_tx_hash(raw);
  return absl::OkStatus();
}

}  // namespace

std::string StatusName(pb::CvmStatus status) {
  switch (status) {
    case pb::CVM_STATUS_PROVISIONING:
      return "provisioning";
    case pb::CVM_STATUS_STARTING:
      return "starting";
    case pb::CVM_STATUS_RUNNING:
      return "running";
    case pb::CVM_STATUS_BOOT_FAILED:
      return "boot_failed";
    case pb::CVM_STATUS_STOPPED:
      return "stopped";
    default:
      return "unknown";
  }
}

json KmsInfoJson(const pb::KmsRef& kms) {
  return {{"id", kms.slug()},
          {"slug", kms.slug()},
          {"url", kms.url()},
          {"version", "chainkms"},
          {"chain_id", kms.chain_id()},
          {"kms_contract_address", Hex0x(kms.kms_contract())},
          {"gateway_app_id",
           kms.gateway_app_id().empty() ? json(nullptr) : json(kms.gateway_app_id())}};
}

json CvmJson(const pb::Cvm& cvm, const std::string& workspace) {
  const std::string app = HexPlain(cvm.app_id());
  return {
      {"id", cvm.id()},
      {"name", cvm.name()},
      {"status", StatusName(cvm.status())},
      {"status_reason", cvm.status_reason()},
      {"app_id", app},
      {"vm_uuid", nullptr},
      {"instance_id", nullptr},
      {"compose_hash", Hex0x(cvm.compose_hash())},
      {"resource", json::object()},
      {"gateway", json::object()},
      {"node_info",
       {{"object_type", "node"}, {"name", cvm.node()}, {"device_id", Hex0x(cvm.device_id())}}},
      {"os", {{"os_image_hash", Hex0x(cvm.os_image_hash())}}},
      {"kms_type", cvm.kms().chain_id() == 8453 ? "base" : "ethereum"},
      {"kms_info",
       {{"chain_id", cvm.kms().chain_id()},
        {"dstack_kms_address", Hex0x(cvm.kms().kms_contract())},
        {"dstack_app_address", "0x" + app},
        {"deployer_address", cvm.deployer().empty() ? json(nullptr) : json(Hex0x(cvm.deployer()))},
        {"encrypted_env_pubkey", nullptr}}},
      {"workspace", {{"object_type", "workspace"}, {"id", workspace}, {"name", workspace}}},
      {"env_keys", cvm.env_keys()},
      {"revision", cvm.revision()},
      {"created_at", Rfc3339(cvm.created_at())},
      {"updated_at", Rfc3339(cvm.updated_at())},
  };
}

HttpResponse ProvisionCvm(Call& c) {
  absl::StatusOr<json> body = BodyObject(c.http);
  if (!body.ok()) return Error(body.status());
  pb::ProvisionCvmRequest req;
  std::string name;
  if (absl::Status s = ReadString(*body, "name", &name); !s.ok()) return Error(s);
  req.set_name(name);
  auto compose = body->find("compose_file");
  if (compose == body->end() || !compose->is_object()) {
    return BadField("compose_file", "required: an object with docker_compose_file");
  }
  bool touched = false;
  if (absl::Status s =
          Within("compose_file", ReadCompose(*compose, req.mutable_compose(), &touched));
      !s.ok()) {
    return Error(s);
  }
  // kms_id names one of this deployment's KMS slugs; kms is Phala's ETHEREUM / BASE.
  std::string kms, kms_id;
  if (absl::Status s = ReadString(*body, "kms_id", &kms_id); !s.ok()) return Error(s);
  if (absl::Status s = ReadString(*body, "kms", &kms); !s.ok()) return Error(s);
  req.set_kms(!kms_id.empty() ? kms_id : absl::AsciiStrToLower(kms));
  std::string node;
  if (absl::Status s = ReadString(*body, "node", &node); !s.ok()) return Error(s);
  req.set_node(node);
  pb::ProvisionCvmResponse resp;
  grpc::Status s =
      Prov(c, &pb::Provisioning::StubInterface::ProvisionCvm, req, &resp, Idempotency::kWrite);
  if (!s.ok()) return Error(s);
  return Json(200, {{"compose_hash", Hex0x(resp.compose_hash())},
                    {"app_id", nullptr},
                    {"app_env_encrypt_pubkey", nullptr},
                    {"kms_info", KmsInfoJson(resp.kms())},
                    {"kms_id", resp.kms().slug()},
                    {"fmspc", nullptr},
                    {"device_id", Hex0x(resp.device_id())},
                    {"os_image_hash", Hex0x(resp.os_image_hash())},
                    {"instance_type", nullptr},
                    {"node_id", nullptr},
                    {"teepod_id", nullptr},
                    {"node", resp.node()},
                    {"app_compose", resp.app_compose()},
                    {"expires_at", Rfc3339(resp.expires_at())}});
}

HttpResponse CommitCvmProvision(Call& c) {
  absl::StatusOr<json> body = BodyObject(c.http);
  if (!body.ok()) return Error(body.status());
  pb::CommitCvmProvisionRequest req;
  std::string app, hash, env, contract, deployer;
  std::vector<std::string> keys;
  for (auto [key, out] : {std::pair{"app_id", &app},
                          {"compose_hash", &hash},
                          {"encrypted_env", &env},
                          {"contract_address", &contract},
                          {"deployer_address", &deployer}}) {
    if (absl::Status s = ReadString(*body, key, out); !s.ok()) return Error(s);
  }
  if (absl::Status s = ReadStrings(*body, "env_keys", &keys); !s.ok()) return Error(s);
  absl::StatusOr<std::string> raw = HexField(app, 20, "app_id");
  if (!raw.ok()) return Error(raw.status());
  req.set_app_id(*raw);
  if (raw = HexField(hash, 32, "compose_hash"); !raw.ok()) return Error(raw.status());
  req.set_compose_hash(*raw);
  if (raw = HexBytes(env, "encrypted_env"); !raw.ok()) return Error(raw.status());
  req.set_encrypted_env(*raw);
  if (!contract.empty()) {  // Phala's contract_address is the app's contract: the app id itself
    if (raw = HexField(contract, 20, "contract_address"); !raw.ok()) return Error(raw.status());
    if (*raw != req.app_id()) {
      return BadField("contract_address", "must be the app's contract, i.e. equal app_id");
    }
  }
  if (!deployer.empty()) {
    if (raw = HexField(deployer, 20, "deployer_address"); !raw.ok()) return Error(raw.status());
    req.set_deployer(*raw);
  }
  for (std::string& k : keys) req.add_env_keys(std::move(k));
  pb::CommitCvmProvisionResponse resp;
  grpc::Status s = Prov(c, &pb::Provisioning::StubInterface::CommitCvmProvision, req, &resp,
                        Idempotency::kWrite);
  if (!s.ok()) return Error(s);
  const pb::Cvm& cvm = resp.cvm();
  // CommitCvmProvisionSchema wants a numeric id: the first 48 bits of ours (informational; use
  // `cvm_id` or app_<app id> in paths).
  int64_t numeric = 0;
  if (cvm.id().size() >= 16) (void)absl::SimpleHexAtoi(cvm.id().substr(4, 12), &numeric);
  json out = CvmJson(cvm, c.scope.workspace);
  out["cvm_id"] = cvm.id();
  out["id"] = numeric;
  out["teepod_id"] = 0;
  out["teepod"] = nullptr;
  out["user_id"] = nullptr;
  out["base_image"] = nullptr;
  out["vcpu"] = 0;
  out["memory"] = 0;
  out["disk_size"] = 0;
  out["docker_compose_file"] = nullptr;
  out["encrypted_env_pubkey"] = nullptr;
  out["app_auth_contract_address"] = "0x" + HexPlain(cvm.app_id());
  out["deployer_address"] = cvm.deployer().empty() ? json(nullptr) : json(Hex0x(cvm.deployer()));
  return Json(200, out);
}

HttpResponse ListCvms(Call& c) {
  pb::ListCvmsRequest req;
  std::string v;
  if (c.http.QueryParam("page_token", &v)) req.set_page_token(v);
  if (c.http.QueryParam("page_size", &v)) {
    uint32_t n = 0;
    if (!absl::SimpleAtoi(v, &n)) return BadField("page_size", "must be a positive integer");
    req.set_page_size(n);
  }
  pb::ListCvmsResponse resp;
  grpc::Status s =
      Prov(c, &pb::Provisioning::StubInterface::ListCvms, req, &resp, Idempotency::kRead);
  if (!s.ok()) return Error(s);
  json items = json::array();
  for (const pb::Cvm& cvm : resp.cvms()) items.push_back(CvmJson(cvm, c.scope.workspace));
  return Json(
      200,
      {{"items", items}, {"total", resp.total()}, {"next_page_token", resp.next_page_token()}});
}

HttpResponse GetCvm(Call& c) {
  pb::GetCvmRequest req;
  req.set_cvm_id(std::string(Cvm0(c)));
  pb::GetCvmResponse resp;
  grpc::Status s =
      Prov(c, &pb::Provisioning::StubInterface::GetCvm, req, &resp, Idempotency::kRead);
  if (!s.ok()) return Error(s);
  return Json(200, CvmJson(resp.cvm(), c.scope.workspace));
}

HttpResponse GetComposeFile(Call& c) {
  pb::GetComposeFileRequest req;
  req.set_cvm_id(std::string(Cvm0(c)));
  pb::GetComposeFileResponse resp;
  grpc::Status s =
      Prov(c, &pb::Provisioning::StubInterface::GetComposeFile, req, &resp, Idempotency::kRead);
  if (!s.ok()) return Error(s);
  // The exact app-compose.json bytes whose SHA-256 is the compose hash.
  HttpResponse r;
  r.body = resp.app_compose();
  return r;
}

namespace {

// The CVM's current compose as a ComposeSpec (a PATCH changes only the keys it names).
absl::StatusOr<pb::ComposeSpec> CurrentCompose(Call& c) {
  pb::GetComposeFileRequest req;
  req.set_cvm_id(std::string(Cvm0(c)));
  pb::GetComposeFileResponse resp;
  grpc::Status s =
      Prov(c, &pb::Provisioning::StubInterface::GetComposeFile, req, &resp, Idempotency::kRead);
  if (!s.ok()) return server::FromGrpcStatus(s);
  json j = json::parse(resp.app_compose(), nullptr, false);
  if (!j.is_object()) return absl::InternalError("stored app-compose.json is not an object");
  pb::ComposeSpec spec;
  bool touched = false;
  RETURN_IF_ERROR(ReadCompose(j, &spec, &touched));
  return spec;
}

HttpResponse OnChainHashRequired(const pb::OnChainHashRequired& r) {
  json details = json::array({
      {{"field", "compose_hash"}, {"value", Hex0x(r.compose_hash())}},
      {{"field", "app_id"}, {"value", HexPlain(r.app_id())}},
      {{"field", "device_id"}, {"value", Hex0x(r.device_id())}},
      {{"field", "kms_info"}, {"value", KmsInfoJson(r.kms())}},
      {{"field", "onchain_status"},
       {"value",
        {{"compose_hash_allowed", r.onchain_status().compose_hash_allowed()},
         {"device_id_allowed", r.onchain_status().device_id_allowed()},
         {"is_allowed", r.onchain_status().is_allowed()}}}},
      {{"field", "onchain_action"},
       {"value",
        {{"to", Hex0x(r.onchain_action().to())},
         {"method", r.onchain_action().method()},
         {"calldata", Hex0x(r.onchain_action().calldata())}}}},
  });
  if (!r.commit_token().empty()) {
    details.push_back({{"field", "commit_token"}, {"value", r.commit_token()}});
    details.push_back({{"field", "commit_url"}, {"value", r.commit_url()}});
    details.push_back({{"field", "api_commit_url"}, {"value", r.api_commit_url()}});
    details.push_back({{"field", "expires_at"}, {"value", Rfc3339(r.expires_at())}});
  }
  return Json(465, {{"detail",
                     {{"error_code", "ERR-01-005"},
                      {"message", "Compose hash registration required"},
                      {"details", details}}}});
}

HttpResponse Accepted(Call& c, const pb::Cvm& cvm) {
  return Json(200, {{"correlation_id", c.scope.request_id},
                    {"status", "in_progress"},
                    {"cvm", CvmJson(cvm, c.scope.workspace)}});
}

}  // namespace

HttpResponse PatchCvm(Call& c) {
  const std::string_view hash_header = c.http.Header("x-compose-hash");
  const std::string_view tx_header = c.http.Header("x-transaction-hash");
  if (!hash_header.empty() || !tx_header.empty()) {  // phase 2 (an EOA owner registered it)
    pb::ConfirmCvmPatchRequest req;
    req.set_cvm_id(std::string(Cvm0(c)));
    absl::StatusOr<std::string> raw = HexField(hash_header, 32, "X-Compose-Hash");
    if (!raw.ok()) return Error(raw.status());
    req.set_compose_hash(*raw);
    if (raw = HexField(tx_header, 32, "X-Transaction-Hash"); !raw.ok()) return Error(raw.status());
    req.set_tx_hash(*raw);
    pb::ConfirmCvmPatchResponse resp;
    grpc::Status s =
        Prov(c, &pb::Provisioning::StubInterface::ConfirmCvmPatch, req, &resp, Idempotency::kWrite);
    if (!s.ok()) return Error(s);
    return Accepted(c, resp.cvm());
  }
  absl::StatusOr<json> body = BodyObject(c.http);
  if (!body.ok()) return Error(body.status());
  pb::PatchCvmRequest req;
  req.set_cvm_id(std::string(Cvm0(c)));
  const std::string prepare = absl::AsciiStrToLower(std::string(c.http.Header("x-prepare-only")));
  if (!prepare.empty() && prepare != "true" && prepare != "false") {
    return BadField("X-Prepare-Only", "must be true or false");
  }
  req.set_prepare_only(prepare == "true");
  pb::ComposeSpec patch;
  bool touched = false;
  if (absl::Status s = ReadCompose(*body, &patch, &touched); !s.ok()) return Error(s);
  if (touched) {
    absl::StatusOr<pb::ComposeSpec> current = CurrentCompose(c);
    if (!current.ok()) return Error(current.status());
    current->MergeFrom(patch);  // repeated allowed_envs: the patch replaces them
    if (patch.allowed_envs_size() > 0 || body->contains("allowed_envs")) {
      *current->mutable_allowed_envs() = patch.allowed_envs();
    }
    *req.mutable_compose() = *current;
  }
  std::string env;
  bool has_env = false;
  if (absl::Status s = ReadString(*body, "encrypted_env", &env, &has_env); !s.ok()) return Error(s);
  if (has_env) {
    absl::StatusOr<std::string> raw = HexBytes(env, "encrypted_env");
    if (!raw.ok()) return Error(raw.status());
    req.set_encrypted_env(*raw);
    std::vector<std::string> keys;
    if (absl::Status s = ReadStrings(*body, "env_keys", &keys); !s.ok()) return Error(s);
    for (std::string& k : keys) req.add_env_keys(std::move(k));
  }
  pb::PatchCvmResponse resp;
  grpc::Status s =
      Prov(c, &pb::Provisioning::StubInterface::PatchCvm, req, &resp, Idempotency::kWrite);
  if (!s.ok()) return Error(s);
  if (resp.has_requires_on_chain_hash()) return OnChainHashRequired(resp.requires_on_chain_hash());
  return Accepted(c, resp.applied());
}

HttpResponse CommitCvmUpdate(Call& c) {
  absl::StatusOr<json> body = BodyObject(c.http);
  if (!body.ok()) return Error(body.status());
  std::string token, hash, tx;
  for (auto [key, out] :
       {std::pair{"token", &token}, {"compose_hash", &hash}, {"transaction_hash", &tx}}) {
    if (absl::Status s = ReadString(*body, key, out); !s.ok()) return Error(s);
  }
  std::string q;
  if (token.empty() && c.http.QueryParam("token", &q)) token = q;
  if (token.empty()) return BadField("token", "required (body or ?token=)");
  pb::CommitCvmUpdateRequest req;
  req.set_cvm_id(std::string(Cvm0(c)));
  req.set_token(token);
  if (!hash.empty()) {
    absl::StatusOr<std::string> raw = HexField(hash, 32, "compose_hash");
    if (!raw.ok()) return Error(raw.status());
    req.set_compose_hash(*raw);
  }
  if (tx.empty()) return BadField("transaction_hash", "required: 0x<64 hex> or already-registered");
  if (absl::Status s = ReadProof(tx, &req, "transaction_hash"); !s.ok()) return Error(s);
  pb::CommitCvmUpdateResponse resp;
  grpc::Status s =
      Prov(c, &pb::Provisioning::StubInterface::CommitCvmUpdate, req, &resp, Idempotency::kWrite);
  if (!s.ok()) return Error(s);
  return Accepted(c, resp.cvm());
}

HttpResponse IsAllowed(Call& c) {
  absl::StatusOr<json> body = BodyObject(c.http);
  if (!body.ok()) return Error(body.status());
  std::string hash, device;
  if (absl::Status s = ReadString(*body, "compose_hash", &hash); !s.ok()) return Error(s);
  if (absl::Status s = ReadString(*body, "device_id", &device); !s.ok()) return Error(s);
  pb::GetCvmRequest get;
  get.set_cvm_id(std::string(Cvm0(c)));
  pb::GetCvmResponse cvm;
  grpc::Status s = Prov(c, &pb::Provisioning::StubInterface::GetCvm, get, &cvm, Idempotency::kRead);
  if (!s.ok()) return Error(s);
  pb::CheckPrerequisitesRequest req;
  req.set_chain_id(cvm.cvm().kms().chain_id());
  req.set_app_id(cvm.cvm().app_id());
  absl::StatusOr<std::string> raw =
      hash.empty() ? cvm.cvm().compose_hash() : HexField(hash, 32, "compose_hash");
  if (!raw.ok()) return Error(raw.status());
  req.add_compose_hashes(*raw);
  absl::StatusOr<std::string> dev =
      device.empty() ? cvm.cvm().device_id() : HexField(device, 32, "device_id");
  if (!dev.ok()) return Error(dev.status());
  req.add_device_ids(*dev);
  pb::CheckPrerequisitesResponse check;
  s = Forward(c, c.gateway.backends().registry(), &pb::Registry::StubInterface::CheckPrerequisites,
              req, &check, Idempotency::kRead);
  if (!s.ok()) return Error(s);
  if (check.compose_hash_allowed_size() != 1 || check.device_id_allowed_size() != 1) {
    return Error(absl::InternalError("registry answered lists of the wrong length"));
  }
  const bool hash_ok = check.compose_hash_allowed(0);
  const bool device_ok = check.device_id_allowed(0) || check.allow_any_device();
  return Json(200, {{"app_contract_address", "0x" + HexPlain(cvm.cvm().app_id())},
                    {"compose_hash", HexPlain(*raw)},
                    {"device_id", HexPlain(*dev)},
                    {"compose_hash_allowed", hash_ok},
                    {"allow_any_device", check.allow_any_device()},
                    {"device_id_allowed", check.device_id_allowed(0)},
                    {"is_allowed", hash_ok && device_ok},
                    {"block_number", check.block_number()}});
}

}  // namespace chainkms::gateway::rest
