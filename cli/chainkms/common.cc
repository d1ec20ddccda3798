#include "cli/chainkms/common.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cli/chainkms/flags.h"
#include "lib/common/hex.h"
#include "lib/crypto/secp256k1.h"
#include "lib/kms/derive.h"
#include "lib/kms/env_crypt.h"

namespace chainkms::cli {
namespace {

constexpr size_t kMaxEnvItems = 1024;
constexpr size_t kMaxEnvValue = size_t{128} * 1024;
constexpr size_t kMaxEnvTotal = size_t{1024} * 1024;

// KEY=VALUE (the key an env key, no path separators) rather than a file name.
bool IsKeyValue(std::string_view arg) {
  const size_t eq = arg.find('=');
  if (eq == std::string_view::npos) return false;
  const std::string_view key = arg.substr(0, eq);
  return key.find('/') == std::string_view::npos && key.find('\\') == std::string_view::npos &&
         IsEnvKey(key);
}

}  // namespace

void Context::Debug(const std::string& line) const {
  if (debug) err << "[debug] " << line << "\n";
}

int Context::Fail(const absl::Status& status) const {
  const std::string hint = HintOf(status);
  if (json) {
    nlohmann::json j = {{"success", false}, {"error", std::string(status.message())}};
    if (!hint.empty()) j["hint"] = hint;
    err << j.dump(2) << "\n";
  } else {
    err << "error: " << status.message() << "\n";
    if (!hint.empty()) err << "hint: " << hint << "\n";
  }
  return 1;
}

void Context::Json(const nlohmann::json& j) const { out << j.dump(2) << "\n"; }

absl::StatusOr<EnvList> CollectEnv(const std::vector<std::string>& values) {
  EnvList env;
  for (const std::string& v : values) {  // files first
    if (IsKeyValue(v)) continue;
    absl::StatusOr<std::string> text = ReadFileText(v);
    if (!text.ok()) {
      return WithHint(absl::NotFoundError(absl::StrCat("Environment file not found: ", v)),
                      "-e takes KEY=VALUE or the path of a .env file");
    }
    absl::StatusOr<EnvList> parsed = ParseDotenv(*text);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(v, ": ", parsed.status().message()));
    }
    for (auto& [k, val] : *parsed) SetEnv(env, std::move(k), std::move(val));
  }
  for (const std::string& v : values) {
    if (!IsKeyValue(v)) continue;
    const size_t eq = v.find('=');
    SetEnv(env, v.substr(0, eq), v.substr(eq + 1));
  }
  return env;
}

absl::StatusOr<std::string> EnvPlaintext(const EnvList& env) {
  if (env.size() > kMaxEnvItems) {
    return absl::InvalidArgumentError(
        absl::StrCat("too many env variables: ", env.size(), " (at most ", kMaxEnvItems, ")"));
  }
  nlohmann::json items = nlohmann::json::array();
  for (const auto& [k, v] : env) {
    if (v.size() > kMaxEnvValue) {
      return absl::InvalidArgumentError(
          absl::StrCat("the value of ", k, " is larger than 128 KiB"));
    }
    items.push_back({{"key", k}, {"value", v}});
  }
  std::string text = nlohmann::json{{"env", items}}.dump();
  if (text.size() > kMaxEnvTotal) {
    return absl::InvalidArgumentError("the env is larger than 1 MiB in all");
  }
  return text;
}

absl::StatusOr<Hash32> CheckEnvKeySignature(const Address& app_id,
                                            const std::string& public_key_hex,
                                            const std::string& signature_hex,
                                            ByteView kms_k256_pubkey) {
  absl::StatusOr<Hash32> pub = HexDecodeFixed<32>(public_key_hex, "public_key");
  absl::StatusOr<Bytes> sig = HexDecode(signature_hex);
  if (!pub.ok() || !sig.ok()) return absl::UnavailableError("the API answered a malformed env key");
  absl::StatusOr<RecoverableSignature> rs = RecoverableSignature::FromBytes(*sig);
  absl::StatusOr<Secp256k1PublicKey> signer =
      rs.ok() ? RecoverPublicKey(kms::EnvPublicKeyDigestLegacy(app_id, *pub), *rs)
              : absl::StatusOr<Secp256k1PublicKey>(rs.status());
  if (!signer.ok()) return absl::FailedPreconditionError("Invalid encryption public key signature");
  absl::StatusOr<Secp256k1PublicKey> k256 = Secp256k1PublicKey::Parse(kms_k256_pubkey);
  if (!k256.ok() || !(*k256 == *signer)) {
    return WithHint(
        absl::FailedPreconditionError("Encryption public key signature does not match KMS"),
        "the gateway's KMS is not the one the DstackKms contract names: do not send secrets to it");
  }
  return *pub;
}

absl::StatusOr<Hash32> VerifiedEnvPublicKey(const ApiClient& api, OnChain& chain,
                                            const std::string& kms_slug, const Address& app_id,
                                            const Context& ctx) {
  absl::StatusOr<nlohmann::json> got =
      api.Call("GET", absl::StrCat("/kms/", kms_slug, "/pubkey/", Hex0x(app_id.view())));
  if (!got.ok()) return got.status();
  if (!got->is_object() || !(*got)["public_key"].is_string() || !(*got)["signature"].is_string()) {
    return absl::UnavailableError("the API answered no public_key / signature for the env key");
  }
  absl::StatusOr<KmsInfo> info = chain.reader().GetKmsInfo();
  if (!info.ok()) {
    return absl::UnavailableError(
        absl::StrCat("cannot read kmsInfo() on chain: ", info.status().message()));
  }
  absl::StatusOr<Hash32> pub =
      CheckEnvKeySignature(app_id, (*got)["public_key"].get<std::string>(),
                           (*got)["signature"].get<std::string>(), info->k256_pubkey);
  if (!pub.ok()) return pub.status();
  ctx.Debug(absl::StrCat("env public key ", Hex0x(pub->view()),
                         " signed by the KMS k256 key on chain ", Hex0x(info->k256_pubkey)));
  return *pub;
}

absl::StatusOr<std::string> KmsSlugForChain(const ApiClient& api, uint64_t chain_id) {
  absl::StatusOr<nlohmann::json> list = api.Call("GET", "/kms");
  if (!list.ok()) return list.status();
  for (const nlohmann::json& k : V(*list, "items", nlohmann::json::array())) {
    if (chain_id == 0 || V(k, "chain_id", uint64_t{0}) == chain_id) return V(k, "slug", "");
  }
  return absl::NotFoundError(absl::StrCat("the gateway serves no KMS on chain ", chain_id));
}

absl::StatusOr<std::string> EncryptEnvHex(const Hash32& public_key, const EnvList& env) {
  absl::StatusOr<std::string> text = EnvPlaintext(env);
  if (!text.ok()) return text.status();
  absl::StatusOr<Bytes> sealed = kms::EncryptEnv(
      public_key, ByteView(reinterpret_cast<const uint8_t*>(text->data()), text->size()));
  std::fill(text->begin(), text->end(), '\0');
  if (!sealed.ok()) return sealed.status();
  return HexEncode(*sealed);
}

absl::StatusOr<nlohmann::json> WaitForRunning(const ApiClient& api, const std::string& cvm,
                                              std::optional<std::string> compose_hash,
                                              absl::Duration timeout, const Context& ctx) {
  const absl::Time deadline = absl::Now() + timeout;
  std::string last;
  auto pause = std::chrono::milliseconds(25);  // polling pace, not a sync: 25 ms growing to 1 s
  for (;;) {
    absl::StatusOr<nlohmann::json> got = api.Call("GET", absl::StrCat("/cvms/", cvm));
    if (!got.ok()) return got.status();
    const std::string status = V(*got, "status", "");
    const std::string hash = V(*got, "compose_hash", "");
    const bool right_hash = !compose_hash || absl::AsciiStrToLower(hash) == *compose_hash;
    if (status != last) {
      ctx.err << "CVM " << cvm << ": " << status << "\n";
      last = status;
    }
    if (status == "running" && right_hash) return got;
    if (status == "boot_failed" && right_hash) {
      std::string reason = V(*got, "status_reason", "");
      if (!reason.starts_with("Boot denied")) reason = absl::StrCat("Boot denied: ", reason);
      return WithHint(absl::FailedPreconditionError(reason),
                      "check the app's compose hashes and devices on chain (chainkms "
                      "check-prerequisites)");
    }
    if (absl::Now() >= deadline) {
      return WithHint(
          absl::DeadlineExceededError(absl::StrCat("CVM ", cvm, " is still ", status, " after ",
                                                   absl::FormatDuration(timeout))),
          "raise --wait-timeout, or follow it with chainkms cvms get");
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 3 / 2, std::chrono::milliseconds(1000));
  }
}

namespace {
const nlohmann::json* Find(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}
}  // namespace

std::string V(const nlohmann::json& j, const char* key, const char* def) {
  return V(j, key, std::string(def));
}
std::string V(const nlohmann::json& j, const char* key, const std::string& def) {
  const nlohmann::json* v = Find(j, key);
  return v != nullptr && v->is_string() ? v->get<std::string>() : def;
}
bool V(const nlohmann::json& j, const char* key, bool def) {
  const nlohmann::json* v = Find(j, key);
  return v != nullptr && v->is_boolean() ? v->get<bool>() : def;
}
uint64_t V(const nlohmann::json& j, const char* key, uint64_t def) {
  const nlohmann::json* v = Find(j, key);
  return v != nullptr && v->is_number_unsigned() ? v->get<uint64_t>() : def;
}
nlohmann::json V(const nlohmann::json& j, const char* key, const nlohmann::json& def) {
  const nlohmann::json* v = Find(j, key);
  return v != nullptr && v->type() == def.type() ? *v : def;
}

std::string With0x(const std::string& hex) {
  std::string s = absl::AsciiStrToLower(hex);
  return HasHexPrefix(s) ? s : "0x" + s;
}

absl::StatusOr<Address> AddressField(const nlohmann::json& j, const std::string& field) {
  const std::string& f = field;
  if (j.is_object() && j.contains(f) && j[f].is_string()) {
    if (auto a = HexDecodeFixed<20>(j[f].get<std::string>(), field); a.ok()) return *a;
  }
  return absl::UnavailableError(absl::StrCat("the API answered a malformed ", field));
}

absl::StatusOr<Hash32> HashField(const nlohmann::json& j, const std::string& field) {
  const std::string& f = field;
  if (j.is_object() && j.contains(f) && j[f].is_string()) {
    if (auto h = HexDecodeFixed<32>(j[f].get<std::string>(), field); h.ok()) return *h;
  }
  return absl::UnavailableError(absl::StrCat("the API answered a malformed ", field));
}

absl::StatusOr<absl::Duration> WaitTimeout(const Flags& flags) {
  absl::Duration d = absl::Minutes(5);
  if (std::optional<std::string> v = flags.Get("--wait-timeout")) {
    if (!absl::ParseDuration(*v, &d) || d <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError("--wait-timeout: a duration such as 90s or 5m");
    }
  }
  return d;
}

}  // namespace chainkms::cli
