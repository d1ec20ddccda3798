#include <cstdio>
#include <exception>
#include <iostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "cli/eth/commands.h"

namespace chainkms::cli {
namespace {

constexpr std::string_view kVersion = "0.1.0";

// The one place an error becomes output: a single `Error: ...` line on stderr, exit 1.
int ReportError(const absl::Status& status) {
  std::string msg(status.message());
  for (char& c : msg) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  std::cerr << "Error: " << msg << "\n";
  return 1;
}

std::string Usage() {
  std::string out =
      "chainkms-eth: offline Ethereum toolbox (cast-compatible output)\n\n"
      "Usage: chainkms-eth <COMMAND> [ARGS]...\n\nCommands:\n";
  for (const Command& c : AllCommands()) {
    std::string name(c.name);
    name.resize(std::max<size_t>(name.size() + 2, 24), ' ');
    out += absl::StrCat("  ", name, std::string(c.summary), "\n");
  }
  out +=
      "\nOptions:\n  -h, --help     Print this help\n  -V, --version  Print version\n"
      "      --json     JSON output for the decode commands\n";
  return out;
}

}  // namespace

const std::vector<Command>& AllCommands() {
  static const std::vector<Command>* commands = [] {
    auto* v = new std::vector<Command>();
    AddMiscCommands(*v);
    AddAbiCommands(*v);
    AddWalletCommands(*v);
    AddTxCommands(*v);
    return v;
  }();
  return *commands;
}

int RunCli(const std::vector<std::string>& raw_argv) {
  try {
    // --json is global: `chainkms-eth --json decode-abi ...` means the same as after the command.
    std::vector<std::string> argv = raw_argv;
    bool json = false;
    while (!argv.empty() && argv[0] == "--json") {
      json = true;
      argv.erase(argv.begin());
    }
    if (argv.empty()) {
      std::cerr << "Error: no command given; try --help\n";
      return 2;
    }
    const std::string& first = argv[0];
    if (first == "-h" || first == "--help" || first == "help") {
      std::cout << Usage();
      return 0;
    }
    if (first == "-V" || first == "--version") {
      std::cout << "chainkms-eth Version: " << kVersion << "\n";
      return 0;
    }
    const Command* found = nullptr;
    size_t consumed = 1;
    for (const Command& c : AllCommands()) {
      const std::string_view name = c.name;
      const size_t space = name.find(' ');
      if (space == std::string_view::npos) {
        if (name == first) found = &c;
      } else if (name.substr(0, space) == first && argv.size() > 1 &&
                 name.substr(space + 1) == argv[1]) {
        found = &c;
        consumed = 2;
      }
      if (found) break;
    }
    if (!found) {
      if (first == "wallet") return ReportError(absl::InvalidArgumentError(
          "wallet needs a subcommand: address or sign"));
      return ReportError(absl::InvalidArgumentError(
          absl::StrCat("unknown command '", first, "'; try --help")));
    }
    std::vector<std::string> rest(argv.begin() + static_cast<long>(consumed), argv.end());
    if (json) rest.insert(rest.begin(), "--json");
    auto args = ParseArgs(rest, found->spec);
    if (!args.ok()) return ReportError(args.status());
    if (args->Has("--help")) {
      std::cout << "Usage: chainkms-eth " << found->spec.usage << "\n\n" << found->summary << "\n";
      return 0;
    }
    auto out = found->run(*args);
    if (!out.ok()) return ReportError(out.status());
    std::cout << *out;
    std::cout.flush();
    return std::cout.good() ? 0 : 1;
  } catch (const std::exception& e) {
    return ReportError(absl::InternalError(e.what()));
  } catch (...) {
    return ReportError(absl::InternalError("unexpected failure"));
  }
}

}  // namespace chainkms::cli
