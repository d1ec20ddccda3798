#include "cli/devnet/devnet_cli.h"

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "lib/chain/contracts.h"
#include "lib/chain/eth_rpc.h"
#include "lib/chain/reader.h"
#include "lib/chain/tx_manager.h"
#include "lib/common/hex.h"
#include "lib/common/status_macros.h"
#include "lib/eth/address.h"
#include "lib/jsonrpc/client.h"
#include "lib/jsonrpc/curl_transport.h"
#include "lib/testing/devnet.h"

namespace chainkms::devnet {
namespace {

constexpr char kUsage[] =
    "usage: chainkms-devnet bootstrap --rpc URL [--private-key HEX] [--out FILE]\n"
    "                                 [--k256-pubkey HEX --ca-pubkey HEX]   (kmsInfo to register;\n"
    "                                  chainkms-kms keys show --json prints both)\n"
    "       chainkms-devnet demo --rpc URL --devnet FILE [--private-key HEX]\n";
// anvil's first development account (public knowledge; for local chains only).
constexpr char kAnvilKey0[] = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

using Flags = std::map<std::string, std::string>;

absl::StatusOr<Flags> ParseFlags(const std::vector<std::string>& args, size_t from) {
  Flags flags;
  for (size_t i = from; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind("--", 0) != 0)
      return absl::InvalidArgumentError(absl::StrCat("unexpected '", a, "'"));
    if (auto eq = a.find('='); eq != std::string::npos) {
      flags[a.substr(2, eq - 2)] = a.substr(eq + 1);
    } else if (i + 1 < args.size()) {
      flags[a.substr(2)] = args[++i];
    } else {
      return absl::InvalidArgumentError(absl::StrCat(a, " needs a value"));
    }
  }
  return flags;
}

absl::StatusOr<std::string> Required(const Flags& f, const std::string& name) {
  auto it = f.find(name);
  if (it == f.end() || it->second.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("--", name, " is required"));
  }
  return it->second;
}

absl::StatusOr<std::shared_ptr<Signer>> DeployerSigner(const Flags& f) {
  std::string hex = kAnvilKey0;
  if (auto it = f.find("private-key"); it != f.end()) {
    hex = it->second;
  } else if (const char* env = std::getenv("CHAINKMS_DEVNET_PRIVATE_KEY"); env && *env) {
    hex = env;
  }
  ASSIGN_OR_RETURN(Hash32 raw, HexDecodeFixed<32>(hex, "private key"));
  ASSIGN_OR_RETURN(Secp256k1PrivateKey key, Secp256k1PrivateKey::FromBytes(raw.view()));
  SecureWipe(raw.mut());
  return std::make_shared<LocalKeySigner>(std::move(key));
}

struct Session {
  std::unique_ptr<JsonRpcClient> rpc;
  std::unique_ptr<TxManager> txm;
  std::shared_ptr<Signer> signer;
};

absl::StatusOr<Session> Connect(const Flags& f) {
  ASSIGN_OR_RETURN(std::string url, Required(f, "rpc"));
  Session s;
  s.rpc = std::make_unique<JsonRpcClient>(
      std::make_shared<CurlTransport>(CurlTransport::Options{.url = url}));
  ASSIGN_OR_RETURN(uint64_t chain_id, eth_rpc::ChainId(*s.rpc));
  s.txm = std::make_unique<TxManager>(*s.rpc, chain_id, SystemClock::Get(),
                                      TxManagerOptions{.poll_interval = absl::Milliseconds(100)});
  ASSIGN_OR_RETURN(s.signer, DeployerSigner(f));
  return s;
}

absl::Status Bootstrap(const Flags& f) {
  ASSIGN_OR_RETURN(Session s, Connect(f));
  testutil::DevnetOptions options;
  options.gateway_app_id = "chainkms-devnet-gateway";
  // The KMS root keys to register (chainkms-kms keys show): both or neither.
  const bool k256 = f.contains("k256-pubkey"), ca = f.contains("ca-pubkey");
  if (k256 != ca) return absl::InvalidArgumentError("--k256-pubkey and --ca-pubkey go together");
  if (k256) {
    ASSIGN_OR_RETURN(options.kms_info.k256_pubkey, HexDecode(f.at("k256-pubkey")));
    ASSIGN_OR_RETURN(options.kms_info.ca_pubkey, HexDecode(f.at("ca-pubkey")));
    if (options.kms_info.k256_pubkey.size() != 33) {
      return absl::InvalidArgumentError("--k256-pubkey: a 33-byte compressed key");
    }
  }
  ASSIGN_OR_RETURN(
      testutil::Devnet net,
      testutil::DeployDevnet(*s.rpc, *s.txm, s.signer, options, [](std::string_view line) {
        std::cerr << "devnet: " << line << "\n";
      }));
  const std::string json = net.ToJson().dump(2) + "\n";
  if (auto it = f.find("out"); it != f.end()) {
    std::ofstream out(it->second);
    out << json;
    if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", it->second));
    std::cerr << "devnet: addresses written to " << it->second << "\n";
  } else {
    std::cout << json;
  }
  return absl::OkStatus();
}

absl::StatusOr<Address> JsonAddressField(const nlohmann::json& j, const char* field) {
  if (!j.contains(field) || !j[field].is_string()) {
    return absl::InvalidArgumentError(absl::StrCat("devnet file: missing ", field));
  }
  return ParseAddress(j[field].get<std::string>(), field);
}

absl::Status Demo(const Flags& f) {
  ASSIGN_OR_RETURN(std::string path, Required(f, "devnet"));
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  const auto j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (!in || j.is_discarded())
    return absl::InvalidArgumentError(absl::StrCat("cannot read ", path));
  ASSIGN_OR_RETURN(Address kms, JsonAddressField(j, "dstackKms"));
  ASSIGN_OR_RETURN(Session s, Connect(f));

  // The compose hash of DESIGN §5.2's vector and a device id, registered at deployment.
  ASSIGN_OR_RETURN(
      Hash32 hash,
      ParseHash32("0x6148eabae40413a5c15aeab33343e7a219edc0cda2c2556add9a96ec76d61b11"));
  Hash32 device;
  device[31] = 0x01;
  AppPolicyInit init{.owner = s.signer->address(), .device_id = device, .compose_hash = hash};
  ASSIGN_OR_RETURN(Receipt r, testutil::SendAndWait(*s.txm, s.signer, kms,
                                                    dstack_kms::DeployAndRegisterApp(init)));
  std::optional<Address> app;
  for (const auto& e : r.EventsFrom(kms)) {
    if (auto* d = std::get_if<AppDeployedViaFactory>(&e)) app = d->app_id;
  }
  if (!app) return absl::InternalError("no AppDeployedViaFactory event in the receipt");
  std::cout << "app deployed through DstackKms: " << ToChecksumAddress(*app) << " (tx "
            << Hex0x(r.transaction_hash) << ", block " << r.block_number << ")\n";

  ChainReader reader(*s.rpc, ChainReaderConfig{.kms = kms});
  Hash32 other;
  other[0] = 0xee;
  const std::vector<Hash32> devices = {device, other};
  const std::vector<Hash32> hashes = {hash, other};
  ASSIGN_OR_RETURN(Prerequisites p, reader.CheckPrerequisites(*app, devices, hashes));
  std::cout << "prerequisites at block " << p.block.number
            << " (one eth_call through Multicall3):\n"
            << "  allowAnyDevice=" << p.allow_any_device << "\n"
            << "  device " << Hex0x(device) << " allowed=" << p.device_allowed[0] << "\n"
            << "  device " << Hex0x(other) << " allowed=" << p.device_allowed[1] << "\n"
            << "  compose hash " << Hex0x(hash) << " allowed=" << p.compose_hash_allowed[0] << "\n"
            << "  compose hash " << Hex0x(other) << " allowed=" << p.compose_hash_allowed[1]
            << "\n";

  AppBootInfo boot{.app_id = *app,
                   .compose_hash = hash,
                   .device_id = device,
                   .os_image_hash = testutil::DevnetOptions::DefaultOsImageHash(),
                   .tcb_status = "UpToDate"};
  ASSIGN_OR_RETURN(AllowDecision yes, reader.IsAppAllowed(boot));
  boot.compose_hash = other;
  ASSIGN_OR_RETURN(AllowDecision no, reader.IsAppAllowed(boot));
  std::cout << "DstackKms.isAppAllowed(registered hash) = " << (yes.allowed ? "true" : "false")
            << " at block " << yes.block.number << "\n"
            << "DstackKms.isAppAllowed(other hash) = " << (no.allowed ? "true" : "false") << " \""
            << no.reason << "\"\n";
  if (!yes.allowed || no.allowed || !p.compose_hash_allowed[0] || p.compose_hash_allowed[1]) {
    return absl::InternalError("the chain did not answer as the policy says");
  }
  return absl::OkStatus();
}

}  // namespace

int RunDevnetCli(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  auto flags = ParseFlags(args, 1);
  absl::Status st;
  if (!flags.ok()) {
    st = flags.status();
  } else if (args[0] == "bootstrap") {
    st = Bootstrap(*flags);
  } else if (args[0] == "demo") {
    st = Demo(*flags);
  } else {
    st = absl::InvalidArgumentError(absl::StrCat("unknown command '", args[0], "'; try --help"));
  }
  if (!st.ok()) {
    std::cerr << "Error: " << st.message() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace chainkms::devnet
