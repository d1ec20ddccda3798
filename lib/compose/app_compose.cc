#include "lib/compose/app_compose.h"

#include <cmath>
#include <set>

#include "absl/strings/str_cat.h"
#include "lib/common/status_macros.h"
#include "lib/compose/deterministic_json.h"
#include "lib/crypto/hash.h"
#include "nlohmann/json.hpp"

namespace chainkms::compose {
namespace {

using nlohmann::json;

absl::Status Bad(std::string_view field, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": ", std::string(what)));
}

bool ValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if ((c >> 5) == 0x6) {
      n = 2;
      cp = c & 0x1f;
    } else if ((c >> 4) == 0xe) {
      n = 3;
      cp = c & 0x0f;
    } else if ((c >> 3) == 0x1e) {
      n = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d >> 6) != 0x2) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    i += n;
  }
  return true;
}

bool IsEnvName(std::string_view s) {
  if (s.empty()) return false;
  auto alpha = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
  if (!alpha(s[0])) return false;
  return std::all_of(s.begin(), s.end(),
                     [&](char c) { return alpha(c) || (c >= '0' && c <= '9'); });
}

// JavaScript truthiness of a JSON value.
bool Falsy(const json& v) {
  if (v.is_null()) return true;
  if (v.is_boolean()) return !v.get<bool>();
  if (v.is_string()) return v.get_ref<const std::string&>().empty();
  if (v.is_number()) {
    const double d = v.get<double>();
    return d == 0 || std::isnan(d);
  }
  return false;  // objects and arrays are truthy
}

}  // namespace

bool IsHostnameLabel(std::string_view name) {
  if (name.empty() || name.size() > 63 || name.front() == '-' || name.back() == '-') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
  });
}

absl::StatusOr<std::string> BuildAppCompose(const AppComposeSpec& spec) {
  if (!IsHostnameLabel(spec.name)) {
    return Bad("name", "1 to 63 letters, digits or '-', not starting or ending with '-'");
  }
  if (spec.docker_compose_file.empty()) return Bad("docker_compose_file", "required");
  if (spec.docker_compose_file.size() + spec.pre_launch_script.size() > kMaxComposeBytes) {
    return Bad("docker_compose_file", "compose file and pre-launch script exceed 200 KiB");
  }
  if (!ValidUtf8(spec.docker_compose_file)) return Bad("docker_compose_file", "not UTF-8");
  if (!ValidUtf8(spec.pre_launch_script)) return Bad("pre_launch_script", "not UTF-8");
  std::set<std::string> seen;
  for (const std::string& e : spec.allowed_envs) {
    if (!IsEnvName(e)) return Bad("allowed_envs", absl::StrCat("\"", e, "\" is not an env name"));
    if (!seen.insert(e).second) return Bad("allowed_envs", absl::StrCat("\"", e, "\" given twice"));
  }
  for (char c : spec.key_provider_id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return Bad("key_provider_id", "lower-case hex of the KMS root CA's SubjectPublicKeyInfo");
    }
  }
  if (spec.key_provider_id.size() % 2 != 0) return Bad("key_provider_id", "odd number of digits");
  if (spec.storage_fs && *spec.storage_fs != "zfs" && *spec.storage_fs != "ext4") {
    return Bad("storage_fs", "zfs or ext4");
  }
  json j = {{"manifest_version", 2},
            {"name", spec.name},
            {"runner", "docker-compose"},
            {"docker_compose_file", spec.docker_compose_file},
            {"kms_enabled", spec.kms_enabled},
            {"gateway_enabled", spec.gateway_enabled},
            {"local_key_provider_enabled", false},
            {"key_provider", "kms"},
            {"key_provider_id", spec.key_provider_id},
            {"allowed_envs", spec.allowed_envs},
            {"public_logs", spec.public_logs},
            {"public_sysinfo", spec.public_sysinfo},
            {"public_tcbinfo", spec.public_tcbinfo},
            {"no_instance_id", spec.no_instance_id},
            {"secure_time", spec.secure_time}};
  if (!spec.pre_launch_script.empty()) j["pre_launch_script"] = spec.pre_launch_script;
  if (spec.storage_fs) j["storage_fs"] = *spec.storage_fs;
  if (spec.swap_size) j["swap_size"] = *spec.swap_size;
  return DeterministicJson(j);
}

absl::StatusOr<std::string> CanonicalAppCompose(std::string_view json_text, bool normalize) {
  ASSIGN_OR_RETURN(json j, ParseStrictJson(json_text, "app-compose"));
  if (!j.is_object()) return Bad("app-compose", "not a JSON object");
  if (normalize) {
    const json runner = j.contains("runner") ? j["runner"] : json();
    if (runner == "bash" && j.contains("docker_compose_file")) {
      j.erase("docker_compose_file");
    } else if (runner == "docker-compose" && j.contains("bash_script")) {
      j.erase("bash_script");
    }
    if (j.contains("pre_launch_script") && Falsy(j["pre_launch_script"])) {
      j.erase("pre_launch_script");
    }
  }
  return DeterministicJson(j);
}

Hash32 ComposeHash(std::string_view app_compose_bytes) {
  return Sha256(AsBytes(app_compose_bytes));
}

}  // namespace chainkms::compose
