#include "cli/chainkms/compose_cmd.h"

#include <map>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "cli/chainkms/flags.h"
#include "lib/common/hex.h"
#include "lib/compose/app_compose.h"
#include "nlohmann/json.hpp"

namespace chainkms::cli {
namespace {

constexpr char kUsage[] =
    "usage: chainkms compose hash -c docker-compose.yml [--name N] [--pre-launch-script F]\n"
    "         [--allowed-envs A,B] [--no-kms] [--no-gateway] [--private-logs] [--private-sysinfo]\n"
    "         [--private-tcbinfo] [--no-instance-id] [--secure-time] [--key-provider-id HEX]\n"
    "         [--storage-fs zfs|ext4] [--swap-size BYTES] [--json]\n"
    "       chainkms compose hash --app-compose app-compose.json [--normalize] [--json]\n";

constexpr const char* kValueFlags[] = {"-c",
                                       "--compose",
                                       "--name",
                                       "--pre-launch-script",
                                       "--allowed-envs",
                                       "--key-provider-id",
                                       "--storage-fs",
                                       "--swap-size",
                                       "--app-compose"};
constexpr const char* kBoolFlags[] = {"--no-kms",          "--no-gateway",      "--private-logs",
                                      "--private-sysinfo", "--private-tcbinfo", "--no-instance-id",
                                      "--secure-time",     "--normalize",       "--json"};

}  // namespace

int ComposeCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty() || args[0] != "hash") {
    err << kUsage;
    return 2;
  }
  std::map<std::string, std::string> v;
  std::map<std::string, bool> b;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& s = args[i];
    if (s == "-h" || s == "--help") {
      out << kUsage;
      return 0;
    }
    bool matched = false;
    for (const char* f : kBoolFlags) {
      if (s == f) b[f] = matched = true;
    }
    for (const char* f : kValueFlags) {
      const std::string name = f;
      if (matched) break;
      if (s.starts_with(name + "=")) {
        v[name == "--compose" ? "-c" : name] = s.substr(name.size() + 1);
        matched = true;
      } else if (s == name && i + 1 < args.size()) {
        v[name == "--compose" ? "-c" : name] = args[++i];
        matched = true;
      }
    }
    if (!matched) {
      err << "unknown or incomplete flag " << s << "\n" << kUsage;
      return 2;
    }
  }
  const bool from_file = v.contains("--app-compose");
  if (from_file == v.contains("-c")) {
    err << "give exactly one of -c docker-compose.yml or --app-compose app-compose.json\n"
        << kUsage;
    return 2;
  }
  absl::StatusOr<std::string> bytes;
  if (from_file) {
    absl::StatusOr<std::string> text = ReadFileText(v["--app-compose"]);
    if (!text.ok()) {
      err << "--app-compose: cannot read " << v["--app-compose"] << "\n";
      return 1;
    }
    bytes = compose::CanonicalAppCompose(*text, b["--normalize"]);
  } else {
    compose::AppComposeSpec spec;
    absl::StatusOr<std::string> yaml = ReadFileText(v["-c"]);
    if (!yaml.ok()) {
      err << "-c: cannot read " << v["-c"] << "\n";
      return 1;
    }
    spec.docker_compose_file = *yaml;
    spec.name = v.contains("--name") ? v["--name"] : "app";
    if (v.contains("--pre-launch-script")) {
      absl::StatusOr<std::string> script = ReadFileText(v["--pre-launch-script"]);
      if (!script.ok()) {
        err << "--pre-launch-script: cannot read " << v["--pre-launch-script"] << "\n";
        return 1;
      }
      spec.pre_launch_script = *script;
    }
    for (absl::string_view e : absl::StrSplit(v["--allowed-envs"], ',', absl::SkipEmpty())) {
      spec.allowed_envs.emplace_back(e);
    }
    spec.kms_enabled = !b["--no-kms"];
    spec.gateway_enabled = !b["--no-gateway"];
    spec.public_logs = !b["--private-logs"];
    spec.public_sysinfo = !b["--private-sysinfo"];
    spec.public_tcbinfo = !b["--private-tcbinfo"];
    spec.no_instance_id = b["--no-instance-id"];
    spec.secure_time = b["--secure-time"];
    spec.key_provider_id = v["--key-provider-id"];
    if (v.contains("--storage-fs")) spec.storage_fs = v["--storage-fs"];
    if (v.contains("--swap-size")) {
      uint64_t swap = 0;
      if (!absl::SimpleAtoi(v["--swap-size"], &swap)) {
        err << "--swap-size: \"" << v["--swap-size"] << "\" is not a number of bytes\n";
        return 1;
      }
      spec.swap_size = swap;
    }
    bytes = compose::BuildAppCompose(spec);
  }
  if (!bytes.ok()) {
    err << bytes.status().message() << "\n";
    return 1;
  }
  const std::string hash = HexEncode(compose::ComposeHash(*bytes).view(), true);
  if (b["--json"]) {
    out << nlohmann::json{{"compose_hash", hash}, {"app_compose", *bytes}}.dump() << "\n";
  } else {
    out << hash << "\n";
  }
  return 0;
}

}  // namespace chainkms::cli
