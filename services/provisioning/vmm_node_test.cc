// The dstack-vmm node driver against FakeVmm — an in-memory dstack VMM speaking its prpc API
// (POST /prpc/<Method>?json, HTTP 400 {"error": …} on failure) on HttpTestServer — plus a bare
// unix-socket server for unix: URLs, and the node spec keys of driver=dstack-vmm. Every wait is on
// a condition with a deadline; the watcher polls every 20 ms.
#include "services/provisioning/vmm_node.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/common/sync.h"
#include "lib/testing/http_test_server.h"
#include "lib/testing/temp_dir.h"
#include "nlohmann/json.hpp"

namespace chainkms::provisioning {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using Json = nlohmann::json;

// A dstack VMM in memory: CreateVm (starts the VM), StartVm, StopVm, RemoveVm (refused while
// running), UpgradeApp and GetInfo, with the VMM's name check. Records every request.
class FakeVmm {
 public:
  struct Request {
    std::string method;
    Json body;
  };
  struct Vm {
    std::string status, boot_error, compose;
  };

  FakeVmm()
      : server_([this](const std::string& target, const std::string& body) {
          return Handle(target, body);
        }) {}

  absl::Status Start() { return server_.Start(); }
  std::string url() const { return absl::StrCat("http://127.0.0.1:", server_.port()); }

  // The requests received but GetInfo (the watcher's polls).
  std::vector<Request> requests() const {
    chainkms::MutexLock lock(&mu_);
    std::vector<Request> out;
    for (const Request& r : requests_) {
      if (r.method != "GetInfo") out.push_back(r);
    }
    return out;
  }
  std::vector<std::string> methods() const {
    std::vector<std::string> out;
    for (const Request& r : requests()) out.push_back(r.method);
    return out;
  }
  // The next call of `method` answers HTTP 400 {"error": error}.
  void FailNext(const std::string& method, const std::string& error) {
    chainkms::MutexLock lock(&mu_);
    fail_next_[method] = error;
  }
  // The VM's process ends after the guest reported `boot_error` (as a KMS denial does), or the VM
  // is removed behind the driver's back (nullopt).
  void Exit(const std::string& id, std::optional<std::string> boot_error) {
    chainkms::MutexLock lock(&mu_);
    if (!boot_error) vms_.erase(id);
    if (boot_error) vms_[id].status = "exited", vms_[id].boot_error = *boot_error;
  }
  std::optional<Vm> vm(const std::string& id) const {
    chainkms::MutexLock lock(&mu_);
    auto it = vms_.find(id);
    return it == vms_.end() ? std::nullopt : std::optional<Vm>(it->second);
  }

 private:
  using Response = testutil::HttpTestServer::Response;

  static Response Error(const std::string& message) {
    return Response{.status = 400, .body = Json{{"error", message}}.dump()};
  }

  Response Handle(const std::string& target, const std::string& body) {
    if (!absl::StartsWith(target, "/prpc/") || !absl::EndsWith(target, "?json")) {
      return Response{.status = 404, .body = "not found"};
    }
    const std::string method = target.substr(6, target.size() - 6 - 5);
    Json req = Json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (!req.is_object()) return Error("invalid json");
    chainkms::MutexLock lock(&mu_);
    requests_.push_back({method, req});
    if (auto it = fail_next_.find(method); it != fail_next_.end()) {
      const std::string error = it->second;
      fail_next_.erase(it);
      return Error(error);
    }
    const std::string id = req.value("id", "");
    if (method == "CreateVm") {
      const std::string name = req.value("name", "");
      if (name.find_first_not_of(
              "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
          std::string::npos) {
        return Error("Invalid name: " + name);
      }
      const std::string new_id = absl::StrCat("5c2f1b9e-0000-4000-8000-00000000000", ++created_);
      vms_[new_id] = Vm{.status = "running", .compose = req.value("compose_file", "")};
      return Response{.body = Json{{"id", new_id}}.dump()};
    }
    auto it = vms_.find(id);
    if (method == "GetInfo") {
      if (it == vms_.end()) return Response{.body = R"({"found":false})"};
      const Json info = {
          {"id", id}, {"status", it->second.status}, {"boot_error", it->second.boot_error}};
      return Response{.body = Json{{"found", true}, {"info", info}}.dump()};
    }
    if (it == vms_.end()) return Error("VM not found");
    Vm& vm = it->second;
    if (method == "StartVm") {
      vm.status = "running";
      vm.boot_error.clear();  // a start clears the previous boot's progress and error
    } else if (method == "StopVm") {
      vm.status = "stopped";
    } else if (method == "RemoveVm") {
      if (vm.status == "running") return Error("VM is running, stop it first");
      vms_.erase(it);
    } else if (method == "UpgradeApp") {
      vm.compose = req.value("compose_file", vm.compose);
      return Response{.body = R"({"id":""})"};
    } else {
      return Response{.status = 404, .body = "no such method"};
    }
    return Response{.body = "{}"};
  }

  mutable chainkms::Mutex mu_;
  std::vector<Request> requests_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> fail_next_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Vm> vms_ ABSL_GUARDED_BY(mu_);
  int created_ ABSL_GUARDED_BY(mu_) = 0;
  testutil::HttpTestServer server_;  // last: stopped before the state it uses goes away
};

// The sink's reports, by CVM id, in order.
class Reports {
 public:
  StatusSink sink() {
    return [this](const std::string& id, const std::string& status, const std::string& reason) {
      chainkms::MutexLock lock(&mu_);
      got_[id].emplace_back(status, reason);
      cv_.SignalAll();
    };
  }
  // The reason of the report of `status` for `id` after `skip` earlier ones of it, waiting up to
  // 20 s. nullopt on timeout.
  std::optional<std::string> WaitFor(const std::string& id, const std::string& status,
                                     int skip = 0) {
    chainkms::MutexLock lock(&mu_);
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (true) {
      int seen = 0;
      for (const auto& [s, r] : got_[id]) {
        if (s == status && seen++ == skip) return r;
      }
      if (absl::Now() >= deadline) return std::nullopt;
      cv_.WaitWithTimeout(&mu_, deadline - absl::Now());
    }
  }
  std::vector<std::string> StatusesOf(const std::string& id) {
    chainkms::MutexLock lock(&mu_);
    std::vector<std::string> out;
    for (const auto& [s, r] : got_[id]) out.push_back(s);
    return out;
  }

 private:
  chainkms::Mutex mu_;
  chainkms::CondVar cv_;
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> got_;
};

std::string Spec(const std::string& extra, const std::string& name = "n1") {
  return absl::StrCat(name, ";device_id=0x", std::string(64, 'd'), ";os_image_hash=0x",
                      std::string(64, '5'), extra);
}

// A node "vmm-1" on the VMM at `url`, as --node gives it.
NodeConfig VmmNode(const std::string& url) {
  return ParseNodeSpecs(Spec(";driver=dstack-vmm;vmm_url=" + url +
                                 ";image=dstack-0.5.4;vcpu=2;memory=4096;disk=40",
                             "vmm-1"))
      .value()[0];
}

VmmNodeOptions FastPolls() { return {.poll_interval = absl::Milliseconds(20)}; }

CvmLaunch Launch(const std::string& id, const std::string& compose, Bytes env = {0x01, 0x02}) {
  return {.cvm_id = id,
          .name = "my-app",
          .app_id = *Address::TryFrom(Bytes(20, 0xab)),
          .app_compose = compose,
          .encrypted_env = std::move(env),
          .kms_url = "https://kms.example:8000",
          .chain_id = 31337};
}

// Bytes a re-serialisation would change: escapes, non-ASCII, key order, trailing newline.
constexpr char kCompose[] =
    "{\"manifest_version\":2,\"name\":\"my-app\",\"z\":\"caf\xc3\xa9 \\\"q\\\"\\n\",\"a\":1}\n";

class DstackVmmNodeTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(vmm_.Start().ok()); }
  // A driver on the fake VMM, its cvm_1 started with `compose` and reported running.
  std::unique_ptr<DstackVmmNodeDriver> Running(const std::string& compose = "{}") {
    auto driver =
        std::make_unique<DstackVmmNodeDriver>(VmmNode(vmm_.url()), FastPolls(), reports_.sink());
    EXPECT_TRUE(driver->Start(Launch("cvm_1", compose)).ok());
    EXPECT_TRUE(reports_.WaitFor("cvm_1", "running").has_value());
    return driver;
  }

  FakeVmm vmm_;
  Reports reports_;
};

TEST_F(DstackVmmNodeTest, StartCreatesTheVmAndReportsStartingThenRunning) {
  std::unique_ptr<DstackVmmNodeDriver> driver = Running(kCompose);
  EXPECT_THAT(reports_.StatusesOf("cvm_1"), ElementsAre("starting", "running"));
  EXPECT_EQ(*driver->Status("cvm_1"), "running");
  const std::vector<FakeVmm::Request> requests = vmm_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "CreateVm");
  const Json& create = requests[0].body;
  EXPECT_EQ(create["name"], "my-app");
  EXPECT_EQ(create["image"], "dstack-0.5.4");
  EXPECT_EQ(create["compose_file"].get<std::string>(), std::string(kCompose));
  EXPECT_EQ(create["encrypted_env"], "0102");
  std::string app_id;
  for (int i = 0; i < 20; ++i) app_id += "ab";
  EXPECT_EQ(create["app_id"], app_id);  // 40 hex, no 0x
  EXPECT_EQ(create["kms_urls"], Json::array({"https://kms.example:8000"}));
  EXPECT_EQ(create["vcpu"], 2);
  EXPECT_EQ(create["memory"], 4096);
  EXPECT_EQ(create["disk_size"], 40);
  EXPECT_EQ(create["ports"], Json::array());
  ASSERT_TRUE(vmm_.vm(driver->VmId("cvm_1")).has_value());
  EXPECT_EQ(vmm_.vm(driver->VmId("cvm_1"))->compose, kCompose);
}

TEST_F(DstackVmmNodeTest, RestartUpgradesTheAppThenRebootsTheVm) {
  std::unique_ptr<DstackVmmNodeDriver> driver = Running("{\"v\":1}");
  const std::string vm = driver->VmId("cvm_1");

  ASSERT_TRUE(driver->Restart(Launch("cvm_1", "{\"v\":2}\n", {0x09, 0xfe})).ok());
  EXPECT_THAT(vmm_.methods(), ElementsAre("CreateVm", "UpgradeApp", "StopVm", "StartVm"));
  const std::vector<FakeVmm::Request> requests = vmm_.requests();
  EXPECT_EQ(requests[1].body,
            (Json{{"id", vm}, {"compose_file", "{\"v\":2}\n"}, {"encrypted_env", "09fe"}}));
  EXPECT_EQ(requests[2].body, (Json{{"id", vm}}));
  EXPECT_EQ(requests[3].body, (Json{{"id", vm}}));
  EXPECT_EQ(vmm_.vm(vm)->compose, "{\"v\":2}\n");
  ASSERT_TRUE(reports_.WaitFor("cvm_1", "running", 1).has_value());
  EXPECT_THAT(reports_.StatusesOf("cvm_1"),
              ElementsAre("starting", "running", "starting", "running"));
  EXPECT_EQ(driver->VmId("cvm_1"), vm);  // the same VM, not a second one

  EXPECT_EQ(driver->Restart(Launch("cvm_2", "{}")).code(), absl::StatusCode::kNotFound);
}

TEST_F(DstackVmmNodeTest, StopStopsThenRemovesTheVm) {
  std::unique_ptr<DstackVmmNodeDriver> driver = Running();
  const std::string vm = driver->VmId("cvm_1");

  ASSERT_TRUE(driver->Stop("cvm_1").ok());
  EXPECT_THAT(vmm_.methods(), ElementsAre("CreateVm", "StopVm", "RemoveVm"));
  EXPECT_EQ(vmm_.requests()[2].body, (Json{{"id", vm}}));
  EXPECT_FALSE(vmm_.vm(vm).has_value());
  EXPECT_THAT(reports_.StatusesOf("cvm_1"), ElementsAre("starting", "running", "stopped"));
  EXPECT_EQ(*driver->Status("cvm_1"), "stopped");
  EXPECT_EQ(driver->VmId("cvm_1"), "");
  EXPECT_EQ(driver->Stop("cvm_2").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(driver->Status("cvm_2").status().code(), absl::StatusCode::kNotFound);

  // Started again, it gets a new VM.
  ASSERT_TRUE(driver->Restart(Launch("cvm_1", "{}")).ok());
  EXPECT_NE(driver->VmId("cvm_1"), vm);
  EXPECT_EQ(vmm_.methods().back(), "CreateVm");
}

TEST_F(DstackVmmNodeTest, ABootErrorIsABootFailureWithTheReason) {
  std::unique_ptr<DstackVmmNodeDriver> driver = Running();
  vmm_.Exit(driver->VmId("cvm_1"), "Boot denied: Compose hash not allowed");
  EXPECT_EQ(reports_.WaitFor("cvm_1", "boot_failed"), "Boot denied: Compose hash not allowed");
  EXPECT_EQ(*driver->Status("cvm_1"), "boot_failed");
}

TEST_F(DstackVmmNodeTest, AVmRemovedBehindItsBackIsStopped) {
  std::unique_ptr<DstackVmmNodeDriver> driver = Running();
  vmm_.Exit(driver->VmId("cvm_1"), std::nullopt);
  EXPECT_EQ(reports_.WaitFor("cvm_1", "stopped"), "the VM is no longer on the dstack VMM");
}

TEST_F(DstackVmmNodeTest, AnUnreachableVmmIsUnavailableAndNamed) {
  const std::string url = absl::StrCat("http://127.0.0.1:", testutil::UnusedLoopbackPort());
  DstackVmmNodeDriver driver(VmmNode(url), FastPolls(), reports_.sink());
  const absl::Status s = driver.Start(Launch("cvm_1", "{}"));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("dstack VMM " + url));
  EXPECT_THAT(std::string(s.message()), HasSubstr("CreateVm"));
  EXPECT_THAT(reports_.StatusesOf("cvm_1"), ElementsAre());
  EXPECT_EQ(driver.Status("cvm_1").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(DstackVmmNodeTest, AVmmRefusalIsAFailedPreconditionWithItsText) {
  DstackVmmNodeDriver driver(VmmNode(vmm_.url()), FastPolls(), reports_.sink());
  vmm_.FailNext("CreateVm", "Failed to load image: No such file or directory");
  absl::Status s = driver.Start(Launch("cvm_1", "{}"));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_EQ(s.message(), "dstack VMM CreateVm: Failed to load image: No such file or directory");
  EXPECT_EQ(driver.VmId("cvm_1"), "");

  ASSERT_TRUE(driver.Start(Launch("cvm_1", "{}")).ok());
  vmm_.FailNext("UpgradeApp", "Invalid compose file");
  s = driver.Restart(Launch("cvm_1", "not json"));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("Invalid compose file"));
  EXPECT_EQ(vmm_.methods().back(), "UpgradeApp");  // neither stopped nor started
}

TEST_F(DstackVmmNodeTest, ThePoolBuildsDstackVmmDrivers) {
  absl::StatusOr<std::unique_ptr<NodePool>> pool =
      NodePool::Create({VmmNode(vmm_.url())}, reports_.sink(), {}, FastPolls());
  ASSERT_TRUE(pool.ok()) << pool.status();
  EXPECT_NE(dynamic_cast<DstackVmmNodeDriver*>((*pool)->driver("vmm-1")), nullptr);
  NodeConfig bad = VmmNode(vmm_.url());
  bad.driver = "qemu";
  EXPECT_THAT(std::string(NodePool::Create({bad}, reports_.sink()).status().message()),
              HasSubstr("unknown driver \"qemu\" (fake, local, dstack-vmm)"));
}

TEST(VmmMappingTest, MapsStatusesAndNames) {
  using P = std::pair<std::string, std::string>;
  EXPECT_EQ(MapVmmStatus("running", ""), (P{"running", ""}));
  EXPECT_EQ(MapVmmStatus("stopped", ""), (P{"stopped", ""}));
  EXPECT_EQ(MapVmmStatus("stopping", ""), (P{"stopped", ""}));
  EXPECT_EQ(MapVmmStatus("removing", ""), (P{"stopped", ""}));
  EXPECT_EQ(MapVmmStatus("exited", "denied"), (P{"boot_failed", "denied"}));
  EXPECT_EQ(MapVmmStatus("stopped", "denied"), (P{"boot_failed", "denied"}));
  EXPECT_EQ(MapVmmStatus("exited", "").first, "boot_failed");
  EXPECT_EQ(MapVmmStatus("", ""), (P{"starting", ""}));
  EXPECT_EQ(MapVmmStatus("something-new", ""), (P{"starting", ""}));
  EXPECT_EQ(VmmVmName("my app.v2/\xc3\xa9"), "my-app-v2---");  // the VMM takes [A-Za-z0-9_-]
  EXPECT_EQ(VmmVmName("ok_Name-1"), "ok_Name-1");
}

// A unix socket listening at `path` (-1 on failure).
int ListenUnix(const std::string& path) {
  sockaddr_un addr{.sun_family = AF_UNIX, .sun_path = {}};
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || path.size() >= sizeof(addr.sun_path)) return -1;
  path.copy(addr.sun_path, path.size());
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 && ::listen(fd, 1) == 0) {
    return fd;
  }
  ::close(fd);
  return -1;
}

// A bare HTTP server for one request on `fd` (waited for up to 20 s): answers it with `answer`
// (Connection: close) and returns it raw.
std::string ServeOnce(int fd, const std::string& answer) {
  pollfd p{fd, POLLIN, 0};
  const int c = ::poll(&p, 1, 20000) == 1 ? ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC) : -1;
  if (c < 0) return "";
  timeval tv{.tv_sec = 20, .tv_usec = 0};
  ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  std::string req;
  char buf[4096];
  for (size_t need = std::string::npos; need == std::string::npos || req.size() < need;) {
    const ssize_t n = ::recv(c, buf, sizeof(buf), 0);
    if (n <= 0) break;
    req.append(buf, static_cast<size_t>(n));
    const size_t end = req.find("\r\n\r\n");
    const size_t at = req.find("Content-Length: ");
    if (end != std::string::npos && at < end) {
      need = end + 4 + std::strtoul(req.c_str() + at + 16, nullptr, 10);
    }
  }
  const std::string out = absl::StrCat("HTTP/1.1 200 OK\r\nContent-Length: ", answer.size(),
                                       "\r\nConnection: close\r\n\r\n", answer);
  (void)::send(c, out.data(), out.size(), MSG_NOSIGNAL);
  ::close(c);
  return req;
}

TEST(DstackVmmUnixSocketTest, TalksToAVmmOnAUnixSocketWithABearerToken) {
  testutil::TempDir dir;
  const int fd = ListenUnix(dir.path() + "/vmm.sock");
  ASSERT_GE(fd, 0);
  std::string got;  // the server thread's, read after the join
  std::thread server([&] { got = ServeOnce(fd, R"({"id":"vm-over-unix"})"); });
  Reports reports;
  {
    // No poll during the test: the watcher waits an hour (and wakes at once on destruction).
    DstackVmmNodeDriver driver(VmmNode("unix:" + dir.path() + "/vmm.sock"),
                               {.poll_interval = absl::Hours(1), .bearer_token = "s3cret"},
                               reports.sink());
    EXPECT_TRUE(driver.Start(Launch("cvm_1", "{}")).ok());
    EXPECT_EQ(driver.VmId("cvm_1"), "vm-over-unix");
  }
  server.join();
  ::close(fd);
  EXPECT_THAT(got, StartsWith("POST /prpc/CreateVm?json HTTP/1.1\r\n"));
  EXPECT_THAT(got, HasSubstr("\r\nAuthorization: Bearer s3cret\r\n"));
  EXPECT_THAT(got, HasSubstr("\r\nContent-Type: application/json\r\n"));
  EXPECT_THAT(got, HasSubstr("\"compose_file\":\"{}\""));
}

TEST(NodeSpecTest, ParsesADstackVmmNode) {
  absl::StatusOr<std::vector<NodeConfig>> nodes = ParseNodeSpecs(
      Spec(";driver=dstack-vmm;vmm_url=http://127.0.0.1:9080;image=dstack-0.5.4;vcpu=2;"
           "memory=4096;disk=40") +
      " " + Spec(";driver=dstack-vmm;vmm_url=unix:/run/vmm.sock;image=dstack-dev-0.5.4", "n2"));
  ASSERT_TRUE(nodes.ok()) << nodes.status();
  ASSERT_EQ(nodes->size(), 2u);
  const NodeConfig &a = (*nodes)[0], &b = (*nodes)[1];
  EXPECT_EQ(std::tie(a.driver, a.vmm_url, a.image, a.vcpu, a.memory_mb, a.disk_gb),
            std::make_tuple("dstack-vmm", "http://127.0.0.1:9080", "dstack-0.5.4", 2u, 4096u, 40u));
  EXPECT_EQ(std::tie(b.vmm_url, b.image, b.vcpu, b.memory_mb, b.disk_gb),
            std::make_tuple("unix:/run/vmm.sock", "dstack-dev-0.5.4", 1u, 2048u, 20u));  // defaults
  // A URL keeps everything after the first '='.
  nodes = ParseNodeSpecs(Spec(";driver=dstack-vmm;vmm_url=http://h:1/?a=b;image=x"));
  ASSERT_TRUE(nodes.ok()) << nodes.status();
  EXPECT_EQ((*nodes)[0].vmm_url, "http://h:1/?a=b");
}

TEST(NodeSpecTest, RefusesBadDstackVmmSpecs) {
  const std::string vmm = ";driver=dstack-vmm;vmm_url=http://127.0.0.1:9080;image=x";
  const std::string number = "must be a whole number from";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {";driver=dstack-vmm;image=dstack-0.5.4", "driver=dstack-vmm needs vmm_url=http://host:port"},
      {";driver=dstack-vmm;vmm_url=http://127.0.0.1:9080", "driver=dstack-vmm needs image="},
      {";driver=dstack-vmm;vmm_url=ftp://h;image=x", "vmm_url must be"},
      {";driver=dstack-vmm;vmm_url=tcp:0.0.0.0:9080;image=x", "vmm_url must be"},
      {";driver=dstack-vmm;vmm_url=http://h;image=../etc", "image must be"},
      {";vmm_url=http://127.0.0.1:9080;image=x", "for driver=dstack-vmm only"},
      {";driver=local;vcpu=2", "for driver=dstack-vmm only"},
      {vmm + ";vcpu=0", "vcpu " + number + " 1 to 1024"},
      {vmm + ";vcpu=two", number},
      {vmm + ";vcpu=", number},
      {vmm + ";vcpu=+2", number},
      {vmm + ";vcpu=1025", number},
      {vmm + ";memory=64", "memory " + number + " 128"},
      {vmm + ";memory=0x100", number},
      {vmm + ";disk=0", "disk " + number + " 1"},
      {vmm + ";disk=99999999999999999999", number},
  };
  for (const auto& [extra, want] : cases) {
    absl::StatusOr<std::vector<NodeConfig>> nodes = ParseNodeSpecs(Spec(extra));
    EXPECT_EQ(nodes.status().code(), absl::StatusCode::kInvalidArgument) << extra;
    EXPECT_THAT(std::string(nodes.status().message()), HasSubstr(want)) << extra;
  }
}

TEST(NodeSpecTest, OtherDriversAreUnchanged) {
  absl::StatusOr<std::vector<NodeConfig>> nodes =
      ParseNodeSpecs(Spec("") + " " + Spec(";driver=local", "n2"));
  ASSERT_TRUE(nodes.ok()) << nodes.status();
  EXPECT_EQ(std::tie((*nodes)[0].driver, (*nodes)[0].vmm_url), std::make_tuple("fake", ""));
  EXPECT_EQ((*nodes)[1].driver, "local");
  EXPECT_THAT(std::string(ParseNodeSpecs(Spec(";colour=blue")).status().message()),
              HasSubstr("unknown key \"colour\" (device_id, os_image_hash, driver"));
  EXPECT_THAT(std::string(ParseNodeSpecs("n1;device_id=0x12").status().message()),
              HasSubstr("device_id must be 0x + 64 hex digits"));
  EXPECT_THAT(
      std::string(ParseNodeSpecs(Spec(";driver=local") + " " + Spec("")).status().message()),
      HasSubstr("the name is used twice"));
}

}  // namespace
}  // namespace chainkms::provisioning
