#include "services/provisioning/vmm_node.h"

#include <curl/curl.h>

#include <memory>
#include <mutex>
#include <tuple>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lib/common/hex.h"
#include "lib/common/json_quote.h"
#include "lib/jsonrpc/curl_transport.h"
#include "nlohmann/json.hpp"

namespace chainkms::provisioning {
namespace {

constexpr size_t kMaxResponseBytes = size_t{4} << 20;
constexpr char kUnixPrefix[] = "unix:";
constexpr size_t kUnixPrefixSize = sizeof(kUnixPrefix) - 1;

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

struct Sink {
  std::string body;
  bool overflow = false;
};

size_t Write(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const size_t len = size * n;
  if (sink->body.size() + len > kMaxResponseBytes) {
    sink->overflow = true;
    return 0;  // curl stops with CURLE_WRITE_ERROR
  }
  sink->body.append(data, len);
  return len;
}

long Millis(absl::Duration d) {  // NOLINT(google-runtime-int): curl takes long
  const int64_t ms = absl::ToInt64Milliseconds(d);
  return ms < 1 ? 1 : static_cast<long>(ms);  // NOLINT(google-runtime-int)
}

// Appends `"key":"value"` (JSON-quoted) and a comma.
void Field(std::string& out, std::string_view key, std::string_view value) {
  AppendJsonQuoted(out, key);
  out += ':';
  AppendJsonQuoted(out, value);
  out += ',';
}

// {"id":"<vm id>"}
std::string IdBody(const std::string& vm_id) {
  return absl::StrCat("{\"id\":", JsonQuote(vm_id), "}");
}

// The string member `key` of `j`, "" when it is missing or not a string.
std::string StringAt(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

// GetInfo's answer: the VmInfo when found is true, nullptr otherwise.
const nlohmann::json* FoundInfo(const nlohmann::json& j) {
  if (!j.is_object()) return nullptr;
  auto found = j.find("found");
  auto info = j.find("info");
  if (found == j.end() || !found->is_boolean() || !found->get<bool>() || info == j.end() ||
      !info->is_object()) {
    return nullptr;
  }
  return &*info;
}

}  // namespace

std::pair<std::string, std::string> MapVmmStatus(std::string_view vmm_status,
                                                 std::string_view boot_error) {
  if (!boot_error.empty()) return {"boot_failed", std::string(boot_error)};
  if (vmm_status == "running") return {"running", ""};
  if (vmm_status == "stopped" || vmm_status == "stopping" || vmm_status == "removing") {
    return {"stopped", ""};
  }
  if (vmm_status == "exited") {
    return {"boot_failed", "the VM exited (the VMM reports no boot error; see its logs)"};
  }
  return {"starting", ""};
}

std::string VmmVmName(std::string_view name) {
  std::string out(name);
  for (char& c : out) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) c = '-';
  }
  return out;
}

DstackVmmNodeDriver::DstackVmmNodeDriver(NodeConfig node, VmmNodeOptions options, StatusSink sink)
    : node_(std::move(node)),
      options_(std::move(options)),
      sink_(std::move(sink)),
      description_(absl::StartsWith(node_.vmm_url, kUnixPrefix) ? node_.vmm_url
                                                                : RedactUrl(node_.vmm_url)) {
  GlobalInit();
  watcher_ = std::thread([this] { Watch(); });
}

DstackVmmNodeDriver::~DstackVmmNodeDriver() {
  {
    chainkms::MutexLock lock(&mu_);
    stopping_ = true;
    cv_.SignalAll();
  }
  watcher_.join();
}

absl::StatusOr<std::string> DstackVmmNodeDriver::Call(const std::string& method,
                                                      const std::string& body) const {
  std::string base = node_.vmm_url;
  std::string socket_path;
  if (absl::StartsWith(base, kUnixPrefix)) {
    socket_path = base.substr(kUnixPrefixSize);
    base = "http://localhost";
  }
  while (!base.empty() && base.back() == '/') base.pop_back();
  const std::string url = absl::StrCat(base, "/prpc/", method, "?json");

  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) return absl::InternalError("curl_easy_init failed");
  curl_slist* raw = nullptr;
  raw = curl_slist_append(raw, "Content-Type: application/json");
  raw = curl_slist_append(raw, "Accept: application/json");
  raw = curl_slist_append(raw, "Expect:");
  if (!options_.bearer_token.empty()) {
    raw = curl_slist_append(raw,
                            absl::StrCat("Authorization: Bearer ", options_.bearer_token).c_str());
  }
  std::unique_ptr<curl_slist, SlistDeleter> headers(raw);
  Sink sink;
  char errbuf[CURL_ERROR_SIZE] = {0};
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  if (!socket_path.empty()) curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, socket_path.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_PROXY, "");
  curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, Millis(options_.connect_timeout));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, Millis(options_.request_timeout));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &Write);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  const CURLcode rc = curl_easy_perform(c);
  long http = 0;  // NOLINT(google-runtime-int): curl's type
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &http);

  if (rc != CURLE_OK) {
    const std::string detail =
        sink.overflow       ? absl::StrCat("answer larger than ", kMaxResponseBytes, " bytes")
        : errbuf[0] != '\0' ? std::string(errbuf)
                            : std::string(curl_easy_strerror(rc));
    return absl::UnavailableError(
        absl::StrCat("dstack VMM ", description_, " unreachable (", method, "): ", detail));
  }
  if (http == 200) return std::move(sink.body);
  if (http == 400) {
    const nlohmann::json j = nlohmann::json::parse(sink.body, nullptr, /*allow_exceptions=*/false);
    std::string error = StringAt(j, "error");
    if (error.empty()) error = sink.body.substr(0, 500);
    return absl::FailedPreconditionError(absl::StrCat("dstack VMM ", method, ": ", error));
  }
  return absl::UnavailableError(
      absl::StrCat("dstack VMM ", description_, " answered ", method, " with HTTP ", http));
}

absl::Status DstackVmmNodeDriver::Create(const CvmLaunch& launch) {
  std::string body = "{";
  Field(body, "name", VmmVmName(launch.name.empty() ? launch.cvm_id : launch.name));
  Field(body, "image", node_.image);
  Field(body, "compose_file", launch.app_compose);
  absl::StrAppend(&body, "\"vcpu\":", node_.vcpu, ",\"memory\":", node_.memory_mb,
                  ",\"disk_size\":", node_.disk_gb, ",\"ports\":[],");
  if (!launch.encrypted_env.empty()) {
    Field(body, "encrypted_env", HexEncode(launch.encrypted_env, /*prefix=*/false));
  }
  Field(body, "app_id", HexEncode(launch.app_id.view(), /*prefix=*/false));
  body += "\"kms_urls\":[";
  if (!launch.kms_url.empty()) AppendJsonQuoted(body, launch.kms_url);
  body += "]}";
  absl::StatusOr<std::string> answer = Call("CreateVm", body);
  if (!answer.ok()) return answer.status();
  const nlohmann::json j = nlohmann::json::parse(*answer, nullptr, /*allow_exceptions=*/false);
  const std::string vm_id = StringAt(j, "id");
  if (vm_id.empty()) {
    return absl::UnavailableError(
        absl::StrCat("dstack VMM ", description_, " answered CreateVm without a VM id"));
  }
  chainkms::MutexLock lock(&mu_);
  vms_[launch.cvm_id] = Vm{.id = vm_id};
  return absl::OkStatus();
}

absl::Status DstackVmmNodeDriver::Upgrade(const CvmLaunch& launch, const std::string& vm_id) {
  std::string body = "{";
  Field(body, "id", vm_id);
  if (!launch.encrypted_env.empty()) {
    Field(body, "encrypted_env", HexEncode(launch.encrypted_env, /*prefix=*/false));
  }
  body += "\"compose_file\":";
  AppendJsonQuoted(body, launch.app_compose);
  body += '}';
  if (absl::StatusOr<std::string> r = Call("UpgradeApp", body); !r.ok()) return r.status();
  if (absl::StatusOr<std::string> r = Call("StopVm", IdBody(vm_id)); !r.ok()) return r.status();
  if (absl::StatusOr<std::string> r = Call("StartVm", IdBody(vm_id)); !r.ok()) {
    SetStatus(launch.cvm_id, "stopped");  // it is: the caller reports the failure
    return r.status();
  }
  return absl::OkStatus();
}

absl::Status DstackVmmNodeDriver::Start(const CvmLaunch& launch) {
  chainkms::MutexLock work(&work_mu_);
  std::string vm_id;
  {
    chainkms::MutexLock lock(&mu_);
    if (stopping_) return absl::UnavailableError("the node is shutting down");
    auto it = vms_.find(launch.cvm_id);
    if (it != vms_.end() && !it->second.removed) vm_id = it->second.id;
  }
  // A CVM that already has a VM here boots the new compose in it rather than in a second VM.
  if (absl::Status s = vm_id.empty() ? Create(launch) : Upgrade(launch, vm_id); !s.ok()) return s;
  SetStatus(launch.cvm_id, "starting");
  Report(launch.cvm_id, "starting", "");
  return absl::OkStatus();
}

absl::Status DstackVmmNodeDriver::Restart(const CvmLaunch& launch) {
  {
    chainkms::MutexLock lock(&mu_);
    if (vms_.find(launch.cvm_id) == vms_.end()) {
      return absl::NotFoundError("unknown CVM on this node (no VM of it on this dstack VMM)");
    }
  }
  // A stopped (removed) CVM gets a new VM; a live one boots the new compose (Start decides).
  return Start(launch);
}

absl::Status DstackVmmNodeDriver::Stop(const std::string& cvm_id) {
  chainkms::MutexLock work(&work_mu_);
  std::string vm_id;
  {
    chainkms::MutexLock lock(&mu_);
    auto it = vms_.find(cvm_id);
    if (it == vms_.end()) return absl::NotFoundError("unknown CVM on this node");
    if (!it->second.removed) vm_id = it->second.id;
  }
  if (!vm_id.empty()) {
    if (absl::StatusOr<std::string> r = Call("StopVm", IdBody(vm_id)); !r.ok()) return r.status();
    absl::StatusOr<std::string> removed = Call("RemoveVm", IdBody(vm_id));
    SetStatus(cvm_id, "stopped");
    Report(cvm_id, "stopped", "");
    if (!removed.ok()) {
      return absl::Status(removed.status().code(),
                          absl::StrCat("the VM is stopped but not removed: ",
                                       std::string(removed.status().message())));
    }
    chainkms::MutexLock lock(&mu_);
    vms_[cvm_id].removed = true;
    return absl::OkStatus();
  }
  Report(cvm_id, "stopped", "");  // already stopped and removed: idempotent
  return absl::OkStatus();
}

absl::StatusOr<std::string> DstackVmmNodeDriver::Status(const std::string& cvm_id) {
  std::string vm_id;
  {
    chainkms::MutexLock lock(&mu_);
    auto it = vms_.find(cvm_id);
    if (it == vms_.end()) return absl::NotFoundError("unknown CVM on this node");
    if (it->second.removed) return "stopped";
    vm_id = it->second.id;
  }
  absl::StatusOr<std::string> answer = Call("GetInfo", IdBody(vm_id));
  if (!answer.ok()) return answer.status();
  const nlohmann::json j = nlohmann::json::parse(*answer, nullptr, /*allow_exceptions=*/false);
  const nlohmann::json* info = FoundInfo(j);
  if (info == nullptr) {
    return absl::NotFoundError(absl::StrCat("dstack VMM ", description_, " has no VM ", vm_id));
  }
  return MapVmmStatus(StringAt(*info, "status"), StringAt(*info, "boot_error")).first;
}

std::string DstackVmmNodeDriver::VmId(const std::string& cvm_id) const {
  chainkms::MutexLock lock(&mu_);
  auto it = vms_.find(cvm_id);
  return it == vms_.end() || it->second.removed ? "" : it->second.id;
}

void DstackVmmNodeDriver::SetStatus(const std::string& cvm_id, const std::string& status) {
  chainkms::MutexLock lock(&mu_);
  if (auto it = vms_.find(cvm_id); it != vms_.end()) it->second.status = status;
}

void DstackVmmNodeDriver::Report(const std::string& cvm_id, const std::string& status,
                                 const std::string& reason) {
  if (sink_) sink_(cvm_id, status, reason);
}

void DstackVmmNodeDriver::Poll() {
  std::vector<std::tuple<std::string, std::string, std::string>> vms;  // cvm id, vm id, status
  {
    chainkms::MutexLock lock(&mu_);
    for (const auto& [cvm_id, vm] : vms_) {
      if (!vm.removed) vms.emplace_back(cvm_id, vm.id, vm.status);
    }
  }
  for (const auto& [cvm_id, vm_id, last] : vms) {
    {
      chainkms::MutexLock lock(&mu_);
      if (stopping_) return;
    }
    absl::StatusOr<std::string> answer = Call("GetInfo", IdBody(vm_id));
    if (!answer.ok()) continue;  // the VMM is away: nothing new to say
    const nlohmann::json j = nlohmann::json::parse(*answer, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) continue;  // not an answer we understand: ask again next pass
    std::pair<std::string, std::string> now;
    if (const nlohmann::json* info = FoundInfo(j); info != nullptr) {
      now = MapVmmStatus(StringAt(*info, "status"), StringAt(*info, "boot_error"));
    } else {
      now = {"stopped", "the VM is no longer on the dstack VMM"};
      chainkms::MutexLock lock(&mu_);
      vms_[cvm_id].removed = true;
    }
    if (now.first == last) continue;
    SetStatus(cvm_id, now.first);
    Report(cvm_id, now.first, now.second);
  }
}

void DstackVmmNodeDriver::Watch() {
  while (true) {
    {
      chainkms::MutexLock lock(&mu_);
      if (stopping_) return;
      cv_.WaitWithTimeout(&mu_, options_.poll_interval);
      if (stopping_) return;
    }
    chainkms::MutexLock work(&work_mu_);
    Poll();
  }
}

}  // namespace chainkms::provisioning
