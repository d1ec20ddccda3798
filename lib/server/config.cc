#include "lib/server/config.h"

#include <cctype>
#include <charconv>
#include <cstdlib>
#include <map>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/common/status_macros.h"

namespace chainkms::server {

struct FlagSet::Flag {
  std::string name;
  std::string help;
  std::string default_text;
  bool is_bool = false;
  // Parses and validates text; on success stores it. Errors carry only the sentence tail.
  std::function<absl::Status(const std::string&)> set_from_text;
  std::function<absl::Status()> validate_default;
};

namespace {

template <typename T>
absl::Status RunValidator(const Validator<T>& validator, const T& value) {
  return validator ? validator(value) : absl::OkStatus();
}

absl::Status Tail(std::string_view message) {
  return absl::InvalidArgumentError(std::string(message));
}

}  // namespace

FlagSet::FlagSet(std::string summary) : summary_(std::move(summary)) {}
FlagSet::~FlagSet() = default;

std::string FlagSet::EnvName(std::string_view flag_name) {
  std::string env = "CHAINKMS_";
  for (char c : flag_name) {
    env += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return env;
}

void FlagSet::AddString(std::string name, std::string* target, std::string default_value,
                        std::string help, Validator<std::string> validator) {
  *target = default_value;
  auto flag = std::make_unique<Flag>();
  flag->name = std::move(name);
  flag->help = std::move(help);
  flag->default_text = default_value;
  flag->set_from_text = [target, validator](const std::string& text) {
    RETURN_IF_ERROR(RunValidator(validator, text));
    *target = text;
    return absl::OkStatus();
  };
  flag->validate_default = [validator, default_value] {
    return RunValidator(validator, default_value);
  };
  flags_.push_back(std::move(flag));
}

void FlagSet::AddInt(std::string name, int64_t* target, int64_t default_value, std::string help,
                     Validator<int64_t> validator) {
  *target = default_value;
  auto flag = std::make_unique<Flag>();
  flag->name = std::move(name);
  flag->help = std::move(help);
  flag->default_text = std::to_string(default_value);
  flag->set_from_text = [target, validator](const std::string& text) {
    int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
      return Tail("is not an integer");
    }
    RETURN_IF_ERROR(RunValidator(validator, value));
    *target = value;
    return absl::OkStatus();
  };
  flag->validate_default = [validator, default_value] {
    return RunValidator(validator, default_value);
  };
  flags_.push_back(std::move(flag));
}

void FlagSet::AddBool(std::string name, bool* target, bool default_value, std::string help) {
  *target = default_value;
  auto flag = std::make_unique<Flag>();
  flag->name = std::move(name);
  flag->help = std::move(help);
  flag->default_text = default_value ? "true" : "false";
  flag->is_bool = true;
  flag->set_from_text = [target](const std::string& text) {
    std::string lower = absl::AsciiStrToLower(text);
    if (lower == "true" || lower == "1" || lower == "yes") {
      *target = true;
    } else if (lower == "false" || lower == "0" || lower == "no") {
      *target = false;
    } else {
      return Tail("is not true or false");
    }
    return absl::OkStatus();
  };
  flag->validate_default = [] { return absl::OkStatus(); };
  flags_.push_back(std::move(flag));
}

void FlagSet::AddDuration(std::string name, absl::Duration* target, absl::Duration default_value,
                          std::string help, Validator<absl::Duration> validator) {
  *target = default_value;
  auto flag = std::make_unique<Flag>();
  flag->name = std::move(name);
  flag->help = std::move(help);
  flag->default_text = absl::FormatDuration(default_value);
  flag->set_from_text = [target, validator](const std::string& text) {
    absl::Duration value;
    if (!absl::ParseDuration(text, &value)) return Tail("is not a duration like 10s or 500ms");
    RETURN_IF_ERROR(RunValidator(validator, value));
    *target = value;
    return absl::OkStatus();
  };
  flag->validate_default = [validator, default_value] {
    return RunValidator(validator, default_value);
  };
  flags_.push_back(std::move(flag));
}

absl::StatusOr<ParseOutcome> FlagSet::Parse(int argc, const char* const* argv,
                                            const EnvLookup& env) {
  std::map<std::string, Flag*, std::less<>> by_name;
  for (auto& flag : flags_) by_name[flag->name] = flag.get();

  std::map<std::string, std::string, std::less<>> from_args;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") return ParseOutcome::kHelp;
    if (arg.substr(0, 2) != "--" || arg.size() == 2) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument \"", std::string(arg),
                                                     "\" (flags look like --name=value)"));
    }
    std::string_view body = arg.substr(2);
    std::string_view name = body;
    std::optional<std::string> value;
    if (size_t eq = body.find('='); eq != std::string_view::npos) {
      name = body.substr(0, eq);
      value = std::string(body.substr(eq + 1));
    }
    auto it = by_name.find(name);
    if (it == by_name.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", std::string(name), ": unknown flag (see --help)"));
    }
    if (!value.has_value()) {
      if (it->second->is_bool) {
        value = "true";
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("--", std::string(name), ": needs a value (", EnvName(name), ")"));
      }
    }
    from_args[std::string(name)] = *std::move(value);
  }

  for (auto& flag : flags_) {
    std::string env_name = EnvName(flag->name);
    std::optional<std::string> text;
    if (auto it = from_args.find(flag->name); it != from_args.end()) {
      text = it->second;
    } else {
      text = env(env_name);
    }
    absl::Status status = text.has_value() ? flag->set_from_text(*text) : flag->validate_default();
    if (!status.ok()) {
      const std::string& shown = text.has_value() ? *text : flag->default_text;
      return absl::InvalidArgumentError(absl::StrCat("--", flag->name, ": \"", shown, "\" ",
                                                     status.message(), " (", env_name, ")"));
    }
  }
  return ParseOutcome::kRun;
}

std::string FlagSet::Help() const {
  std::string out = absl::StrCat(summary_,
                                 "\n\nFlags (each also read from its environment variable;"
                                 " a flag wins over the environment):\n");
  for (const auto& flag : flags_) {
    absl::StrAppend(&out, "  --", flag->name, flag->is_bool ? "" : "=VALUE", "  [",
                    EnvName(flag->name), "]\n      ", flag->help, " (default: \"",
                    flag->default_text, "\")\n");
  }
  return out;
}

absl::StatusOr<std::pair<std::string, int>> SplitHostPort(std::string_view address) {
  std::string_view host;
  std::string_view port;
  if (!address.empty() && address.front() == '[') {
    size_t close = address.find(']');
    if (close == std::string_view::npos || close + 1 >= address.size() ||
        address[close + 1] != ':') {
      return Tail("is not host:port");
    }
    host = address.substr(1, close - 1);
    port = address.substr(close + 2);
  } else {
    size_t colon = address.rfind(':');
    if (colon == std::string_view::npos) return Tail("is not host:port");
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return Tail("is not host:port");
  }
  if (host.empty()) return Tail("is not host:port");
  for (char c : host) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != ':' &&
        c != '_') {
      return Tail("is not host:port");
    }
  }
  int port_number = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), port_number);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || port_number < 0 ||
      port_number > 65535) {
    return Tail("is not host:port");
  }
  return std::make_pair(std::string(host), port_number);
}

Validator<std::string> IsHostPort() {
  return [](const std::string& value) { return SplitHostPort(value).status(); };
}

Validator<std::string> IsHostPortOrEmpty() {
  return [](const std::string& value) {
    return value.empty() ? absl::OkStatus() : SplitHostPort(value).status();
  };
}

Validator<std::string> OneOf(std::vector<std::string> allowed) {
  return [allowed = std::move(allowed)](const std::string& value) {
    for (const auto& a : allowed) {
      if (a == value) return absl::OkStatus();
    }
    return Tail(absl::StrCat("is not one of ", absl::StrJoin(allowed, ", ")));
  };
}

Validator<std::string> NonEmpty() {
  return [](const std::string& value) {
    return value.empty() ? Tail("must not be empty") : absl::OkStatus();
  };
}

Validator<int64_t> InRange(int64_t min, int64_t max) {
  return [min, max](const int64_t& value) {
    if (value < min || value > max) return Tail(absl::StrCat("is not in [", min, ", ", max, "]"));
    return absl::OkStatus();
  };
}

Validator<absl::Duration> NonNegativeDuration() {
  return [](const absl::Duration& value) {
    return value < absl::ZeroDuration() ? Tail("must not be negative") : absl::OkStatus();
  };
}

void RegisterServerFlags(FlagSet& flags, ServerConfig* config, const ServerConfig& defaults) {
  flags.AddString("listen", &config->listen, defaults.listen,
                  "gRPC listen address host:port (port 0 picks a free port)", IsHostPort());
  flags.AddString("metrics-listen", &config->metrics_listen, defaults.metrics_listen,
                  "Prometheus /metrics listen address host:port; empty disables it",
                  IsHostPortOrEmpty());
  flags.AddInt("max-concurrent-rpcs", &config->max_concurrent_rpcs, defaults.max_concurrent_rpcs,
               "unary RPCs in flight before new ones are shed with RESOURCE_EXHAUSTED",
               InRange(1, 1'000'000));
  flags.AddInt("max-concurrent-streams", &config->max_concurrent_streams,
               defaults.max_concurrent_streams,
               "server streams open before new ones are shed (counted apart from unary RPCs)",
               InRange(1, 1'000'000));
  flags.AddString("log-level", &config->log_level, defaults.log_level,
                  "least severe log level written: debug, info, warn, error",
                  OneOf({"debug", "info", "warn", "error"}));
  flags.AddDuration("shutdown-grace", &config->shutdown_grace, defaults.shutdown_grace,
                    "on SIGTERM, how long in-flight RPCs may finish before being cancelled",
                    NonNegativeDuration());
}

ServerConfig TestServerConfig() {
  ServerConfig config;
  config.listen = "127.0.0.1:0";
  config.metrics_listen = "127.0.0.1:0";
  config.shutdown_grace = absl::Seconds(2);
  return config;
}

}  // namespace chainkms::server
