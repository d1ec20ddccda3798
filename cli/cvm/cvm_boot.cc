#include "cli/cvm/cvm_boot.h"

#include <grpcpp/grpcpp.h>

#include <set>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "lib/common/hex.h"
#include "lib/common/reason.h"
#include "lib/common/status_macros.h"
#include "lib/compose/app_compose.h"
#include "lib/crypto/hash.h"
#include "lib/crypto/random.h"
#include "lib/crypto/secp256k1.h"
#include "lib/crypto/x25519.h"
#include "lib/kms/env_crypt.h"
#include "lib/kms/sealed.h"
#include "lib/server/proto_fields.h"
#include "lib/server/status.h"
#include "nlohmann/json.hpp"

namespace chainkms::cvm {
namespace {

namespace pb = ::chainkms::v1;

using server::Raw;

// Dev measurements: stand-ins for MRTD/RTMRs, bound to what the node measured.
Hash32 DevRegister(std::string_view label, ByteView a, ByteView b) {
  return Sha256(Concat({AsBytes("chainkms-dev-mr:"), AsBytes(label), a, b}));
}

struct ComposeFacts {
  bool no_instance_id = false;
  std::string key_provider_id;  // hex, or ""
  std::set<std::string> allowed_envs;
};

absl::StatusOr<ComposeFacts> ReadCompose(std::string_view bytes) {
  nlohmann::json j = nlohmann::json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return absl::InvalidArgumentError("app-compose.json is not a JSON object");
  ComposeFacts f;
  if (auto it = j.find("no_instance_id"); it != j.end() && it->is_boolean()) {
    f.no_instance_id = it->get<bool>();
  }
  if (auto it = j.find("key_provider_id"); it != j.end() && it->is_string()) {
    f.key_provider_id = it->get<std::string>();
  }
  if (auto it = j.find("allowed_envs"); it != j.end()) {
    if (!it->is_array()) return absl::InvalidArgumentError("allowed_envs is not an array");
    for (const auto& e : *it) {
      if (!e.is_string()) return absl::InvalidArgumentError("allowed_envs holds a non-string");
      f.allowed_envs.insert(e.get<std::string>());
    }
  }
  return f;
}

// The key provider the CVM boots with: the compose's, else the KMS's root CA for the chain.
absl::StatusOr<std::string> KeyProvider(const ComposeFacts& f, uint64_t chain_id,
                                        pb::Kms::StubInterface& kms, absl::Duration timeout) {
  if (!f.key_provider_id.empty()) {
    ASSIGN_OR_RETURN(Bytes b,
                     HexDecode(f.key_provider_id, HexPrefix::kOptional, "key_provider_id"));
    return Raw(b);
  }
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  pb::GetMetaResponse meta;
  grpc::Status s = kms.GetMeta(&ctx, pb::GetMetaRequest(), &meta);
  if (!s.ok()) return server::FromGrpcStatus(s, "kms GetMeta");
  for (const auto& c : meta.chains()) {
    if (c.chain_id() == chain_id) return c.ca_public_key();
  }
  return absl::FailedPreconditionError(absl::StrCat("the KMS does not serve chain ", chain_id));
}

absl::Status ParseEnv(const SecretBytes& plaintext, const ComposeFacts& f, BootResult& r) {
  nlohmann::json j = nlohmann::json::parse(plaintext.view().begin(), plaintext.view().end(),
                                           nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("env") || !j["env"].is_array()) {
    return absl::InvalidArgumentError("the decrypted env is not {\"env\":[…]}");
  }
  for (auto& item : j["env"]) {
    if (!item.is_object() || !item.contains("key") || !item["key"].is_string() ||
        !item.contains("value") || !item["value"].is_string()) {
      return absl::InvalidArgumentError("an env item is not {\"key\":…,\"value\":…}");
    }
    std::string key = item["key"].get<std::string>();
    std::string& value = item["value"].get_ref<std::string&>();
    if (f.allowed_envs.contains(key)) {
      std::erase_if(r.env, [&](const EnvVar& e) { return e.key == key; });  // last one wins
      r.env.push_back({key, SecretBytes::FromView(AsBytes(value))});
    } else {
      r.dropped_env_keys.push_back(key);
    }
    std::fill(value.begin(), value.end(), '\0');
  }
  return absl::OkStatus();
}

}  // namespace

Address LocalInstanceId(std::string_view cvm_id) {
  const Hash32 h = Sha256(Concat({AsBytes("chainkms-local-instance:"), AsBytes(cvm_id)}));
  return *Address::TryFrom(h.view().subspan(0, 20));
}

absl::StatusOr<BootResult> BootCvm(const BootInputs& in, pb::Kms::StubInterface& kms,
                                   absl::Duration timeout) {
  BootResult r;
  r.compose_hash = compose::ComposeHash(in.app_compose);
  ASSIGN_OR_RETURN(ComposeFacts facts, ReadCompose(in.app_compose));
  r.instance_id = facts.no_instance_id ? Address() : in.instance_id;
  ASSIGN_OR_RETURN(std::string key_provider, KeyProvider(facts, in.chain_id, kms, timeout));

  SecretBytes recipient(32);
  SecureRandom(recipient.mut());
  const Hash32 recipient_pub =
      X25519PublicKey(std::span<const uint8_t, 32>(recipient.view().data(), 32));

  pb::GetAppKeyRequest req;
  req.set_chain_id(in.chain_id);
  req.set_recipient_public_key(Raw(recipient_pub));
  pb::DevAttestation* dev = req.mutable_dev();
  pb::AppBootInfo* boot = dev->mutable_boot_info();
  boot->set_app_id(Raw(in.app_id));
  boot->set_compose_hash(Raw(r.compose_hash));
  boot->set_instance_id(Raw(r.instance_id));
  boot->set_device_id(Raw(in.device_id));
  boot->set_mr_aggregated(
      Raw(DevRegister("aggregated", r.compose_hash.view(), in.os_image_hash.view())));
  boot->set_mr_system(Raw(DevRegister("system", AsBytes(key_provider), in.os_image_hash.view())));
  boot->set_os_image_hash(Raw(in.os_image_hash));
  boot->set_tcb_status("UpToDate");
  dev->set_key_provider_id(key_provider);
  dev->set_report_data(Raw(kms::KeyRequestReportData(recipient_pub)));

  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  pb::GetAppKeyResponse resp;
  grpc::Status s = kms.GetAppKey(&ctx, req, &resp);
  if (!s.ok()) {
    absl::StatusOr<server::DecodedDetails> d = server::DecodeStatusDetails(s.error_details());
    if (d.ok() && d->reason == ReasonName(Reason::kBootDenied)) {
      auto it = d->metadata.find("contract_reason");
      r.reason = absl::StrCat("Boot denied: ", it == d->metadata.end() || it->second.empty()
                                                   ? s.error_message()
                                                   : it->second);
      return r;
    }
    return server::FromGrpcStatus(s, "kms GetAppKey");
  }
  r.block_number = resp.block_number();
  ASSIGN_OR_RETURN(
      SecretBytes sealed_plain,
      kms::OpenSealed(recipient.view(), AsBytes(resp.sealed_keys()), in.app_id, in.chain_id));
  pb::AppKeys keys;
  if (!keys.ParseFromArray(sealed_plain.view().data(), static_cast<int>(sealed_plain.size()))) {
    return absl::InvalidArgumentError("the unsealed app keys do not parse");
  }
  absl::Cleanup wipe = [&keys] {
    for (std::string* k : {keys.mutable_disk_crypt_key(), keys.mutable_env_crypt_key(),
                           keys.mutable_k256_key(), keys.mutable_ca_key()}) {
      std::fill(k->begin(), k->end(), '\0');
    }
  };
  ASSIGN_OR_RETURN(Secp256k1PrivateKey app_key,
                   Secp256k1PrivateKey::FromBytes(AsBytes(keys.k256_key())));
  r.app_key_address = app_key.ToAddress();
  if (!in.encrypted_env.empty()) {
    ASSIGN_OR_RETURN(SecretBytes env_json,
                     kms::DecryptEnv(AsBytes(keys.env_crypt_key()), in.encrypted_env));
    RETURN_IF_ERROR(ParseEnv(env_json, facts, r));
  }
  r.allowed = true;
  return r;
}

}  // namespace chainkms::cvm
