// app-compose.json: what a dstack CVM boots, built by chainkms from a compose file and options,
// and its compose hash = SHA-256 of exactly those bytes (DESIGN §5.2). The bytes returned here are
// the bytes to store and serve to the CVM (GetComposeFile); never re-serialize them.
//
//   AppComposeSpec spec{.name = "web", .docker_compose_file = yaml, .allowed_envs = {"API_KEY"}};
//   ASSIGN_OR_RETURN(std::string bytes, BuildAppCompose(spec));
//   Hash32 h = ComposeHash(bytes);
//
// What BuildAppCompose writes (docs/compose.md), keys sorted as deterministic_json.h does:
//   allowed_envs (as given), docker_compose_file, gateway_enabled (true), key_provider ("kms"),
//   key_provider_id ("" or the KMS root CA SPKI hex), kms_enabled (true),
//   local_key_provider_enabled (false), manifest_version (2), name, no_instance_id (false),
//   pre_launch_script (only when non-empty), public_logs (true), public_sysinfo (true),
//   public_tcbinfo (true), runner ("docker-compose"), secure_time (false), and storage_fs /
//   swap_size only when set.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/common/bytes.h"

namespace chainkms::compose {

inline constexpr size_t kMaxComposeBytes = size_t{200} * 1024;  // compose + pre-launch script

struct AppComposeSpec {
  std::string name;
  std::string docker_compose_file;
  std::string pre_launch_script;
  std::vector<std::string> allowed_envs;
  bool kms_enabled = true;
  bool gateway_enabled = true;
  bool public_logs = true;
  bool public_sysinfo = true;
  bool public_tcbinfo = true;
  bool no_instance_id = false;
  bool secure_time = false;
  std::string key_provider_id;            // lower-case hex of the KMS root CA SPKI DER, or ""
  std::optional<std::string> storage_fs;  // "zfs" | "ext4"
  std::optional<uint64_t> swap_size;      // bytes
};

// INVALID_ARGUMENT naming the field: a name that breaks the hostname rule (1–63 of [A-Za-z0-9-],
// no leading or trailing '-'), an empty compose file, compose + script over 200 KiB, text that is
// not UTF-8, an env name not matching ^[A-Za-z_][A-Za-z0-9_]*$ or given twice, a key provider id
// that is not lower-case hex, a storage_fs other than zfs or ext4.
absl::StatusOr<std::string> BuildAppCompose(const AppComposeSpec& spec);

// An app-compose.json someone else wrote, in its deterministic form, optionally normalized as the
// SDK's getComposeHash(…, normalize = true) does: drops docker_compose_file when runner is
// "bash", bash_script when runner is "docker-compose", and a falsy pre_launch_script. Must be a
// JSON object.
absl::StatusOr<std::string> CanonicalAppCompose(std::string_view json_text, bool normalize);

Hash32 ComposeHash(std::string_view app_compose_bytes);

// The hostname rule CVM and app names follow.
bool IsHostnameLabel(std::string_view name);

}  // namespace chainkms::compose
