#include "lib/kms/audit.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/common/hex.h"
#include "lib/common/reason.h"
#include "lib/crypto/hash.h"
#include "nlohmann/json.hpp"

namespace chainkms::kms {
namespace {

using ordered_json = nlohmann::ordered_json;

template <size_t N>
std::string HexOrEmpty(const std::optional<FixedBytes<N>>& v) {
  return v ? Hex0x(v->view()) : "";
}

Hash32 LineHash(std::string_view line) { return Sha256(AsBytes(line)); }

// The last non-empty line of the file at `fd` (files are small enough to scan from the end in
// 64 KiB steps; a line is far shorter than that).
absl::StatusOr<std::string> LastLine(int fd) {
  struct stat st = {};
  if (fstat(fd, &st) != 0) return absl::InternalError("fstat failed");
  off_t end = st.st_size;
  std::string tail;
  while (end > 0) {
    const off_t start = end > 65536 ? end - 65536 : 0;
    std::string chunk(static_cast<size_t>(end - start), '\0');
    if (pread(fd, chunk.data(), chunk.size(), start) != static_cast<ssize_t>(chunk.size())) {
      return absl::InternalError("read failed");
    }
    tail = chunk + tail;
    while (!tail.empty() && tail.back() == '\n') tail.pop_back();
    const size_t nl = tail.rfind('\n');
    if (nl != std::string::npos) return tail.substr(nl + 1);
    if (start == 0) return tail;
    end = start;
  }
  return std::string();
}

}  // namespace

absl::Status AuditUnavailable(std::string_view detail) {
  return WithReason(absl::UnavailableError(absl::StrCat("audit log unavailable, no key released: ",
                                                        std::string(detail))),
                    Reason::kAuditUnavailable);
}

FdAuditSink::~FdAuditSink() {
  if (owned_) close(fd_);
}

absl::Status FdAuditSink::Write(std::string_view line) {
  for (;;) {
    const ssize_t n = write(fd_, line.data(), line.size());
    if (n < 0 && errno == EINTR) continue;
    if (n == static_cast<ssize_t>(line.size())) return absl::OkStatus();
    if (n < 0) return absl::UnavailableError(absl::StrCat("write: ", std::strerror(errno)));
    return absl::UnavailableError("short write");
  }
}

std::string FormatAuditLine(const AuditRecord& r, const std::string& replica, uint64_t seq,
                            const Hash32& prev) {
  ordered_json j;
  j["seq"] = seq;
  j["time"] = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", r.time, absl::UTCTimeZone());
  j["request_id"] = r.request_id;
  j["replica"] = replica;
  j["chain_id"] = r.chain_id;
  j["app_id"] = HexOrEmpty(r.app_id);
  j["compose_hash"] = HexOrEmpty(r.compose_hash);
  j["device_id"] = HexOrEmpty(r.device_id);
  j["instance_id"] = HexOrEmpty(r.instance_id);
  j["block_number"] = r.block_number;
  j["block_hash"] = HexOrEmpty(r.block_hash);
  j["decision"] = r.decision;
  j["reason"] = r.reason;
  j["contract_reason"] = r.contract_reason;
  j["dev"] = r.dev;
  j["prev"] = HexEncode(prev.view());
  // Invalid UTF-8 (a contract's reason is arbitrary bytes) is replaced, never a throw.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(const std::string& path,
                                                         std::string replica) {
  if (path == "-") {
    return std::make_unique<AuditLog>(std::make_unique<FdAuditSink>(STDOUT_FILENO, false),
                                      std::move(replica), Hash32{}, 1);
  }
  const int fd = open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--audit-log ", path, ": cannot open: ", std::strerror(errno)));
  }
  auto sink = std::make_unique<FdAuditSink>(fd, true);
  absl::StatusOr<std::string> last = LastLine(fd);
  if (!last.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--audit-log ", path, ": ", std::string(last.status().message())));
  }
  Hash32 prev{};
  uint64_t next_seq = 1;
  if (!last->empty()) {
    const ordered_json j = ordered_json::parse(*last, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("seq") ||
        !j["seq"].is_number_unsigned()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--audit-log ", path,
                       ": the last line is not an audit record; run "
                       "`chainkms-kms audit verify` and move the file aside"));
    }
    prev = LineHash(*last);
    next_seq = j["seq"].get<uint64_t>() + 1;
  }
  return std::make_unique<AuditLog>(std::move(sink), std::move(replica), prev, next_seq);
}

AuditLog::AuditLog(std::unique_ptr<AuditSink> sink, std::string replica, Hash32 prev,
                   uint64_t next_seq)
    : sink_(std::move(sink)), replica_(std::move(replica)), prev_(prev), next_seq_(next_seq) {
  writer_ = std::thread([this] { WriterLoop(); });
}

AuditLog::~AuditLog() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  work_cv_.SignalAll();
  writer_.join();
}

void AuditLog::WriterLoop() {
  for (;;) {
    std::shared_ptr<Pending> p;
    {
      MutexLock lock(&mu_);
      while (queue_.empty() && !stopping_) work_cv_.Wait(&mu_);
      if (queue_.empty()) return;
      p = std::move(queue_.front());
      queue_.pop_front();
    }
    std::string line = FormatAuditLine(p->record, replica_, next_seq_, prev_);
    const Hash32 hash = LineHash(line);
    line.push_back('\n');
    absl::Status s = sink_->Write(line);
    if (s.ok()) {
      prev_ = hash;
      ++next_seq_;
    }
    {
      MutexLock lock(&mu_);
      p->done = true;
      p->status = std::move(s);
    }
    done_cv_.SignalAll();
  }
}

absl::Status AuditLog::Append(const AuditRecord& record, absl::Time deadline) {
  auto p = std::make_shared<Pending>();
  p->record = record;
  MutexLock lock(&mu_);
  if (stopping_) return AuditUnavailable("the audit log is closing");
  queue_.push_back(p);
  work_cv_.Signal();
  while (!p->done) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return AuditUnavailable("the write did not finish in time");
    done_cv_.WaitWithTimeout(&mu_, left);
  }
  if (!p->status.ok()) return AuditUnavailable(std::string(p->status.message()));
  return absl::OkStatus();
}

AuditVerifyReport VerifyAuditChain(std::istream& in) {
  AuditVerifyReport report;
  std::string line;
  std::optional<std::string> previous;
  uint64_t expected_seq = 0;
  auto broken = [&](uint64_t at, std::string detail) {
    report.first_broken_line = at;
    report.detail = std::move(detail);
    return report;
  };
  while (std::getline(in, line)) {
    const uint64_t n = ++report.lines;
    const ordered_json j = ordered_json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("prev") || !j["prev"].is_string() ||
        !j.contains("seq") || !j["seq"].is_number_unsigned()) {
      return broken(n, "not an audit record (JSON object with seq and prev)");
    }
    const uint64_t seq = j["seq"].get<uint64_t>();
    const std::string prev = j["prev"].get<std::string>();
    if (previous.has_value()) {
      if (prev != HexEncode(LineHash(*previous).view())) {
        return broken(n - 1, absl::StrCat("line ", n - 1, " does not hash to the prev of line ", n,
                                          ": it was altered, or lines after it were removed or "
                                          "inserted"));
      }
      if (seq != expected_seq) {
        return broken(n, absl::StrCat("seq ", seq, " where ", expected_seq, " was expected"));
      }
    } else if (seq == 1 && prev != std::string(64, '0')) {
      return broken(n, "the first record (seq 1) must have a zero prev");
    }
    expected_seq = seq + 1;
    previous = line;
  }
  return report;
}

}  // namespace chainkms::kms
