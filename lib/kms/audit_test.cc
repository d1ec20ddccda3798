#include "lib/kms/audit.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/common/sync.h"
#include "lib/testing/status_matchers.h"
#include "lib/testing/temp_dir.h"
#include "nlohmann/json.hpp"

namespace chainkms::kms {
namespace {

using ::chainkms::testutil::HasReason;
using ::chainkms::testutil::StatusIs;

using ::testing::HasSubstr;
namespace fs = std::filesystem;

AuditRecord Record(int i) {
  AuditRecord r;
  r.time = absl::FromUnixSeconds(1700000000 + i);
  r.request_id = "req-" + std::to_string(i);
  r.chain_id = 31337;
  Address app;
  app.bytes.fill(static_cast<uint8_t>(i));
  r.app_id = app;
  r.decision = i % 2 ? "issued" : "denied";
  r.contract_reason = i % 2 ? "" : "Compose hash not allowed";
  r.reason = i % 2 ? "" : "BOOT_DENIED";
  r.dev = true;
  return r;
}

class AuditFileTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(tmp_.path().empty()); }
  std::string Path() const { return tmp_.path() + "/audit.log"; }
  std::vector<std::string> Lines() const {
    std::ifstream in(Path());
    std::vector<std::string> out;
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
  }
  void WriteLines(const std::vector<std::string>& lines) const {
    std::ofstream out(Path(), std::ios::trunc);
    for (const std::string& l : lines) out << l << "\n";
  }
  AuditVerifyReport Verify() const {
    std::ifstream in(Path());
    return VerifyAuditChain(in);
  }
  testutil::TempDir tmp_;
};

TEST_F(AuditFileTest, LinesAreChainedAndReopeningContinuesTheChain) {
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<AuditLog> log, AuditLog::Open(Path(), "kms-0"));
    for (int i = 1; i <= 3; ++i) ASSERT_OK(log->Append(Record(i), absl::Now() + absl::Seconds(5)));
  }
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<AuditLog> log, AuditLog::Open(Path(), "kms-0"));
    ASSERT_OK(log->Append(Record(4), absl::Now() + absl::Seconds(5)));
  }
  const std::vector<std::string> lines = Lines();
  ASSERT_EQ(lines.size(), 4u);
  const nlohmann::json first = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(first["seq"], 1);
  EXPECT_EQ(first["prev"], std::string(64, '0'));
  EXPECT_EQ(first["replica"], "kms-0");
  EXPECT_EQ(first["request_id"], "req-1");
  EXPECT_EQ(first["decision"], "issued");
  EXPECT_EQ(first["dev"], true);
  EXPECT_EQ(first["chain_id"], 31337);
  EXPECT_EQ(first["app_id"], "0x0101010101010101010101010101010101010101");
  EXPECT_EQ(first["time"], "2023-11-14T22:13:21.000Z");
  EXPECT_EQ(nlohmann::json::parse(lines[1])["contract_reason"], "Compose hash not allowed");
  EXPECT_EQ(nlohmann::json::parse(lines[3])["seq"], 4);
  const AuditVerifyReport report = Verify();
  EXPECT_TRUE(report.ok()) << report.detail;
  EXPECT_EQ(report.lines, 4u);
  // Only the owner may read the log.
  EXPECT_EQ(fs::status(Path()).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
}

TEST_F(AuditFileTest, VerifyNamesTheTamperedLine) {
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<AuditLog> log, AuditLog::Open(Path(), "kms-0"));
    for (int i = 1; i <= 5; ++i) ASSERT_OK(log->Append(Record(i), absl::Now() + absl::Seconds(5)));
  }
  const std::vector<std::string> good = Lines();
  // A denial rewritten as an issue on line 4.
  std::vector<std::string> bad = good;
  const size_t at = bad[3].find("\"denied\"");
  ASSERT_NE(at, std::string::npos);
  bad[3].replace(at, 8, "\"issued\"");
  WriteLines(bad);
  AuditVerifyReport r = Verify();
  EXPECT_EQ(r.first_broken_line, 4u) << r.detail;
  // A removed line breaks the chain at the line before the gap.
  bad = good;
  bad.erase(bad.begin() + 2);
  WriteLines(bad);
  EXPECT_EQ(Verify().first_broken_line, 2u);
  // Garbage is named where it is.
  bad = good;
  bad[1] = "not json";
  WriteLines(bad);
  EXPECT_EQ(Verify().first_broken_line, 2u);
  // The untouched log verifies.
  WriteLines(good);
  EXPECT_TRUE(Verify().ok());
}

TEST_F(AuditFileTest, AnUnwritableSinkIsUnavailableAndTheChainSkipsTheFailedLine) {
  // /dev/full accepts open and fails every write with ENOSPC.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<AuditLog> full, AuditLog::Open("/dev/full", "kms-0"));
  EXPECT_THAT(full->Append(Record(1), absl::Now() + absl::Seconds(5)),
              testing::AllOf(StatusIs(absl::StatusCode::kUnavailable, HasSubstr("no key released")),
                             HasReason(Reason::kAuditUnavailable)));
}

// A sink that blocks until released: a hung disk or a full pipe.
class BlockingSink : public AuditSink {
 public:
  absl::Status Write(std::string_view) override {
    release_.WaitForNotification();
    return absl::OkStatus();
  }
  Notification release_;
};

TEST(AuditLogTest, AHungSinkAnswersByTheDeadline) {
  auto sink = std::make_unique<BlockingSink>();
  BlockingSink* raw = sink.get();
  AuditLog log(std::move(sink), "kms-0", Hash32{}, 1);
  const absl::Time start = absl::Now();
  EXPECT_THAT(log.Append(Record(1), start + absl::Milliseconds(100)),
              HasReason(Reason::kAuditUnavailable));
  const absl::Duration took = absl::Now() - start;
  EXPECT_GE(took, absl::Milliseconds(100));
  EXPECT_LT(took, absl::Seconds(5));
  raw->release_.Notify();
}

TEST(AuditLogTest, ConcurrentAppendsFormOneChain) {
  std::ostringstream out;
  class StringSink : public AuditSink {
   public:
    explicit StringSink(std::ostringstream* o) : o_(o) {}
    absl::Status Write(std::string_view line) override {
      *o_ << line;
      return absl::OkStatus();
    }
    std::ostringstream* o_;
  };
  {
    AuditLog log(std::make_unique<StringSink>(&out), "kms-0", Hash32{}, 1);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&log, t] {
        for (int i = 0; i < 25; ++i) {
          EXPECT_TRUE(log.Append(Record(t * 100 + i), absl::Now() + absl::Seconds(10)).ok());
        }
      });
    }
    for (std::thread& th : threads) th.join();
  }
  std::istringstream in(out.str());
  const AuditVerifyReport r = VerifyAuditChain(in);
  EXPECT_TRUE(r.ok()) << r.detail;
  EXPECT_EQ(r.lines, 100u);
}

TEST(AuditLogTest, ARecordNeverCarriesMoreThanItsFields) {
  const std::string line = FormatAuditLine(Record(2), "kms-0", 7, Hash32{});
  const nlohmann::json j = nlohmann::json::parse(line);
  std::vector<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
  EXPECT_THAT(keys, testing::UnorderedElementsAre(
                        "seq", "time", "request_id", "replica", "chain_id", "app_id",
                        "compose_hash", "device_id", "instance_id", "block_number", "block_hash",
                        "decision", "reason", "contract_reason", "dev", "prev"));
}

}  // namespace
}  // namespace chainkms::kms
