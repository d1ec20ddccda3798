// The local node driver's process handling, with a shell script standing in for chainkms-cvm
// (the real one boots against a real kms in chainkms_stack_e2e). The script's behaviour is chosen
// by the compose bytes it is given: "run", "deny" or "exit".
#include "services/provisioning/local_node.h"

#include <signal.h>
#include <sys/stat.h>

#include <fstream>
#include <iterator>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/common/sync.h"
#include "lib/testing/temp_dir.h"

namespace chainkms::provisioning {
namespace {

using ::testing::HasSubstr;

constexpr char kFakeCvm[] = R"(#!/bin/sh
for a in "$@"; do
  case $a in
    --status-file=*) sf=${a#--status-file=} ;;
    --app-compose=*) ac=${a#--app-compose=} ;;
  esac
done
dir=$(dirname "$sf")
echo "$@" > "$dir/args"
echo $$ > "$dir/pid"
put() { printf '%s\n' "$1" > "$sf.tmp" && mv "$sf.tmp" "$sf"; }
case $(cat "$ac") in
  exit) exit 7 ;;
  deny) put '{"status":"boot_failed","reason":"Boot denied: Compose hash not allowed"}'; exit 3 ;;
esac
trap 'put "{\"status\":\"stopped\",\"reason\":\"\"}"; exit 0' TERM
put '{"status":"running","reason":""}'
while :; do sleep 1 & wait $!; done
)";

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

std::string Repeat(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

bool Alive(pid_t pid) { return kill(pid, 0) == 0; }

// True once `pid` is gone (its parent, another driver's watcher, reaps it), waiting up to 20 s.
bool Gone(pid_t pid) {
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (Alive(pid) && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
  return !Alive(pid);
}

template <size_t N>
FixedBytes<N> Filled(uint8_t b) {
  FixedBytes<N> out;
  out.bytes.fill(b);
  return out;
}

class Reports {
 public:
  StatusSink sink() {
    return [this](const std::string& id, const std::string& status, const std::string& reason) {
      chainkms::MutexLock lock(&mu_);
      got_.emplace_back(id, status, reason);
      cv_.SignalAll();
    };
  }
  // The reason of the first report of `status` for `id` after `skip` earlier ones of it,
  // waiting up to 20 s. nullopt on timeout.
  std::optional<std::string> WaitFor(const std::string& id, const std::string& status,
                                     int skip = 0) {
    chainkms::MutexLock lock(&mu_);
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (true) {
      int seen = 0;
      for (const auto& [i, s, r] : got_) {
        if (i == id && s == status && seen++ == skip) return r;
      }
      if (absl::Now() >= deadline) return std::nullopt;
      cv_.WaitWithTimeout(&mu_, deadline - absl::Now());
    }
  }

  // How many reports of `status` for `id` arrived so far (no waiting).
  int Count(const std::string& id, const std::string& status) {
    chainkms::MutexLock lock(&mu_);
    int n = 0;
    for (const auto& [i, s, r] : got_) n += (i == id && s == status) ? 1 : 0;
    return n;
  }

 private:
  chainkms::Mutex mu_;
  chainkms::CondVar cv_;
  std::vector<std::tuple<std::string, std::string, std::string>> got_;
};

class LocalNodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    script_ = dir_.path() + "/fake-cvm";
    std::ofstream(script_) << kFakeCvm;
    ASSERT_EQ(chmod(script_.c_str(), 0755), 0);
    node_.name = "node-1";
    node_.device_id = Filled<32>(0xdd);
    node_.os_image_hash = Filled<32>(0x05);
    node_.driver = "local";
  }
  LocalNodeOptions Options() {
    return {.cvm_binary = script_,
            .dir = dir_.path() + "/nodes",
            .stop_grace = absl::Seconds(5),
            .poll_interval = absl::Milliseconds(20)};
  }
  CvmLaunch Launch(const std::string& id, const std::string& compose) {
    return {.cvm_id = id,
            .name = "app",
            .app_id = Filled<20>(0xaa),
            .app_compose = compose,
            .encrypted_env = {0x01, 0x02},
            .kms_url = "http://127.0.0.1:1",
            .chain_id = 31337};
  }
  pid_t PidOf(const LocalNodeDriver& d, const std::string& id) {
    return static_cast<pid_t>(std::stol(Slurp(d.CvmDir(id) + "/pid")));
  }

  testutil::TempDir dir_;
  std::string script_;
  NodeConfig node_;
  Reports reports_;
};

TEST_F(LocalNodeTest, StartsRestartsAndStopsTheProcess) {
  LocalNodeDriver driver(node_, Options(), reports_.sink());
  ASSERT_TRUE(driver.Start(Launch("cvm_1", "run")).ok());
  ASSERT_TRUE(reports_.WaitFor("cvm_1", "starting").has_value());
  ASSERT_TRUE(reports_.WaitFor("cvm_1", "running").has_value());
  EXPECT_EQ(*driver.Status("cvm_1"), "running");
  const std::string dir = driver.CvmDir("cvm_1");
  EXPECT_EQ(Slurp(dir + "/app-compose.json"), "run");
  EXPECT_EQ(Slurp(dir + "/env.hex"), "0102");
  const std::string args = Slurp(dir + "/args");
  EXPECT_THAT(args, HasSubstr("--device-id=0x" + std::string(64, 'd')));
  EXPECT_THAT(args, HasSubstr("--os-image-hash=0x" + Repeat("05", 32)));
  EXPECT_THAT(args, HasSubstr("--app-id=0x" + std::string(40, 'a')));
  EXPECT_THAT(args, HasSubstr("--kms=http://127.0.0.1:1"));
  EXPECT_THAT(args, HasSubstr("--chain-id=31337"));
  const pid_t first = PidOf(driver, "cvm_1");

  ASSERT_TRUE(driver.Restart(Launch("cvm_1", "run\n")).ok());
  ASSERT_TRUE(reports_.WaitFor("cvm_1", "running", 1).has_value());
  EXPECT_FALSE(Alive(first));
  EXPECT_EQ(Slurp(dir + "/app-compose.json"), "run\n");
  const pid_t second = PidOf(driver, "cvm_1");
  EXPECT_NE(second, first);

  ASSERT_TRUE(driver.Stop("cvm_1").ok());
  ASSERT_TRUE(reports_.WaitFor("cvm_1", "stopped").has_value());
  EXPECT_FALSE(Alive(second));
  EXPECT_EQ(*driver.Status("cvm_1"), "stopped");
  EXPECT_EQ(driver.Stop("cvm_2").code(), absl::StatusCode::kNotFound);
}

TEST_F(LocalNodeTest, ReportsADeniedBootWithTheReason) {
  LocalNodeDriver driver(node_, Options(), reports_.sink());
  ASSERT_TRUE(driver.Start(Launch("cvm_1", "deny")).ok());
  EXPECT_EQ(reports_.WaitFor("cvm_1", "boot_failed"), "Boot denied: Compose hash not allowed");
}

TEST_F(LocalNodeTest, AProcessThatDiesSilentlyIsABootFailure) {
  LocalNodeDriver driver(node_, Options(), reports_.sink());
  ASSERT_TRUE(driver.Start(Launch("cvm_1", "exit")).ok());
  EXPECT_EQ(reports_.WaitFor("cvm_1", "boot_failed"), "the CVM process exited with status 7");
}

TEST_F(LocalNodeTest, DestroyingTheDriverStopsItsCvms) {
  pid_t pid = -1;
  {
    LocalNodeDriver driver(node_, Options(), reports_.sink());
    ASSERT_TRUE(driver.Start(Launch("cvm_1", "run")).ok());
    ASSERT_TRUE(reports_.WaitFor("cvm_1", "running").has_value());
    pid = PidOf(driver, "cvm_1");
    ASSERT_TRUE(Alive(pid));
  }
  EXPECT_FALSE(Alive(pid));
}

// Two provisioning replicas on one node directory: either may restart or stop a CVM the other
// started, and the replica that started it lets it go without reporting its exit.
TEST_F(LocalNodeTest, AnotherReplicaTakesOverACvm) {
  Reports reports_b;
  LocalNodeDriver a(node_, Options(), reports_.sink());
  LocalNodeDriver b(node_, Options(), reports_b.sink());
  ASSERT_TRUE(a.Start(Launch("cvm_1", "run")).ok());
  ASSERT_TRUE(reports_.WaitFor("cvm_1", "running").has_value());
  const pid_t first = PidOf(a, "cvm_1");
  EXPECT_EQ(Slurp(a.CvmDir("cvm_1") + "/cvm.pid"), absl::StrCat(first, "\n"));

  ASSERT_TRUE(b.Restart(Launch("cvm_1", "run\n")).ok());
  ASSERT_TRUE(reports_b.WaitFor("cvm_1", "running").has_value());
  EXPECT_TRUE(Gone(first));
  const pid_t second = PidOf(b, "cvm_1");
  EXPECT_NE(second, first);
  EXPECT_EQ(Slurp(b.CvmDir("cvm_1") + "/cvm.pid"), absl::StrCat(second, "\n"));
  // Replica a lets the CVM go (it no longer knows it) and never reports the stop b caused.
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (a.Status("cvm_1").ok() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
  EXPECT_EQ(a.Status("cvm_1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(reports_.Count("cvm_1", "stopped"), 0);
  EXPECT_EQ(reports_.Count("cvm_1", "boot_failed"), 0);

  // Replica a stops the CVM b runs now.
  ASSERT_TRUE(a.Stop("cvm_1").ok());
  EXPECT_TRUE(Gone(second));
  ASSERT_TRUE(reports_.WaitFor("cvm_1", "stopped").has_value());
  EXPECT_EQ(a.Stop("cvm_1").code(), absl::StatusCode::kNotFound);  // nothing runs it any more
}

TEST_F(LocalNodeTest, AMissingBinaryIsRefusedAtStart) {
  LocalNodeOptions o = Options();
  o.cvm_binary = dir_.path() + "/no-such-cvm";
  LocalNodeDriver driver(node_, o, reports_.sink());
  const absl::Status s = driver.Start(Launch("cvm_1", "run"));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("--cvm-binary"));
}

TEST_F(LocalNodeTest, ThePoolBuildsLocalDrivers) {
  absl::StatusOr<std::unique_ptr<NodePool>> pool =
      NodePool::Create({node_}, reports_.sink(), Options());
  ASSERT_TRUE(pool.ok()) << pool.status();
  EXPECT_NE(dynamic_cast<LocalNodeDriver*>((*pool)->driver("node-1")), nullptr);
  NodeConfig bad = node_;
  bad.driver = "vmm";
  EXPECT_THAT(std::string(NodePool::Create({bad}, reports_.sink()).status().message()),
              HasSubstr("unknown driver \"vmm\" (fake, local, dstack-vmm)"));
}

}  // namespace
}  // namespace chainkms::provisioning
