// PostgreSQL engine over libpq: a fixed pool of connections, each used by one caller at a time;
// parameters go as text (BIGINT, TEXT) or binary (BYTEA); a broken connection is reset before its
// next use. Results come back in text format and are typed from the column's OID.
#include <libpq-fe.h>

#include <condition_variable>
#include <mutex>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lib/common/hex.h"
#include "lib/store/engines.h"

namespace chainkms::store {
namespace {

constexpr unsigned kInt8Oid = 20, kInt4Oid = 23, kInt2Oid = 21, kByteaOid = 17, kBoolOid = 16;

absl::Status ResultError(PGresult* res, PGconn* conn, std::string_view what) {
  const char* state = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  const std::string code = state != nullptr ? state : "";
  const std::string msg =
      absl::StrCat("postgres ", std::string(what), ": ",
                   res != nullptr ? PQresultErrorMessage(res) : PQerrorMessage(conn));
  if (code == "23505") return absl::AlreadyExistsError(msg);
  if (code.rfind("23", 0) == 0) return absl::FailedPreconditionError(msg);
  if (code.empty() || code.rfind("08", 0) == 0 || code.rfind("57", 0) == 0 ||
      code.rfind("53", 0) == 0 || code == "40001" || code == "40P01") {
    return absl::UnavailableError(msg);
  }
  return absl::InternalError(msg);
}

class PgConn final : public SqlConn {
 public:
  explicit PgConn(PGconn* c) : c_(c) {}
  PGconn* raw() { return c_; }

  absl::StatusOr<std::vector<Row>> Query(std::string_view sql,
                                         const std::vector<SqlValue>& params) override {
    std::vector<Row> rows;
    absl::Status s = Run(sql, params, &rows, nullptr);
    if (!s.ok()) return s;
    return rows;
  }
  absl::StatusOr<int64_t> Exec(std::string_view sql, const std::vector<SqlValue>& params) override {
    int64_t changed = 0;
    absl::Status s = Run(sql, params, nullptr, &changed);
    if (!s.ok()) return s;
    return changed;
  }

 private:
  absl::Status Run(std::string_view sql, const std::vector<SqlValue>& params,
                   std::vector<Row>* rows, int64_t* changed) {
    const std::string query(sql);
    std::vector<std::string> text(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    std::vector<int> lengths(params.size(), 0);
    std::vector<int> formats(params.size(), 0);
    for (size_t i = 0; i < params.size(); ++i) {
      const SqlValue& v = params[i];
      if (const auto* n = std::get_if<int64_t>(&v)) {
        text[i] = absl::StrCat(*n);
      } else if (const auto* t = std::get_if<std::string>(&v)) {
        text[i] = *t;
      } else if (const auto* b = std::get_if<Bytes>(&v)) {
        text[i].assign(b->begin(), b->end());
        formats[i] = 1;  // binary BYTEA
      } else {
        continue;  // NULL
      }
      values[i] = text[i].data();
      lengths[i] = static_cast<int>(text[i].size());
    }
    PGresult* res = PQexecParams(c_, query.c_str(), static_cast<int>(params.size()), nullptr,
                                 values.data(), lengths.data(), formats.data(), 0);
    const ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      absl::Status s = ResultError(res, c_, "query");
      PQclear(res);
      return s;
    }
    if (changed != nullptr) {
      int64_t n = 0;
      (void)absl::SimpleAtoi(PQcmdTuples(res), &n);
      *changed = n;
    }
    if (rows != nullptr) {
      const int nrows = PQntuples(res);
      const int ncols = PQnfields(res);
      for (int r = 0; r < nrows; ++r) {
        Row row;
        for (int c = 0; c < ncols; ++c) {
          if (PQgetisnull(res, r, c)) {
            row.values.emplace_back(std::monostate{});
            continue;
          }
          const std::string cell(PQgetvalue(res, r, c),
                                 static_cast<size_t>(PQgetlength(res, r, c)));
          const unsigned oid = PQftype(res, c);
          if (oid == kInt8Oid || oid == kInt4Oid || oid == kInt2Oid) {
            int64_t n = 0;
            (void)absl::SimpleAtoi(cell, &n);
            row.values.emplace_back(n);
          } else if (oid == kBoolOid) {
            row.values.emplace_back(static_cast<int64_t>(cell == "t" ? 1 : 0));
          } else if (oid == kByteaOid) {
            // Text format: \x followed by hex.
            absl::StatusOr<Bytes> b =
                HexDecode(cell.size() >= 2 ? cell.substr(2) : "", HexPrefix::kForbidden);
            row.values.emplace_back(b.ok() ? *b : Bytes{});
          } else {
            row.values.emplace_back(cell);
          }
        }
        rows->push_back(std::move(row));
      }
    }
    PQclear(res);
    return absl::OkStatus();
  }

  PGconn* c_;
};

class PgDatabase final : public Database {
 public:
  PgDatabase(std::string url, std::vector<PGconn*> conns) : url_(std::move(url)) {
    for (PGconn* c : conns) idle_.push_back(c);
    all_ = std::move(conns);
  }
  ~PgDatabase() override {
    for (PGconn* c : all_) PQfinish(c);
  }
  Engine engine() const override { return Engine::kPostgres; }

  absl::StatusOr<std::vector<Row>> Query(std::string_view sql,
                                         const std::vector<SqlValue>& params) override {
    // Set, so a connection that cannot be reset (With fails before the query runs) answers With's
    // UNAVAILABLE rather than a default StatusOr's empty UNKNOWN.
    absl::StatusOr<std::vector<Row>> out = std::vector<Row>{};
    absl::Status s = With([&](PgConn& c) {
      out = c.Query(sql, params);
      return out.status();
    });
    if (!s.ok() && out.ok()) return s;
    return out;
  }
  absl::StatusOr<int64_t> Exec(std::string_view sql, const std::vector<SqlValue>& params) override {
    absl::StatusOr<int64_t> out = int64_t{0};
    absl::Status s = With([&](PgConn& c) {
      out = c.Exec(sql, params);
      return out.status();
    });
    if (!s.ok() && out.ok()) return s;
    return out;
  }
  absl::Status Transaction(const std::function<absl::Status(SqlConn&)>& body) override {
    return With([&](PgConn& c) { return RunInTransaction(c, "BEGIN", body); });
  }
  absl::Status Ping() override { return Query("SELECT 1", {}).status(); }

 private:
  // Borrows a pooled connection (waiting for one), resetting it first if it broke.
  absl::Status With(const std::function<absl::Status(PgConn&)>& f) {
    PGconn* c = nullptr;
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait(l, [&] { return !idle_.empty(); });
      c = idle_.back();
      idle_.pop_back();
    }
    if (PQstatus(c) != CONNECTION_OK) PQreset(c);
    absl::Status s;
    if (PQstatus(c) != CONNECTION_OK) {
      s = absl::UnavailableError(
          absl::StrCat("postgres ", RedactDatabaseUrl(url_), ": ", PQerrorMessage(c)));
    } else {
      PgConn conn(c);
      s = f(conn);
    }
    {
      std::lock_guard<std::mutex> l(mu_);
      idle_.push_back(c);
    }
    cv_.notify_one();
    return s;
  }

  const std::string url_;
  std::vector<PGconn*> all_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<PGconn*> idle_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Database>> OpenPostgres(const std::string& url,
                                                       const DatabaseOptions& options) {
  const std::string conninfo = absl::StrCat(
      url, url.find('?') == std::string::npos ? "?" : "&",
      "connect_timeout=", std::max<int64_t>(1, absl::ToInt64Seconds(options.connect_timeout)));
  std::vector<PGconn*> conns;
  for (int i = 0; i < std::max(1, options.pool_size); ++i) {
    PGconn* c = PQconnectdb(conninfo.c_str());
    if (PQstatus(c) != CONNECTION_OK) {
      absl::Status s = absl::UnavailableError(
          absl::StrCat("postgres ", RedactDatabaseUrl(url), ": ", PQerrorMessage(c)));
      PQfinish(c);
      for (PGconn* o : conns) PQfinish(o);
      return s;
    }
    conns.push_back(c);
  }
  return std::unique_ptr<Database>(std::make_unique<PgDatabase>(url, std::move(conns)));
}

}  // namespace chainkms::store
