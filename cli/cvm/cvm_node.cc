#include "cli/cvm/cvm_node.h"

#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "cli/cvm/cvm_boot.h"
#include "lib/common/hex.h"
#include "lib/compose/app_compose.h"
#include "lib/server/config.h"
#include "nlohmann/json.hpp"

namespace chainkms::cvm {
namespace {

namespace pb = ::chainkms::v1;

struct Options {
  std::string app_compose_path;
  std::string env_path;
  std::string app_id;
  std::string kms;
  int64_t chain_id = 0;
  std::string device_id;
  std::string os_image_hash;
  std::string instance_id;
  std::string cvm_id;
  std::string status_file;
  std::string env_out;
  absl::Duration timeout;
  bool exit_after_boot = false;
};

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

// Replaces `path` atomically (write a sibling, then rename), with `mode`.
bool WriteAtomically(const std::string& path, const std::string& data, mode_t mode) {
  const std::string tmp = absl::StrCat(path, ".tmp.", getpid());
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return false;
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = write(fd, data.data() + off, data.size() - off);
    if (n <= 0) {
      close(fd);
      unlink(tmp.c_str());
      return false;
    }
    off += static_cast<size_t>(n);
  }
  close(fd);
  return rename(tmp.c_str(), path.c_str()) == 0;
}

class StatusFile {
 public:
  explicit StatusFile(std::string path) : path_(std::move(path)) {}
  nlohmann::json& doc() { return doc_; }
  void Write(std::string_view status, std::string_view reason = "") {
    doc_["status"] = status;
    doc_["reason"] = reason;
    doc_["pid"] = getpid();
    std::cerr << "chainkms-cvm: " << status << (reason.empty() ? "" : ": ") << reason << "\n";
    if (!path_.empty() && !WriteAtomically(path_, doc_.dump() + "\n", 0644)) {
      std::cerr << "chainkms-cvm: cannot write " << path_ << "\n";
    }
  }

 private:
  std::string path_;
  nlohmann::json doc_ = nlohmann::json::object();
};

// "http://h:p", "grpc://h:p" or "h:p" → plaintext h:p; "https://h:p" → TLS.
std::shared_ptr<grpc::Channel> KmsChannel(std::string_view url_in) {
  absl::string_view url(url_in.data(), url_in.size());
  std::string target(url);
  std::shared_ptr<grpc::ChannelCredentials> creds = grpc::InsecureChannelCredentials();
  if (absl::ConsumePrefix(&url, "https://")) {
    target = std::string(url);
    creds = grpc::SslCredentials(grpc::SslCredentialsOptions());
  } else if (absl::ConsumePrefix(&url, "http://") || absl::ConsumePrefix(&url, "grpc://")) {
    target = std::string(url);
  }
  while (!target.empty() && target.back() == '/') target.pop_back();
  return grpc::CreateChannel(target, creds);
}

std::string DotenvQuote(ByteView value) {
  std::string out = "\"";
  for (uint8_t c : value) {
    if (c == '"' || c == '\\' || c == '$' || c == '`') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(static_cast<char>(c));
  }
  return out + "\"";
}

absl::StatusOr<BootInputs> Inputs(const Options& o) {
  BootInputs in;
  std::optional<std::string> compose = ReadFile(o.app_compose_path);
  if (!compose) return absl::InvalidArgumentError("--app-compose: cannot read the file");
  in.app_compose = std::move(*compose);
  if (!o.env_path.empty()) {
    std::optional<std::string> env = ReadFile(o.env_path);
    if (!env) return absl::InvalidArgumentError("--env: cannot read the file");
    const std::string hex(absl::StripAsciiWhitespace(*env));
    if (!hex.empty()) {
      absl::StatusOr<Bytes> b = HexDecode(hex, HexPrefix::kOptional, "--env");
      if (!b.ok()) return b.status();
      in.encrypted_env = std::move(*b);
    }
  }
  absl::StatusOr<Address> app = HexDecodeFixed<20>(o.app_id, "--app-id");
  absl::StatusOr<Hash32> device = HexDecodeFixed<32>(o.device_id, "--device-id");
  absl::StatusOr<Hash32> image = HexDecodeFixed<32>(o.os_image_hash, "--os-image-hash");
  for (const absl::Status& s : {app.status(), device.status(), image.status()}) {
    if (!s.ok()) return s;
  }
  in.app_id = *app;
  in.device_id = *device;
  in.os_image_hash = *image;
  in.chain_id = static_cast<uint64_t>(o.chain_id);
  if (!o.instance_id.empty()) {
    absl::StatusOr<Address> id = HexDecodeFixed<20>(o.instance_id, "--instance-id");
    if (!id.ok()) return id.status();
    in.instance_id = *id;
  } else {
    in.instance_id = LocalInstanceId(o.cvm_id);
  }
  return in;
}

// Boots, retrying while the KMS is unreachable (it may start after the node) until the timeout.
absl::StatusOr<BootResult> BootWithRetry(const BootInputs& in, pb::Kms::StubInterface& kms,
                                         absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::Duration backoff = absl::Milliseconds(100);
  while (true) {
    absl::StatusOr<BootResult> r =
        BootCvm(in, kms, std::max(deadline - absl::Now(), absl::Seconds(1)));
    if (r.ok() || r.status().code() != absl::StatusCode::kUnavailable ||
        absl::Now() + backoff >= deadline) {
      return r;
    }
    std::this_thread::sleep_for(absl::ToChronoNanoseconds(backoff));  // retry pacing
    backoff = std::min(backoff * 2, absl::Seconds(2));
  }
}

}  // namespace

int CvmMain(int argc, char** argv) {
  Options o;
  server::FlagSet flags(
      "chainkms-cvm: a local CVM that boots like a dstack guest (dev attestation) and runs until "
      "SIGTERM");
  flags.AddString("app-compose", &o.app_compose_path, "", "app-compose.json (the exact bytes)",
                  server::NonEmpty());
  flags.AddString("env", &o.env_path, "", "file holding the encrypted env, hex (optional)");
  flags.AddString("app-id", &o.app_id, "", "app id, 0x + 40 hex", server::NonEmpty());
  flags.AddString("kms", &o.kms, "", "the KMS gRPC endpoint (host:port, http:// or https://)",
                  server::NonEmpty());
  flags.AddInt("chain-id", &o.chain_id, 0, "the chain whose DstackKms decides");
  flags.AddString("device-id", &o.device_id, "", "this node's device id, 0x + 64 hex",
                  server::NonEmpty());
  flags.AddString("os-image-hash", &o.os_image_hash, "", "this node's OS image hash, 0x + 64 hex",
                  server::NonEmpty());
  flags.AddString("instance-id", &o.instance_id, "",
                  "instance id, 0x + 40 hex (default: derived from --cvm-id)");
  flags.AddString("cvm-id", &o.cvm_id, "", "the CVM's id (status file, instance id)");
  flags.AddString("status-file", &o.status_file, "", "where the boot status is written (JSON)");
  flags.AddString("env-out", &o.env_out, "", "where the decrypted allowed env is written (0600)");
  flags.AddDuration("timeout", &o.timeout, absl::Seconds(30), "how long to wait for the KMS");
  flags.AddBool("exit-after-boot", &o.exit_after_boot, false, "exit 0 once running (tests)");
  absl::StatusOr<server::ParseOutcome> outcome = flags.Parse(argc, argv);
  if (!outcome.ok()) {
    std::cerr << "chainkms-cvm: " << outcome.status().message() << "\n";
    return 2;
  }
  if (*outcome == server::ParseOutcome::kHelp) {
    std::cout << flags.Help();
    return 0;
  }
  if (o.chain_id <= 0) {
    std::cerr << "chainkms-cvm: --chain-id is required\n";
    return 2;
  }
  // Signals are taken synchronously below; block them before any thread starts.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  StatusFile status(o.status_file);
  status.doc()["cvm_id"] = o.cvm_id;
  status.doc()["dev_attestation"] = true;
  absl::StatusOr<BootInputs> in = Inputs(o);
  if (!in.ok()) {
    status.Write("boot_failed", std::string(in.status().message()));
    return 1;
  }
  status.doc()["app_id"] = Hex0x(in->app_id.view());
  status.doc()["compose_hash"] = Hex0x(compose::ComposeHash(in->app_compose).view());
  status.Write("starting");

  auto stub = pb::Kms::NewStub(KmsChannel(o.kms));
  absl::StatusOr<BootResult> r = BootWithRetry(*in, *stub, o.timeout);
  if (!r.ok()) {
    status.Write("boot_failed", absl::StrCat("Boot failed: ", r.status().message()));
    return 1;
  }
  if (!r->allowed) {
    status.Write("boot_failed", r->reason);
    return 3;
  }
  nlohmann::json keys = nlohmann::json::array();
  std::string dotenv;
  for (const EnvVar& e : r->env) {
    keys.push_back(e.key);
    absl::StrAppend(&dotenv, e.key, "=", DotenvQuote(e.value.view()), "\n");
  }
  if (!o.env_out.empty() && !WriteAtomically(o.env_out, dotenv, 0600)) {
    std::fill(dotenv.begin(), dotenv.end(), '\0');
    status.Write("boot_failed", "Boot failed: cannot write --env-out");
    return 1;
  }
  std::fill(dotenv.begin(), dotenv.end(), '\0');
  status.doc()["instance_id"] = Hex0x(r->instance_id.view());
  status.doc()["block_number"] = r->block_number;
  status.doc()["app_key_address"] = Hex0x(r->app_key_address.view());
  status.doc()["env_keys"] = keys;
  status.doc()["dropped_env_keys"] = r->dropped_env_keys;
  status.Write("running");
  if (o.exit_after_boot) return 0;
  int sig = 0;
  sigwait(&stop_signals, &sig);
  status.Write("stopped");
  return 0;
}

}  // namespace chainkms::cvm
