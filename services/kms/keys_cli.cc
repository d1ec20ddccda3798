#include "services/kms/keys_cli.h"

#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "chainkms/v1/registry.pb.h"
#include "google/protobuf/util/json_util.h"
#include "lib/chain/contracts.h"
#include "lib/common/hex.h"
#include "lib/kms/audit.h"
#include "lib/kms/root_keys.h"
#include "nlohmann/json.hpp"
#include "services/kms/attestation_cli.h"

namespace chainkms::kms {
namespace {

constexpr char kUsage[] =
    "usage:\n"
    "  chainkms-kms keys init --dir D\n"
    "  chainkms-kms keys show --dir D [--chain-id N] [--json]\n"
    "  chainkms-kms audit verify FILE [--json]\n"
    "  chainkms-kms attestation verify --quote F [--collateral C] [--event-log E] [--at TIME] "
    "[--json]\n";

struct Args {
  std::string dir;
  uint64_t chain_id = 0;
  bool json = false;
  std::vector<std::string> positional;
};

std::optional<Args> Parse(const std::vector<std::string>& in, std::ostream& err) {
  Args a;
  for (size_t i = 0; i < in.size(); ++i) {
    const std::string& s = in[i];
    auto value = [&](std::string_view name) -> std::optional<std::string> {
      if (s.starts_with(absl::StrCat(std::string(name), "="))) return s.substr(name.size() + 1);
      if (s == name && i + 1 < in.size()) return in[++i];
      return std::nullopt;
    };
    if (s == "--json") {
      a.json = true;
    } else if (std::optional<std::string> d = value("--dir")) {
      a.dir = *d;
    } else if (std::optional<std::string> c = value("--chain-id")) {
      if (!absl::SimpleAtoi(*c, &a.chain_id) || a.chain_id == 0) {
        err << "--chain-id: \"" << *c << "\" is not a chain id\n";
        return std::nullopt;
      }
    } else if (s.starts_with("-")) {
      err << "unknown or incomplete flag " << s << "\n" << kUsage;
      return std::nullopt;
    } else {
      a.positional.push_back(s);
    }
  }
  return a;
}

int KeysInit(const Args& a, std::ostream& out, std::ostream& err, absl::Time now) {
  if (a.dir.empty()) {
    err << "keys init: --dir is required\n";
    return 2;
  }
  absl::StatusOr<RootKeys> keys = InitKeyDir(a.dir, now);
  if (!keys.ok()) {
    err << "keys init: " << keys.status().message() << "\n";
    return 1;
  }
  out << "created " << a.dir << "/{" << kRootCaKeyFile << "," << kRootK256KeyFile << ","
      << kRootCaCertFile << "}\n"
      << "k256 public key: " << Hex0x(keys->K256PublicKey().view()) << "\n"
      << "register it on chain: chainkms-kms keys show --dir " << a.dir << "\n";
  return 0;
}

int KeysShow(const Args& a, std::ostream& out, std::ostream& err) {
  if (a.dir.empty()) {
    err << "keys show: --dir is required\n";
    return 2;
  }
  absl::StatusOr<RootKeys> keys = LoadKeyDir(a.dir);
  if (!keys.ok()) {
    err << "keys show: " << keys.status().message() << "\n";
    return 1;
  }
  const KmsInfo info = keys->OnChainInfo();
  chainkms::v1::PrepareTransactionRequest prepare;
  prepare.set_chain_id(a.chain_id);
  chainkms::v1::KmsInfo* pb_info = prepare.add_actions()->mutable_set_kms_info();
  pb_info->set_k256_pubkey(std::string(info.k256_pubkey.begin(), info.k256_pubkey.end()));
  pb_info->set_ca_pubkey(std::string(info.ca_pubkey.begin(), info.ca_pubkey.end()));
  std::string prepare_json;
  (void)google::protobuf::util::MessageToJsonString(prepare, &prepare_json);
  const std::string calldata = Hex0x(dstack_kms::SetKmsInfo(info));
  if (a.json) {
    nlohmann::ordered_json j;
    j["k256_public_key"] = Hex0x(info.k256_pubkey);
    j["ca_public_key_spki_der"] = Hex0x(info.ca_pubkey);
    j["set_kms_info_calldata"] = calldata;
    j["prepare_transaction_request"] = nlohmann::ordered_json::parse(prepare_json);
    out << j.dump(2) << "\n";
    return 0;
  }
  out << "k256 public key (compressed): " << Hex0x(info.k256_pubkey) << "\n"
      << "CA public key (SPKI DER):     " << Hex0x(info.ca_pubkey) << "\n"
      << "setKmsInfo calldata (to the DstackKms proxy):\n  " << calldata << "\n"
      << "registry PrepareTransaction request"
      << (a.chain_id == 0 ? " (set chainId: --chain-id N)" : "") << ":\n  " << prepare_json << "\n";
  return 0;
}

int AuditVerify(const Args& a, std::ostream& out, std::ostream& err) {
  if (a.positional.size() != 1) {
    err << "audit verify: one FILE is required\n" << kUsage;
    return 2;
  }
  std::ifstream in(a.positional[0]);
  if (!in) {
    err << "audit verify: cannot open " << a.positional[0] << "\n";
    return 1;
  }
  const AuditVerifyReport r = VerifyAuditChain(in);
  if (a.json) {
    nlohmann::ordered_json j;
    j["ok"] = r.ok();
    j["lines"] = r.lines;
    j["first_broken_line"] = r.first_broken_line;
    j["detail"] = r.detail;
    out << j.dump() << "\n";
  } else if (r.ok()) {
    out << a.positional[0] << ": " << r.lines << " lines, hash chain intact\n";
  } else {
    out << a.positional[0] << ":" << r.first_broken_line << ": chain broken: " << r.detail << "\n";
  }
  return r.ok() ? 0 : 1;
}

}  // namespace

std::optional<int> RunSubcommand(int argc, char** argv, std::ostream& out, std::ostream& err,
                                 absl::Time now) {
  if (argc < 2) return std::nullopt;
  const std::string group = argv[1];
  if (group != "keys" && group != "audit" && group != "attestation") return std::nullopt;
  if (group == "attestation") {
    if (argc < 3 || std::string(argv[2]) != "verify") {
      err << "usage: chainkms-kms attestation verify --quote F ... (--help for the flags)\n";
      return 2;
    }
    return AttestationVerifyCli(std::vector<std::string>(argv + 3, argv + argc), out, err, now);
  }
  if (argc < 3) {
    err << kUsage;
    return 2;
  }
  const std::string verb = argv[2];
  std::optional<Args> a = Parse(std::vector<std::string>(argv + 3, argv + argc), err);
  if (!a.has_value()) return 2;
  if (group == "keys" && verb == "init") return KeysInit(*a, out, err, now);
  if (group == "keys" && verb == "show") return KeysShow(*a, out, err);
  if (group == "audit" && verb == "verify") return AuditVerify(*a, out, err);
  err << "unknown subcommand " << group << " " << verb << "\n" << kUsage;
  return 2;
}

}  // namespace chainkms::kms
