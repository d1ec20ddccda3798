#include "cli/chainkms/chainkms_cli.h"

#include <iostream>
#include <string>
#include <vector>

#include "cli/chainkms/app_cmds.h"
#include "cli/chainkms/compose_cmd.h"
#include "cli/chainkms/deploy_cmd.h"

namespace chainkms::cli {
namespace {

constexpr char kUsage[] =
    "usage: chainkms <command> [flags]   (chainkms <command> --help for its flags)\n"
    "  deploy                 new CVM, update, --prepare-only, --commit (on-chain KMS)\n"
    "  allow-devices          list|add|remove|allow-any|disallow-any devices of an app\n"
    "  check-prerequisites    is a CVM's compose hash and device allowed on chain?\n"
    "  envs encrypt           encrypt env variables for a CVM (key verified on chain)\n"
    "  kms pubkey|list        an app's env encryption public key; the KMSes\n"
    "  cvms list|get          your CVMs\n"
    "  webhooks               create|list|rotate workspace webhooks\n"
    "  compose hash           the compose hash of an app (offline)\n"
    "API: --api-url / CHAINKMS_API_URL, --api-key / CHAINKMS_API_KEY, or a profile in\n"
    "     ~/.config/chainkms/config.toml (--profile / CHAINKMS_PROFILE)\n";

using Command = int (*)(const std::vector<std::string>&, std::ostream&, std::ostream&);

struct Entry {
  const char* name;
  Command run;
};

constexpr Entry kCommands[] = {
    {"deploy", DeployCommand},
    {"allow-devices", AllowDevicesCommand},
    {"check-prerequisites", CheckPrerequisitesCommand},
    {"envs", EnvsCommand},
    {"kms", KmsCommand},
    {"cvms", CvmsCommand},
    {"webhooks", WebhooksCommand},
    {"compose", ComposeCommand},
};

}  // namespace

int Run(int argc, char** argv, std::ostream& out, std::ostream& err) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "-h" || args[0] == "--help") {
    (args.empty() ? err : out) << kUsage;
    return args.empty() ? 2 : 0;
  }
  for (const Entry& e : kCommands) {
    if (args[0] == e.name)
      return e.run(std::vector<std::string>(args.begin() + 1, args.end()), out, err);
  }
  err << "chainkms: unknown command " << args[0] << " (try --help)\n";
  return 2;
}

int Main(int argc, char** argv) { return Run(argc, argv, std::cout, std::cerr); }

}  // namespace chainkms::cli
