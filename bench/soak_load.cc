// Soak load generator for the whole stack on loopback (bench/soak.sh starts the stack with
// deploy/local/stack-up.sh and runs it): the walkthrough's operations as a fixed weighted mix
// (in 100), through the gateway's HTTP API, and the CVM's key request straight to kms as a CVM
// makes it:
//
//   30 get_cvm     GET  /cvms/{id}                                   200, the same id
//   10 list_cvms   GET  /cvms?page_size=20                           200
//   15 is_allowed  POST /cvms/{id}/is-allowed                        200, is_allowed true
//   12 kms_pubkey  GET  /kms/anvil/pubkey/{app}                      200, a 32-byte key
//   12 app_key     chainkms.v1.Kms/GetAppKey (dev attestation)       OK, the keys unseal
//   14 prepare     PATCH /cvms/{id} X-Prepare-Only (a new compose)    465 with a commit token
//    6 commit      prepare to the CVM's other registered compose, then
//                  POST /cvms/{id}/commit-update already-registered  465, then 200; the CVM
//                                                                    reboots and asks kms again
//    1 deploy      POST /cvms/provision → deployAndRegisterApp signed here (one nonce lane) →
//                  POST /cvms                                        200, a new CVM boots
//                  (paced to --max-deploys, 40, over the soak and a quarter of it over the
//                  peak; a slot beyond that is `provision`, the first step alone, as every
//                  deployed CVM stays a chainkms-cvm process until the stack stops)
//
// Setup: --cvms (8) new deploys, each also prepares its second compose, registers it on chain
// and commits it, so both are allowed; half take the commits (one at a time per CVM), half the
// prepares (never committed: a prepare supersedes the CVM's pending update). Then the peak:
// --threads workers back to back for --peak-seconds (the first 20 % not counted). Then the soak
// at --load (0.7) × peak for --duration seconds, open loop over --workers connections: op i is
// due at t0 + i/rate whatever came before, and its latency counts from then (a slow answer
// delays the ops behind it, and they show it). Every second the VmRSS of each --pid is
// sampled; growth is from the end of the warm-up (--warmup, 0.2 of the run) to the end. At the
// end every commit CVM must run the compose it last committed. Prints progress every 10 s, a
// table and one JSON line; exits 1 when any operation failed or a process grew more than
// --max-rss-growth (10 %), 2 on a setup failure.
//
//   chainkms_soak_load --pid name=PID … [--duration S] [--peak-seconds S] [--load F]
//       [--threads N] [--workers N] [--cvms N] [--deploy-weight N] [--max-deploys N]
//       [--warmup F] [--max-rss-growth PCT] [--json-out FILE]
// Endpoints and material come from the environment stack-up.sh exports: CHAINKMS_API_URL,
// CHAINKMS_API_KEY, ETH_RPC_URL; and SOAK_KMS (kms gRPC host:port), SOAK_CA_SPKI (the root CA
// key: `keys show`'s ca_public_key_spki_der), SOAK_OS_IMAGE, SOAK_DEPLOYER_KEY (an anvil dev key
// no service signs with). Nothing secret is printed (a 465 body, which holds a token, never).
#include <curl/curl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/load_util.h"
#include "chainkms/v1/kms.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "lib/chain/contracts.h"
#include "lib/chain/signer.h"
#include "lib/chain/tx_manager.h"
#include "lib/common/clock.h"
#include "lib/common/hex.h"
#include "lib/crypto/random.h"
#include "lib/crypto/secp256k1.h"
#include "lib/crypto/x25519.h"
#include "lib/jsonrpc/client.h"
#include "lib/jsonrpc/curl_transport.h"
#include "lib/kms/sealed.h"
#include "lib/server/proto_fields.h"

namespace chainkms {
namespace {

namespace pb = ::chainkms::v1;
using json = nlohmann::json;
using Steady = std::chrono::steady_clock;
constexpr char kProgram[] = "chainkms_soak_load";
constexpr uint64_t kChainId = 31337;
constexpr char kComposeA[] = "services:\n  web:\n    image: nginx:1.27\n";
constexpr char kComposeB[] =
    "services:\n  web:\n    image: nginx:1.27\n  worker:\n    image: busybox:1.36\n";

[[noreturn]] void Die(const std::string& what) {
  std::cerr << kProgram << ": " << what << "\n";
  std::exit(2);
}

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') Die(absl::StrCat(name, " is not set"));
  return v;
}

double Ms(Steady::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

enum Op {
  kGetCvm,
  kListCvms,
  kIsAllowed,
  kKmsPubkey,
  kAppKey,
  kPrepare,
  kCommit,
  kDeploy,
  kProvision,  // a deploy slot past the pacing (Slot): the provision step alone
  kOps
};
constexpr const char* kOpName[kOps] = {"get_cvm",    "list_cvms", "is_allowed",
                                       "kms_pubkey", "app_key",   "prepare",
                                       "commit",     "deploy",    "provision"};

struct Http {
  long code = 0;  // NOLINT(google-runtime-int): curl's type
  std::string body;
  std::string error;  // transport failure
};

size_t Append(char* p, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(p, size * n);
  return size * n;
}

// One keep-alive connection to the gateway per worker.
class Client {
 public:
  Client(std::string base, std::string key) : base_(std::move(base)), key_(std::move(key)) {
    curl_ = curl_easy_init();
    if (curl_ == nullptr) Die("curl_easy_init");
  }
  ~Client() { curl_easy_cleanup(curl_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  Http Call(const char* method, const std::string& path, const json* body = nullptr,
            bool prepare_only = false) {
    Http out;
    curl_easy_reset(curl_);
    const std::string url = base_ + path;
    curl_slist* headers = curl_slist_append(nullptr, ("X-API-Key: " + key_).c_str());
    std::string payload;
    if (body != nullptr) {
      payload = body->dump();
      headers = curl_slist_append(headers, "Content-Type: application/json");
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, payload.c_str());
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE, static_cast<long>(payload.size()));  // NOLINT
    }
    if (prepare_only) headers = curl_slist_append(headers, "X-Prepare-Only: true");
    curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &Append);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &out.body);
    curl_easy_setopt(curl_, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    const CURLcode rc = curl_easy_perform(curl_);
    curl_slist_free_all(headers);
    if (rc != CURLE_OK) {
      out.error = curl_easy_strerror(rc);
      return out;
    }
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &out.code);
    return out;
  }

 private:
  std::string base_, key_;
  CURL* curl_;
};

// An error's one-line reason (the body's detail, never a token: the 465 bodies are not echoed).
std::string Why(const char* what, const Http& r, long want) {  // NOLINT(google-runtime-int)
  if (!r.error.empty()) return absl::StrCat(what, ": ", r.error);
  std::string body = r.body.substr(0, 200);
  if (r.code == 465) body = "(465 body)";
  return absl::StrCat(what, ": HTTP ", r.code, " (want ", want, "): ", body);
}

std::string Detail(const json& j, const std::string& field) {
  if (!j.contains("detail") || !j["detail"].contains("details")) return "";
  for (const json& d : j["detail"]["details"]) {
    if (d.value("field", "") == field && d["value"].is_string()) return d["value"];
  }
  return "";
}

struct Cvm {
  std::string id;
  Address app;
  std::string hash_a, hash_b;  // 0x-hex compose hashes, both allowed on chain
  bool on_b = false;           // the compose it last committed
};

// Everything the workers share.
struct Stack {
  std::string api_url, api_key, rpc_url;
  std::string ca_spki, os_image;
  Hash32 device{};
  Address kms_contract{};
  std::unique_ptr<pb::Kms::Stub> kms;
  std::unique_ptr<JsonRpcClient> rpc;
  std::unique_ptr<TxManager> txm;
  std::shared_ptr<Signer> deployer;

  std::mutex mu;
  std::condition_variable freed;
  std::vector<Cvm> commit_pool;       // guarded by mu (checked out one at a time)
  std::deque<size_t> commit_free;     // indexes into commit_pool
  std::vector<Cvm> prepare_pool;      // read-only after setup
  std::vector<std::string> read_ids;  // every CVM (deploys append), guarded by mu
  std::atomic<int64_t> names{0}, prepares{0}, deploys{0};
  int64_t max_deploys = 0;
};

// Records of one run: latencies and errors per op.
struct Record {
  std::mutex mu;
  std::vector<double> lat[kOps];
  int64_t errors[kOps] = {};
  std::vector<std::string> samples;  // the first error messages
  void Add(Op op, double ms, const std::string& err) {
    std::lock_guard<std::mutex> lock(mu);
    lat[op].push_back(ms);
    if (!err.empty()) {
      ++errors[op];
      if (samples.size() < 10) samples.push_back(absl::StrCat(kOpName[op], ": ", err));
    }
  }
};

std::string Pick(Stack& s, uint64_t n) {
  std::lock_guard<std::mutex> lock(s.mu);
  return s.read_ids[n % s.read_ids.size()];
}

// provision → deployAndRegisterApp → commit; the new CVM's record (hash_a = its compose).
std::string Deploy(Stack& s, Client& c, Cvm* out) {
  const std::string name = absl::StrCat("soak-", getpid() % 100000, "-", s.names++);
  json prov = {{"name", name},
               {"compose_file", {{"docker_compose_file", kComposeA}}},
               {"kms_id", "anvil"},
               {"node", "node-1"}};
  Http r = c.Call("POST", "/cvms/provision", &prov);
  if (r.code != 200) return Why("provision", r, 200);
  json p = json::parse(r.body, nullptr, false);
  absl::StatusOr<Hash32> hash = ParseHash32(p.value("compose_hash", ""), "compose_hash");
  absl::StatusOr<Hash32> device = ParseHash32(p.value("device_id", ""), "device_id");
  if (!hash.ok() || !device.ok()) return "provision: no compose hash or device";
  absl::StatusOr<SentTx> sent = s.txm->Send(
      {.signer = s.deployer,
       .to = s.kms_contract,
       .data = dstack_kms::DeployAndRegisterApp(
           {.owner = s.deployer->address(), .device_id = *device, .compose_hash = *hash})});
  if (!sent.ok()) return absl::StrCat("deployAndRegisterApp: ", sent.status().ToString());
  absl::StatusOr<Receipt> rc = s.txm->WaitForReceipt(sent->hash, 1, absl::Seconds(60));
  if (!rc.ok() || !rc->success) return "deployAndRegisterApp: no successful receipt";
  std::optional<Address> app;
  for (const ContractEvent& e : rc->EventsFrom(s.kms_contract)) {
    if (const auto* d = std::get_if<AppDeployedViaFactory>(&e)) app = d->app_id;
  }
  if (!app) return "deployAndRegisterApp: no AppDeployedViaFactory";
  json commit = {{"app_id", HexEncode(app->view())}, {"compose_hash", HexEncode(hash->view())}};
  r = c.Call("POST", "/cvms", &commit);
  if (r.code != 200) return Why("commit provision", r, 200);
  json cvm = json::parse(r.body, nullptr, false);
  out->id = cvm.value("cvm_id", "");
  if (out->id.empty()) return "commit provision: no cvm_id";
  out->app = *app;
  out->hash_a = Hex0x(hash->view());
  return "";
}

// PATCH prepare-only with `compose`: the commit token (465), or an error.
std::string Prepare(Client& c, const std::string& id, const std::string& compose,
                    std::string* token, std::string* hash) {
  json patch = {{"docker_compose_file", compose}};
  Http r = c.Call("PATCH", "/cvms/" + id, &patch, /*prepare_only=*/true);
  if (r.code != 465) return Why("prepare", r, 465);
  json j = json::parse(r.body, nullptr, false);
  *token = Detail(j, "commit_token");
  *hash = Detail(j, "compose_hash");
  if (token->empty() || hash->empty()) return "prepare: 465 without commit token or hash";
  return "";
}

std::string CommitUpdate(Client& c, const std::string& id, const std::string& token,
                         const std::string& hash) {
  json body = {
      {"token", token}, {"compose_hash", hash}, {"transaction_hash", "already-registered"}};
  Http r = c.Call("POST", "/cvms/" + id + "/commit-update", &body);
  if (r.code != 200) return Why("commit-update", r, 200);
  return "";
}

std::string AppKey(Stack& s, const Cvm& cvm) {
  SecretBytes priv = RandomSecret(32);
  const Hash32 pub = X25519PublicKey(std::span<const uint8_t, 32>(priv.data(), 32));
  pb::GetAppKeyRequest req;
  req.set_chain_id(kChainId);
  req.set_recipient_public_key(server::Raw(pub));
  pb::AppBootInfo* b = req.mutable_dev()->mutable_boot_info();
  b->set_app_id(server::Raw(cvm.app));
  b->set_compose_hash(server::Raw(*ParseHash32(cvm.hash_a)));
  b->set_instance_id(std::string(20, '\x5a'));
  b->set_device_id(server::Raw(s.device));
  b->set_mr_aggregated(std::string(32, 1));
  b->set_mr_system(std::string(32, 2));
  b->set_os_image_hash(server::Raw(*ParseHash32(s.os_image)));
  b->set_tcb_status("UpToDate");
  req.mutable_dev()->set_key_provider_id(server::Raw(*HexDecode(s.ca_spki)));
  req.mutable_dev()->set_report_data(server::Raw(kms::KeyRequestReportData(pub)));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  pb::GetAppKeyResponse resp;
  grpc::Status st = s.kms->GetAppKey(&ctx, req, &resp);
  if (!st.ok()) return absl::StrCat("GetAppKey: ", st.error_code(), " ", st.error_message());
  if (!kms::OpenSealed(priv.view(), AsBytes(resp.sealed_keys()), cvm.app, kChainId).ok()) {
    return "GetAppKey: the keys do not unseal";
  }
  return "";
}

// One operation `n` of kind `op`; "" or the error.
std::string Run(Stack& s, Client& c, Op op, uint64_t n) {
  switch (op) {
    case kGetCvm: {
      const std::string id = Pick(s, n);
      Http r = c.Call("GET", "/cvms/" + id);
      if (r.code != 200) return Why("get", r, 200);
      if (json::parse(r.body, nullptr, false).value("id", "") != id) return "get: another id";
      return "";
    }
    case kListCvms: {
      Http r = c.Call("GET", "/cvms?page_size=20");
      if (r.code != 200) return Why("list", r, 200);
      return json::parse(r.body, nullptr, false).value("total", 0) > 0 ? "" : "list: empty";
    }
    case kIsAllowed: {
      json body = json::object();
      Http r = c.Call("POST", "/cvms/" + Pick(s, n) + "/is-allowed", &body);
      if (r.code != 200) return Why("is-allowed", r, 200);
      if (!json::parse(r.body, nullptr, false).value("is_allowed", false)) {
        return "is-allowed: false for a running compose";
      }
      return "";
    }
    case kKmsPubkey: {
      const Cvm& cvm = s.prepare_pool[n % s.prepare_pool.size()];
      Http r = c.Call("GET", "/kms/anvil/pubkey/" + HexEncode(cvm.app.view()));
      if (r.code != 200) return Why("pubkey", r, 200);
      if (json::parse(r.body, nullptr, false).value("public_key", "").size() != 64) {
        return "pubkey: not 32 bytes";
      }
      return "";
    }
    case kAppKey:
      return AppKey(s, s.prepare_pool[n % s.prepare_pool.size()]);
    case kPrepare: {
      const Cvm& cvm = s.prepare_pool[n % s.prepare_pool.size()];
      std::string token, hash;
      return Prepare(c, cvm.id, absl::StrCat(kComposeA, "# soak prepare ", s.prepares++, "\n"),
                     &token, &hash);
    }
    case kCommit: {
      size_t i = 0;
      Cvm cvm;
      {
        std::unique_lock<std::mutex> lock(s.mu);
        s.freed.wait(lock, [&] { return !s.commit_free.empty(); });
        i = s.commit_free.front();
        s.commit_free.pop_front();
        cvm = s.commit_pool[i];
      }
      std::string token, hash;
      std::string err = Prepare(c, cvm.id, cvm.on_b ? kComposeA : kComposeB, &token, &hash);

      if (err.empty() && hash != (cvm.on_b ? cvm.hash_a : cvm.hash_b)) {
        err = "prepare: not the registered compose hash";
      }
      if (err.empty()) err = CommitUpdate(c, cvm.id, token, hash);
      {
        std::lock_guard<std::mutex> lock(s.mu);
        if (err.empty()) s.commit_pool[i].on_b = !cvm.on_b;
        s.commit_free.push_back(i);
      }
      s.freed.notify_one();
      return err;
    }
    case kProvision: {
      json prov = {{"name", absl::StrCat("soak-p", s.names++)},
                   {"compose_file", {{"docker_compose_file", kComposeA}}},
                   {"kms_id", "anvil"},
                   {"node", "node-1"}};
      Http r = c.Call("POST", "/cvms/provision", &prov);
      return r.code == 200 ? "" : Why("provision", r, 200);
    }
    case kDeploy: {
      Cvm cvm;
      std::string err = Deploy(s, c, &cvm);
      if (err.empty()) {
        std::lock_guard<std::mutex> lock(s.mu);
        s.read_ids.push_back(cvm.id);
      }
      return err;
    }
    default:
      return "unknown op";
  }
}

// The mix: op i is kMix[i % size], the kinds interleaved.
std::vector<Op> Mix(int deploy_weight) {
  const std::pair<Op, int> weights[] = {{kGetCvm, 30},    {kListCvms, 10},         {kIsAllowed, 15},
                                        {kKmsPubkey, 12}, {kAppKey, 12},           {kPrepare, 14},
                                        {kCommit, 6},     {kDeploy, deploy_weight}};
  std::vector<Op> mix;
  for (const auto& [op, w] : weights) mix.insert(mix.end(), static_cast<size_t>(w), op);
  std::shuffle(mix.begin(), mix.end(), std::mt19937(13));
  return mix;
}

// Op n of the mix. Deploys are paced: a deploy slot is a full deploy while the phase's deploys
// stay under 1 + `budget` × the phase's progress (0..1), else the provision step alone — every
// deployed CVM stays a chainkms-cvm process on this machine until the stack stops.
Op Slot(Stack& s, const std::vector<Op>& mix, uint64_t n, double progress, int64_t budget) {
  const Op op = mix[n % mix.size()];
  if (op != kDeploy) return op;
  const double allowed = 1 + static_cast<double>(budget) * std::clamp(progress, 0.0, 1.0);
  if (static_cast<double>(s.deploys++) < std::min<double>(allowed, static_cast<double>(budget))) {
    return kDeploy;
  }
  --s.deploys;
  return kProvision;
}

// VmRSS of a process in KiB (0 when it is gone).
int64_t RssKiB(int pid) {
  std::ifstream f(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atoll(line.c_str() + 6);
  }
  return 0;
}

struct Args {
  double duration = 600, peak_seconds = 15, load = 0.7, warmup = 0.2, max_growth = 10;
  // 16: the gateway's --http-threads default. CivetWeb keeps a worker thread on a keep-alive
  // connection until it idles out (500 ms), so more client connections than threads queue.
  int threads = 16, workers = 16, cvms = 8, deploy_weight = 1;
  int64_t max_deploys = 40;
  std::vector<std::pair<std::string, int>> pids;
  std::string json_out;
};

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string f = argv[i];
    if (i + 1 >= argc) Die("missing a value for " + f);
    const std::string v = argv[++i];
    if (f == "--duration")
      a.duration = std::atof(v.c_str());
    else if (f == "--peak-seconds")
      a.peak_seconds = std::atof(v.c_str());
    else if (f == "--load")
      a.load = std::atof(v.c_str());
    else if (f == "--warmup")
      a.warmup = std::atof(v.c_str());
    else if (f == "--max-rss-growth")
      a.max_growth = std::atof(v.c_str());
    else if (f == "--threads")
      a.threads = std::atoi(v.c_str());
    else if (f == "--workers")
      a.workers = std::atoi(v.c_str());
    else if (f == "--cvms")
      a.cvms = std::atoi(v.c_str());
    else if (f == "--deploy-weight")
      a.deploy_weight = std::atoi(v.c_str());
    else if (f == "--max-deploys")
      a.max_deploys = std::atoll(v.c_str());
    else if (f == "--json-out")
      a.json_out = v;
    else if (f == "--pid") {
      const size_t eq = v.find('=');
      if (eq == std::string::npos) Die("--pid name=PID");
      a.pids.emplace_back(v.substr(0, eq), std::atoi(v.c_str() + eq + 1));
    } else {
      Die("unknown flag " + f);
    }
  }
  if (!(a.duration >= 5) || !(a.peak_seconds >= 2) || !(a.load > 0 && a.load <= 1) ||
      !(a.warmup > 0 && a.warmup < 1) || a.threads < 1 || a.workers < 1 || a.cvms < 2 ||
      a.deploy_weight < 0 || a.max_deploys < 0 || a.pids.empty()) {
    Die("--duration ≥ 5, --peak-seconds ≥ 2, --load (0,1], --warmup (0,1), --threads ≥ 1, "
        "--workers ≥ 1, --cvms ≥ 2, --deploy-weight ≥ 0, --max-deploys ≥ 0, at least one "
        "--pid name=PID");
  }
  return a;
}

void Setup(Stack& s, int cvms) {
  Client c(s.api_url, s.api_key);
  // The KMS contract, from a provision's answer (not committed: it expires).
  {
    json prov = {{"name", "soak-probe"},
                 {"compose_file", {{"docker_compose_file", kComposeA}}},
                 {"kms_id", "anvil"},
                 {"node", "node-1"}};
    Http r = c.Call("POST", "/cvms/provision", &prov);
    if (r.code != 200) Die(Why("setup provision", r, 200));
    json p = json::parse(r.body, nullptr, false);
    absl::StatusOr<Address> kms =
        HexDecodeFixed<20>(p["kms_info"].value("kms_contract_address", ""), "kms_contract_address");
    absl::StatusOr<Hash32> device = ParseHash32(p.value("device_id", ""), "device_id");
    if (!kms.ok() || !device.ok()) Die("setup: provision without KMS contract or device");
    s.kms_contract = *kms;
    s.device = *device;
  }
  for (int i = 0; i < cvms; ++i) {
    Cvm cvm;
    if (std::string err = Deploy(s, c, &cvm); !err.empty()) Die("setup " + err);
    // The second compose: prepared, registered on chain by the owner, committed.
    std::string token, hash;
    if (std::string err = Prepare(c, cvm.id, kComposeB, &token, &hash); !err.empty()) {
      Die("setup " + err);
    }
    absl::StatusOr<SentTx> sent =
        s.txm->Send({.signer = s.deployer,
                     .to = cvm.app,
                     .data = dstack_app::AddComposeHash(*ParseHash32(hash))});
    if (!sent.ok()) Die("setup addComposeHash: " + sent.status().ToString());
    absl::StatusOr<Receipt> rc = s.txm->WaitForReceipt(sent->hash, 1, absl::Seconds(60));
    if (!rc.ok() || !rc->success) Die("setup addComposeHash: no successful receipt");
    if (std::string err = CommitUpdate(c, cvm.id, token, hash); !err.empty()) Die("setup " + err);
    cvm.hash_b = hash;
    cvm.on_b = true;
    s.read_ids.push_back(cvm.id);
    if (i % 2 == 0) {
      s.commit_free.push_back(s.commit_pool.size());
      s.commit_pool.push_back(cvm);
    } else {
      s.prepare_pool.push_back(cvm);
    }
  }
}

struct Summary {
  double seconds = 0;
  int64_t ops = 0, errors = 0;
};

Summary Totals(Record& rec, double seconds) {
  Summary out{.seconds = seconds};
  std::lock_guard<std::mutex> lock(rec.mu);
  for (int op = 0; op < kOps; ++op) {
    out.ops += static_cast<int64_t>(rec.lat[op].size());
    out.errors += rec.errors[op];
  }
  return out;
}

// Closed loop: `threads` workers back to back; ops/s over the part after the first 20 %.
double Peak(Stack& s, const std::vector<Op>& mix, int threads, double seconds, Record& rec) {
  std::atomic<uint64_t> next{0};
  std::atomic<int64_t> counted{0};
  const auto t0 = Steady::now();
  const auto from = t0 + std::chrono::duration_cast<Steady::duration>(
                             std::chrono::duration<double>(seconds * 0.2));
  const auto until =
      t0 + std::chrono::duration_cast<Steady::duration>(std::chrono::duration<double>(seconds));
  std::vector<std::thread> pool;
  pool.reserve(static_cast<size_t>(threads));
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      Client c(s.api_url, s.api_key);
      while (Steady::now() < until) {
        const uint64_t n = next++;
        const Op op = Slot(s, mix, n, Ms(Steady::now() - t0) / 1000 / seconds, s.max_deploys / 4);
        const auto a = Steady::now();
        const std::string err = Run(s, c, op, n);
        const auto b = Steady::now();
        rec.Add(op, Ms(b - a), err);
        if (a >= from && b <= until) ++counted;
      }
    });
  }
  for (std::thread& th : pool) th.join();
  return static_cast<double>(counted.load()) / (seconds * 0.8);
}

std::string Fmt(double v, int prec = 1) { return absl::StrFormat("%.*f", prec, v); }

int Main(int argc, char** argv) {
  const Args args = Parse(argc, argv);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  Stack s;
  s.api_url = Env("CHAINKMS_API_URL");
  s.api_key = Env("CHAINKMS_API_KEY");
  s.rpc_url = Env("ETH_RPC_URL");
  s.ca_spki = Env("SOAK_CA_SPKI");
  s.os_image = Env("SOAK_OS_IMAGE");
  s.kms =
      pb::Kms::NewStub(grpc::CreateChannel(Env("SOAK_KMS"), grpc::InsecureChannelCredentials()));
  s.rpc = std::make_unique<JsonRpcClient>(
      std::make_shared<CurlTransport>(CurlTransport::Options{.url = s.rpc_url}));
  s.txm = std::make_unique<TxManager>(*s.rpc, kChainId, SystemClock::Get(),
                                      TxManagerOptions{.poll_interval = absl::Milliseconds(20)});
  {
    absl::StatusOr<Bytes> key = HexDecode(Env("SOAK_DEPLOYER_KEY"));
    absl::StatusOr<Secp256k1PrivateKey> k =
        key.ok() ? Secp256k1PrivateKey::FromBytes(*key) : key.status();
    if (!k.ok()) Die("SOAK_DEPLOYER_KEY: not a private key");
    s.deployer = std::make_shared<LocalKeySigner>(*std::move(k));
  }

  s.max_deploys = args.max_deploys;
  const auto setup0 = Steady::now();
  Setup(s, args.cvms);
  std::cout << "setup: " << args.cvms << " CVMs deployed and updated once (" << s.commit_pool.size()
            << " take commits, " << s.prepare_pool.size() << " prepares) in "
            << Fmt(Ms(Steady::now() - setup0) / 1000, 1) << " s" << std::endl;
  const std::vector<Op> mix = Mix(args.deploy_weight);

  Record peak_rec;
  const double peak = Peak(s, mix, args.threads, args.peak_seconds, peak_rec);
  const Summary ps = Totals(peak_rec, args.peak_seconds);
  std::cout << "peak: " << Fmt(peak) << " ops/s closed loop (" << args.threads << " workers, "
            << args.peak_seconds << " s, " << ps.errors << " errors)" << std::endl;
  if (ps.errors > 0) {
    for (const std::string& e : peak_rec.samples) std::cout << "  error: " << e << "\n";
  }
  const double rate = args.load * peak;
  if (!(rate > 0)) Die("no throughput measured");

  // RSS sampler: one sample a second from the start of the soak.
  std::vector<std::vector<int64_t>> rss(args.pids.size());
  std::atomic<bool> stop{false};
  std::mutex rss_mu;
  std::thread sampler([&] {
    auto next = Steady::now();
    while (!stop.load()) {
      {
        std::lock_guard<std::mutex> lock(rss_mu);
        for (size_t i = 0; i < args.pids.size(); ++i) rss[i].push_back(RssKiB(args.pids[i].second));
      }
      next += std::chrono::seconds(1);
      std::this_thread::sleep_until(next);  // the sampling period, not a synchronisation
    }
  });

  // Open loop at `rate`.
  s.deploys = 0;
  Record rec;
  const auto total = static_cast<int64_t>(rate * args.duration);
  std::atomic<int64_t> next{0};
  const auto t0 = Steady::now();
  const auto at = [&](int64_t i) {
    return t0 + std::chrono::duration_cast<Steady::duration>(
                    std::chrono::duration<double>(static_cast<double>(i) / rate));
  };
  std::vector<std::thread> pool;
  pool.reserve(static_cast<size_t>(args.workers));
  for (int t = 0; t < args.workers; ++t) {
    pool.emplace_back([&] {
      Client c(s.api_url, s.api_key);
      for (int64_t i = next++; i < total; i = next++) {
        const auto due = at(i);
        std::this_thread::sleep_until(due);  // the schedule
        const Op op = Slot(s, mix, static_cast<uint64_t>(i),
                           static_cast<double>(i) / static_cast<double>(total), s.max_deploys);
        const std::string err = Run(s, c, op, static_cast<uint64_t>(i));
        rec.Add(op, Ms(Steady::now() - due), err);
      }
    });
  }
  // Progress every 10 s: ops done, errors, the last window's p99, RSS.
  {
    size_t seen[kOps] = {};
    for (int tick = 1;; ++tick) {
      const auto when = t0 + std::chrono::seconds(10 * tick);
      bool done = false;
      while (Steady::now() < when) {
        if (next.load() >= total + args.workers) {
          done = true;
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      if (done) break;
      std::vector<double> window;
      int64_t ops = 0, errors = 0;
      {
        std::lock_guard<std::mutex> lock(rec.mu);
        for (int op = 0; op < kOps; ++op) {
          window.insert(window.end(), rec.lat[op].begin() + static_cast<long>(seen[op]),  // NOLINT
                        rec.lat[op].end());
          seen[op] = rec.lat[op].size();
          ops += static_cast<int64_t>(seen[op]);
          errors += rec.errors[op];
        }
      }
      std::string line = absl::StrCat(
          "  t=", 10 * tick, "s ops=", ops, " errors=", errors,
          " rate=", Fmt(static_cast<double>(window.size()) / 10),
          "/s p99=", window.empty() ? "-" : Fmt(bench::Percentile(window, 0.99)), "ms rss_mib");
      {
        std::lock_guard<std::mutex> lock(rss_mu);
        for (size_t i = 0; i < args.pids.size(); ++i) {
          absl::StrAppend(&line, " ", args.pids[i].first, "=",
                          Fmt(rss[i].empty() ? 0 : static_cast<double>(rss[i].back()) / 1024));
        }
      }
      std::cout << line << std::endl;
    }
  }
  for (std::thread& th : pool) th.join();
  const double elapsed = Ms(Steady::now() - t0) / 1000;
  stop = true;
  sampler.join();

  // Every commit CVM ends running the compose it last committed (poll, 60 s deadline).
  int64_t final_errors = 0;
  {
    Client c(s.api_url, s.api_key);
    const auto deadline = Steady::now() + std::chrono::seconds(60);
    for (const Cvm& cvm : s.commit_pool) {
      const std::string want = cvm.on_b ? cvm.hash_b : cvm.hash_a;
      std::string got;
      while (true) {
        Http r = c.Call("GET", "/cvms/" + cvm.id);
        json j = json::parse(r.body, nullptr, false);
        got = absl::StrCat(j.value("status", "?"), " ", j.value("compose_hash", "?"));
        if (r.code == 200 && got == "running " + want) break;
        if (Steady::now() > deadline) {
          ++final_errors;
          rec.samples.push_back(
              absl::StrCat("final: ", cvm.id, " is ", got, ", want running ", want));
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
  }

  // The report.
  json out = {{"peak_ops_per_s", peak},
              {"target_ops_per_s", rate},
              {"duration_s", elapsed},
              {"workers", args.workers}};
  std::vector<double> all;
  int64_t errors = final_errors;
  std::cout << "\nsoak: " << Fmt(elapsed) << " s open loop at " << Fmt(rate) << " ops/s ("
            << Fmt(args.load * 100, 0) << " % of the peak " << Fmt(peak) << " ops/s)\n\n";
  std::cout << absl::StrFormat("| %-10s | %8s | %6s | %9s | %9s |\n", "operation", "count",
                               "errors", "p50 (ms)", "p99 (ms)");
  std::cout << "|------------|---------:|-------:|----------:|----------:|\n";
  for (int op = 0; op < kOps; ++op) {
    const std::vector<double>& v = rec.lat[op];
    all.insert(all.end(), v.begin(), v.end());
    errors += rec.errors[op];
    const double p50 = v.empty() ? 0 : bench::Percentile(v, 0.5);
    const double p99 = v.empty() ? 0 : bench::Percentile(v, 0.99);
    std::cout << absl::StrFormat("| %-10s | %8d | %6d | %9.1f | %9.1f |\n", kOpName[op], v.size(),
                                 rec.errors[op], p50, p99);
    out["ops"][kOpName[op]] = {
        {"count", v.size()}, {"errors", rec.errors[op]}, {"p50_ms", p50}, {"p99_ms", p99}};
  }
  const double p50 = all.empty() ? 0 : bench::Percentile(all, 0.5);
  const double p99 = all.empty() ? 0 : bench::Percentile(all, 0.99);
  const double achieved = static_cast<double>(all.size()) / elapsed;
  std::cout << absl::StrFormat("| %-10s | %8d | %6d | %9.1f | %9.1f |\n", "all", all.size(), errors,
                               p50, p99);
  std::cout << "\nthroughput: " << Fmt(achieved) << " ops/s (target " << Fmt(rate)
            << "); errors: " << errors << " (goal 0)\n\n";
  out["achieved_ops_per_s"] = achieved;
  out["p50_ms"] = p50;
  out["p99_ms"] = p99;
  out["errors"] = errors;

  const auto warm = static_cast<size_t>(args.warmup * elapsed);
  bool grew = false;
  std::cout << absl::StrFormat("| %-12s | %10s | %16s | %10s | %8s | %10s |\n", "process",
                               "start MiB", "warm-up end MiB", "end MiB", "growth", "max MiB");
  std::cout
      << "|--------------|-----------:|-----------------:|-----------:|---------:|-----------:|\n";
  for (size_t i = 0; i < args.pids.size(); ++i) {
    const std::vector<int64_t>& v = rss[i];
    if (v.size() < 2 || v.back() == 0) {
      std::cout << "| " << args.pids[i].first << " | process gone |\n";
      grew = true;
      continue;
    }
    const double start = static_cast<double>(v.front()) / 1024;
    const double w = static_cast<double>(v[std::min(warm, v.size() - 1)]) / 1024;
    const double end = static_cast<double>(v.back()) / 1024;
    const double max = static_cast<double>(*std::max_element(v.begin(), v.end())) / 1024;
    const double growth = (end - w) / w * 100;
    if (growth > args.max_growth) grew = true;
    std::cout << absl::StrFormat("| %-12s | %10.1f | %16.1f | %10.1f | %+7.1f%% | %10.1f |\n",
                                 args.pids[i].first, start, w, end, growth, max);
    out["rss_mib"][args.pids[i].first] = {
        {"start", start}, {"warmup_end", w}, {"end", end}, {"growth_pct", growth}, {"max", max}};
  }
  std::cout << "(warm-up end = sample at " << warm << " s; goal ≤ " << Fmt(args.max_growth, 0)
            << " % growth from there to the end)\n";
  for (const std::string& e : rec.samples) std::cout << "error: " << e << "\n";
  const bool ok = errors == 0 && !grew;
  out["ok"] = ok;
  std::cout << "\n" << out.dump() << "\n";
  if (!args.json_out.empty()) std::ofstream(args.json_out) << out.dump(2) << "\n";
  std::cout << (ok ? "OK: no errors, RSS flat after warm-up\n"
                   : "FAIL: errors or RSS growth over the goal\n");
  curl_global_cleanup();
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace chainkms

int main(int argc, char** argv) {
  try {
    return chainkms::Main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "chainkms_soak_load: " << e.what() << "\n";
    return 2;
  }
}
