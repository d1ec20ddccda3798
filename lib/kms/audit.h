// The KMS audit log: one JSON line per key-release decision, hash-chained per replica.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<AuditLog> log, AuditLog::Open("/var/log/kms/audit.log"));
//   RETURN_IF_ERROR(log->Append(record, deadline));   // before a key leaves the process
//
// Each line is a JSON object with, in this order: seq, time (RFC 3339 UTC), request_id, replica,
// chain_id, app_id, compose_hash, device_id, instance_id (0x-hex, "" when unknown), block_number,
// block_hash, decision ("issued" | "denied" | "error"), reason (an ErrorReason name, "" when
// issued), contract_reason (the contract's string when denied), dev, and prev: the lowercase hex
// SHA-256 of the previous line's bytes (without its newline; 64 zeros for the first line of a
// fresh log). It never holds a key, a quote or an env value. Reopening an existing file
// continues its chain from its last line.
//
// Append hands the record to one writer thread (the chain needs one order) and waits for the
// write until `deadline`. A failed or short write, or no answer by the deadline, is UNAVAILABLE
// reason AUDIT_UNAVAILABLE: the caller then releases nothing. A line that failed is not part of
// the chain (the next line links to the last line written); a line whose write completes after
// its deadline is in the log although its caller answered UNAVAILABLE.
//
// VerifyAuditChain re-reads a file and names the first line that cannot be trusted.
// Limits: a hash chain proves order and integrity between lines, not that the tail was not cut
// off; ship lines off the machine (log collector) to keep the tail.
#pragma once

#include <cstdint>
#include <deque>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/common/bytes.h"
#include "lib/common/sync.h"

namespace chainkms::kms {

struct AuditRecord {
  absl::Time time;
  std::string request_id;
  uint64_t chain_id = 0;
  std::optional<Address> app_id;
  std::optional<Hash32> compose_hash;
  std::optional<Hash32> device_id;
  std::optional<Address> instance_id;
  uint64_t block_number = 0;
  std::optional<Hash32> block_hash;
  std::string decision;  // "issued" | "denied" | "error"
  std::string reason;    // ErrorReason name
  std::string contract_reason;
  bool dev = false;
};

// Where lines go. Write gets one whole line including its '\n'.
class AuditSink {
 public:
  virtual ~AuditSink() = default;
  virtual absl::Status Write(std::string_view line) = 0;
};

// Appends to a file descriptor with one write(2) per line (O_APPEND for files). Owns the fd when
// `owned`.
class FdAuditSink final : public AuditSink {
 public:
  FdAuditSink(int fd, bool owned) : fd_(fd), owned_(owned) {}
  ~FdAuditSink() override;
  absl::Status Write(std::string_view line) override;

 private:
  int fd_;
  bool owned_;
};

// The line for `record` with its chain fields.
std::string FormatAuditLine(const AuditRecord& record, const std::string& replica, uint64_t seq,
                            const Hash32& prev);

class AuditLog {
 public:
  // "-" is standard output (a fresh chain per process); any other path is opened for append
  // (created 0600) and its chain continued from its last line.
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(const std::string& path,
                                                        std::string replica);

  AuditLog(std::unique_ptr<AuditSink> sink, std::string replica, Hash32 prev, uint64_t next_seq);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  absl::Status Append(const AuditRecord& record, absl::Time deadline);

  const std::string& replica() const { return replica_; }

 private:
  struct Pending {
    AuditRecord record;
    bool done = false;
    absl::Status status;
  };
  void WriterLoop();

  std::unique_ptr<AuditSink> sink_;
  const std::string replica_;
  Mutex mu_;
  CondVar work_cv_;
  CondVar done_cv_;
  std::deque<std::shared_ptr<Pending>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Touched only by the writer thread.
  Hash32 prev_;
  uint64_t next_seq_;
  std::thread writer_;
};

struct AuditVerifyReport {
  uint64_t lines = 0;
  // 1-based number of the first line that cannot be trusted; 0 when the whole chain holds.
  uint64_t first_broken_line = 0;
  std::string detail;
  bool ok() const { return first_broken_line == 0; }
};
AuditVerifyReport VerifyAuditChain(std::istream& in);

// The status Append returns when nothing could be written.
absl::Status AuditUnavailable(std::string_view detail);

}  // namespace chainkms::kms
