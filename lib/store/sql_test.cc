// The same suite on both engines: SQLite in a temp file and a real PostgreSQL (initdb + the
// server on a free loopback port, stopped afterwards).
#include "lib/store/sql.h"

#include <atomic>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/store/migrations.h"
#include "lib/testing/postgres.h"
#include "lib/testing/status_matchers.h"
#include "lib/testing/temp_dir.h"

namespace chainkms::store {
namespace {

using ::chainkms::testutil::StatusIs;
using ::testing::HasSubstr;

class SqlTest : public ::testing::TestWithParam<Engine> {
 protected:
  static void SetUpTestSuite() {
    auto pg = testutil::PostgresProcess::Start();
    if (pg.ok()) {
      pg_ = pg->release();
    } else {
      pg_error_ = new std::string(pg.status().ToString());
    }
  }
  static void TearDownTestSuite() {
    delete pg_;
    pg_ = nullptr;
  }
  void SetUp() override {
    if (GetParam() == Engine::kPostgres) {
      ASSERT_NE(pg_, nullptr) << *pg_error_;
      ASSERT_TRUE(pg_->Restart().ok());
      auto db = OpenDatabase(pg_->url());
      ASSERT_TRUE(db.ok()) << db.status();
      db_ = *std::move(db);
      // A clean schema for every test.
      ASSERT_TRUE(db_->Exec("DROP SCHEMA public CASCADE").ok());
      ASSERT_TRUE(db_->Exec("CREATE SCHEMA public").ok());
    } else {
      auto db = OpenDatabase("sqlite:" + dir_.path() + "/t.db");
      ASSERT_TRUE(db.ok()) << db.status();
      db_ = *std::move(db);
    }
    ASSERT_TRUE(
        db_->Exec("CREATE TABLE t (id BIGINT PRIMARY KEY, name TEXT, data BYTEA, n BIGINT)").ok());
  }
  testutil::TempDir dir_;
  std::unique_ptr<Database> db_;
  static inline testutil::PostgresProcess* pg_ = nullptr;
  static inline std::string* pg_error_ = nullptr;
};

TEST_P(SqlTest, ValuesRoundTripWithTheirTypes) {
  const Bytes blob = {0x00, 0xff, 0x10};
  ASSERT_TRUE(db_->Exec("INSERT INTO t (id, name, data, n) VALUES ($1, $2, $3, $4)",
                        {int64_t{1}, std::string("é \"x\"\n"), blob, std::monostate{}})
                  .ok());
  auto rows = db_->Query("SELECT id, name, data, n FROM t WHERE id = $1", {int64_t{1}});
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].integer(0), 1);
  EXPECT_EQ((*rows)[0].text(1), "é \"x\"\n");
  EXPECT_EQ((*rows)[0].blob(2), blob);
  EXPECT_TRUE((*rows)[0].is_null(3));
  EXPECT_EQ(*db_->Exec("UPDATE t SET n = $1 WHERE id = $2", {int64_t{-5}, int64_t{1}}), 1);
  EXPECT_EQ(*db_->Exec("UPDATE t SET n = $1 WHERE id = $2", {int64_t{-5}, int64_t{2}}), 0);
}

TEST_P(SqlTest, AnEmptyBlobIsNotNull) {
  ASSERT_TRUE(db_->Exec("INSERT INTO t (id, data) VALUES ($1, $2)", {int64_t{1}, Bytes{}}).ok());
  auto rows = db_->Query("SELECT data FROM t WHERE id = $1 AND data IS NOT NULL", {int64_t{1}});
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_FALSE((*rows)[0].is_null(0));
  EXPECT_TRUE((*rows)[0].blob(0).empty());
}

TEST_P(SqlTest, ADuplicateKeyIsAlreadyExists) {
  ASSERT_TRUE(db_->Exec("INSERT INTO t (id) VALUES ($1)", {int64_t{7}}).ok());
  EXPECT_THAT(db_->Exec("INSERT INTO t (id) VALUES ($1)", {int64_t{7}}).status(),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(db_->Exec("SELEKT").status(), StatusIs(absl::StatusCode::kInternal));
}

TEST_P(SqlTest, ATransactionCommitsAllOrNothing) {
  absl::Status s = db_->Transaction([](SqlConn& c) -> absl::Status {
    if (auto r = c.Exec("INSERT INTO t (id) VALUES ($1)", {int64_t{1}}); !r.ok()) return r.status();
    return absl::AbortedError("changed my mind");
  });
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kAborted));
  EXPECT_TRUE(db_->Query("SELECT id FROM t")->empty());
  // A failing statement halfway rolls back the first one too.
  s = db_->Transaction([](SqlConn& c) -> absl::Status {
    if (auto r = c.Exec("INSERT INTO t (id) VALUES ($1)", {int64_t{2}}); !r.ok()) return r.status();
    return c.Exec("INSERT INTO t (id) VALUES ($1)", {int64_t{2}}).status();
  });
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_TRUE(db_->Query("SELECT id FROM t")->empty());
  ASSERT_TRUE(db_->Transaction([](SqlConn& c) {
                   return c.Exec("INSERT INTO t (id) VALUES ($1)", {int64_t{3}}).status();
                 })
                  .ok());
  EXPECT_EQ(db_->Query("SELECT id FROM t")->size(), 1u);
}

TEST_P(SqlTest, ConcurrentConditionalUpdatesLetExactlyOneWin) {
  ASSERT_TRUE(db_->Exec("INSERT INTO t (id, n) VALUES (1, 0)").ok());
  std::atomic<int> wins{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      absl::Status s = db_->Transaction([&](SqlConn& c) -> absl::Status {
        auto changed = c.Exec("UPDATE t SET n = 1 WHERE id = 1 AND n = 0");
        if (!changed.ok()) return changed.status();
        if (*changed == 1) ++wins;
        return absl::OkStatus();
      });
      EXPECT_TRUE(s.ok()) << s;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wins.load(), 1);
}

constexpr Migration kMigrations[] = {
    {1, "widgets", "CREATE TABLE widgets (id BIGINT PRIMARY KEY, name TEXT NOT NULL)"},
    {2, "widget colour",
     "ALTER TABLE widgets ADD COLUMN colour TEXT; CREATE INDEX widgets_name ON widgets (name)"},
};

TEST_P(SqlTest, MigrationsApplyOnceInOrderAndRefuseANewerSchema) {
  ASSERT_TRUE(ApplyMigrations(*db_, std::span(kMigrations).first(1)).ok());
  EXPECT_EQ(*SchemaVersion(*db_), 1);
  ASSERT_TRUE(ApplyMigrations(*db_, kMigrations).ok());
  ASSERT_TRUE(ApplyMigrations(*db_, kMigrations).ok());  // idempotent
  EXPECT_EQ(*SchemaVersion(*db_), 2);
  EXPECT_TRUE(db_->Exec("INSERT INTO widgets (id, name, colour) VALUES (1, 'a', 'red')").ok());
  EXPECT_THAT(ApplyMigrations(*db_, std::span(kMigrations).first(1)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("newer than this build")));
  constexpr Migration kBroken[] = {
      {1, "widgets", ""},
      {2, "widget colour", ""},
      {3, "broken", "CREATE TABLE x (id BIGINT); CREATE TABLE x (id BIGINT)"}};
  EXPECT_FALSE(ApplyMigrations(*db_, kBroken).ok());
  EXPECT_EQ(*SchemaVersion(*db_), 2);  // the failed migration left nothing behind
}

TEST(SqlPostgres, ADownServerIsUnavailableAndTheNextCallAfterRestartWorks) {
  auto pg = testutil::PostgresProcess::Start();
  ASSERT_TRUE(pg.ok()) << pg.status();
  auto db = OpenDatabase((*pg)->url(), {.pool_size = 2});
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_TRUE((*db)->Ping().ok());
  (*pg)->Stop();
  EXPECT_THAT((*db)->Ping(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT((*db)->Exec("SELECT 1").status(), StatusIs(absl::StatusCode::kUnavailable));
  ASSERT_TRUE((*pg)->Restart().ok());
  // Each pooled connection is reset on its next use.
  EXPECT_TRUE((*db)->Ping().ok());
  EXPECT_TRUE((*db)->Ping().ok());
  EXPECT_THAT(OpenDatabase("postgres://chainkms@127.0.0.1:1/postgres").status(),
              StatusIs(absl::StatusCode::kUnavailable));
}

// The second query after an outage finds its connection broken and cannot reset it: still
// UNAVAILABLE naming postgres (the Store maps it to STORE_UNAVAILABLE), never an empty UNKNOWN.
TEST(SqlPostgres, AQueryOnAConnectionThatCannotBeResetIsUnavailable) {
  auto pg = testutil::PostgresProcess::Start();
  ASSERT_TRUE(pg.ok()) << pg.status();
  auto db = OpenDatabase((*pg)->url(), {.pool_size = 1});
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_TRUE((*db)->Ping().ok());
  (*pg)->Stop();
  for (int i = 0; i < 2; ++i) {
    absl::Status s = (*db)->Query("SELECT 1", {}).status();
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnavailable)) << i;
    EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("postgres")) << i;
  }
}

TEST(SqlUrl, EnginesByUrlAndPasswordsRedacted) {
  EXPECT_THAT(OpenDatabase("mysql://x").status(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(OpenDatabase("sqlite:").status(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(RedactDatabaseUrl("postgres://u:secret@h:5432/db"), "postgres://u:***@h:5432/db");
  EXPECT_EQ(RedactDatabaseUrl("postgres://u@h/db"), "postgres://u@h/db");
  EXPECT_THAT(OpenDatabase("sqlite:/nonexistent-dir/x.db").status(),
              StatusIs(absl::StatusCode::kUnavailable));
}

INSTANTIATE_TEST_SUITE_P(Engines, SqlTest, ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         [](const ::testing::TestParamInfo<Engine>& p) {
                           return p.param == Engine::kSqlite ? "Sqlite" : "Postgres";
                         });

}  // namespace
}  // namespace chainkms::store
