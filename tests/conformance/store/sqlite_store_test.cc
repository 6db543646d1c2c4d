// SqliteMetadataStore: the conformance suite plus what only SQLite has (files, WAL, migrations,
// several processes on one file, busy mapping).
#include <sqlite3.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <latch>
#include <thread>

#include "conformance/store/metadata_store_conformance.h"
#include "store/sqlite/sqlite_connection.h"
#include "store/sqlite/sqlite_metadata_store.h"
#include "store/sqlite/sqlite_migrations.h"

namespace arca::store {
namespace {

using conformance::code_of;
using conformance::make_domain;
using conformance::make_repository;
using conformance::MetadataStoreConformance;
using conformance::MetadataStoreFactory;
using conformance::TempDir;

constexpr char kOwner[] = "111111111111";

std::unique_ptr<MetadataStore> make_sqlite_store(const std::string& tempdir) {
  auto store = SqliteMetadataStore::open(tempdir + "/metadata.db");
  if (!store) {
    ADD_FAILURE() << "open: " << store.error().message;
    return nullptr;
  }
  return std::move(*store);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, MetadataStoreConformance,
                         ::testing::Values(MetadataStoreFactory{"sqlite", make_sqlite_store}),
                         conformance::metadata_store_factory_name);

// Runs one query on a private raw connection and returns the first column of the first row.
std::string query_one(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  sqlite::DbPtr owner;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    sqlite3_close_v2(db);
    return "<open failed>";
  }
  owner.reset(db);
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) {
    return std::string("<prepare failed: ") + sqlite3_errmsg(db) + ">";
  }
  sqlite::StmtPtr stmt(raw);
  int rc = sqlite3_step(raw);
  if (rc == SQLITE_DONE) return "";
  if (rc != SQLITE_ROW) return std::string("<step failed: ") + sqlite3_errmsg(db) + ">";
  const unsigned char* text = sqlite3_column_text(raw, 0);
  return text == nullptr ? "NULL" : reinterpret_cast<const char*>(text);
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  std::string db_path() const { return dir_.path() + "/metadata.db"; }
  std::unique_ptr<SqliteMetadataStore> open_store() {
    auto s = SqliteMetadataStore::open(db_path());
    EXPECT_TRUE(s) << s.error().message;
    return s ? std::move(*s) : nullptr;
  }
  TempDir dir_;
};

const std::string kLatest = std::to_string(sqlite::builtin_migrations().back().version);

std::string all_versions() {
  std::string out;
  for (const auto& m : sqlite::builtin_migrations()) {
    out += (out.empty() ? "" : ",") + std::to_string(m.version);
  }
  return out;
}

TEST_F(SqliteStoreTest, PersistsAcrossReopen) {
  {
    auto s = open_store();
    ASSERT_NE(s, nullptr);
    ASSERT_TRUE(s->create_account(Account{kOwner, "main", 1.5}));
    ASSERT_TRUE(s->create_access_key(AccessKey{"AKIA1", kOwner, "u", std::string("\0x", 2), 2}));
    ASSERT_TRUE(s->create_domain(make_domain(kOwner, "d"), 10));
    ASSERT_TRUE(s->create_repository(make_repository(kOwner, "d", "up"), 10));
    ASSERT_TRUE(s->create_repository(make_repository(kOwner, "d", "r", {"up"}), 10));
    ASSERT_TRUE(s->put_tags("arn:x", {{"k", "v"}}, 10));
  }
  auto s = open_store();
  ASSERT_NE(s, nullptr);
  auto key = s->get_access_key("AKIA1");
  ASSERT_TRUE(key);
  EXPECT_EQ(key->secret_sealed, std::string("\0x", 2));
  auto gen = s->access_keys_generation();
  ASSERT_TRUE(gen);
  EXPECT_EQ(*gen, 1);
  auto r = s->get_repository(kOwner, "d", "r");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->upstreams, std::vector<std::string>{"up"});
  auto tags = s->get_tags("arn:x");
  ASSERT_TRUE(tags);
  EXPECT_EQ(tags->size(), 1u);
}

TEST_F(SqliteStoreTest, MigrationsAreAppliedOnceAcrossReopens) {
  for (int i = 0; i < 3; ++i) {
    auto s = open_store();
    ASSERT_NE(s, nullptr);
    ASSERT_TRUE(s->create_domain(make_domain(kOwner, "d" + std::to_string(i)), 10));
  }
  EXPECT_EQ(query_one(db_path(), "SELECT count(*) FROM schema_migrations"), kLatest);
  EXPECT_EQ(query_one(db_path(),
                      "SELECT group_concat(version) FROM "
                      "(SELECT version FROM schema_migrations ORDER BY version)"),
            all_versions());
  EXPECT_EQ(query_one(db_path(), "PRAGMA user_version"), kLatest);
  EXPECT_EQ(query_one(db_path(), "SELECT count(*) FROM domains"), "3");
}

TEST_F(SqliteStoreTest, OpeningAnOlderDatabaseUpgradesIt) {
  {
    auto conn = sqlite::Connection::open(db_path(), {});
    ASSERT_TRUE(conn);
    ASSERT_TRUE(sqlite::migrate(**conn, sqlite::builtin_migrations().first(1)));
    ASSERT_TRUE((*conn)->run("INSERT INTO accounts (id, name, created_time) VALUES (?, ?, ?)",
                             std::string(kOwner), std::string("old"), 1.0));
  }
  EXPECT_EQ(query_one(db_path(), "PRAGMA user_version"), "1");
  auto s = open_store();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(query_one(db_path(), "PRAGMA user_version"), kLatest);
  auto account = s->get_account(kOwner);
  ASSERT_TRUE(account);
  EXPECT_EQ(account->name, "old");
  EXPECT_TRUE(s->create_domain(make_domain(kOwner, "d"), 10));
}

TEST_F(SqliteStoreTest, UpgradedRepositoryHoldsPackagesAndDeletingItLeavesNoRows) {
  {
    auto conn = sqlite::Connection::open(db_path(), {});
    ASSERT_TRUE(conn);
    ASSERT_TRUE(sqlite::migrate(**conn, sqlite::builtin_migrations().first(2)));
  }
  const RepositoryRef repo{kOwner, "d", "r"};
  {
    auto s = open_store();
    ASSERT_NE(s, nullptr);
    ASSERT_TRUE(s->create_domain(make_domain(kOwner, "d"), 10));
    ASSERT_TRUE(s->create_repository(make_repository(kOwner, "d", "r"), 10));
  }
  // Re-open an upgraded file, as a restarted server would.
  auto s = open_store();
  ASSERT_NE(s, nullptr);
  PackageVersion v;
  v.version = "1.0.0";
  v.assets = {Asset{"a.tgz", std::string(64, 'a'), 3, "", "", ""}};
  v.dependencies = {Dependency{"", "dep", "dependencies", "^1"}};
  v.licenses = {License{"MIT", ""}};
  auto created = s->mutate_package(repo, PackageKey{"npm", "", "p"},
                                   [&](const std::optional<PackageSnapshot>&) {
                                     PackageMutation m;
                                     m.origin = OriginRestrictions{};
                                     m.upsert_versions = {v};
                                     m.dist_tags = {{"latest", "1.0.0"}};
                                     return Result<PackageMutation>(m);
                                   });
  ASSERT_TRUE(created) << created.error().message;
  const char* tables[] = {"packages",     "package_versions", "assets",
                          "dependencies", "version_licenses", "dist_tags"};
  for (const char* t : tables) {
    EXPECT_EQ(query_one(db_path(), std::string("SELECT count(*) FROM ") + t), "1") << t;
  }
  ASSERT_TRUE(s->delete_repository(kOwner, "d", "r"));
  for (const char* t : tables) {
    EXPECT_EQ(query_one(db_path(), std::string("SELECT count(*) FROM ") + t), "0") << t;
  }
}

// Migration 5 adds a column to existing domains: a domain from before it has generation 0, takes
// groups, and deleting it deletes them.
TEST_F(SqliteStoreTest, DomainFromBeforePackageGroupsTakesGroups) {
  {
    auto conn = sqlite::Connection::open(db_path(), {});
    ASSERT_TRUE(conn);
    ASSERT_TRUE(sqlite::migrate(**conn, sqlite::builtin_migrations().first(4)));
    ASSERT_TRUE((*conn)->run(
        "INSERT INTO domains (owner, name, encryption_key, created_time) VALUES (?, ?, '', 1)",
        std::string(kOwner), std::string("d")));
  }
  auto s = open_store();
  ASSERT_NE(s, nullptr);
  auto generation = s->package_groups_generation(kOwner, "d");
  ASSERT_TRUE(generation) << generation.error().message;
  EXPECT_EQ(*generation, 0);
  PackageGroup g;
  g.domain_owner = kOwner;
  g.domain_name = "d";
  g.pattern = "/*";
  g.allowed_repositories = {{"PUBLISH", {"r"}}};
  ASSERT_TRUE(s->create_package_group(g, 10));
  generation = s->package_groups_generation(kOwner, "d");
  ASSERT_TRUE(generation);
  EXPECT_GT(*generation, 0);
  ASSERT_TRUE(s->delete_domain(kOwner, "d"));
  EXPECT_EQ(query_one(db_path(), "SELECT count(*) FROM package_groups"), "0");
  EXPECT_EQ(query_one(db_path(), "SELECT count(*) FROM package_group_allowed_repositories"), "0");
}

TEST_F(SqliteStoreTest, RefusesADatabaseFromANewerVersion) {
  { ASSERT_NE(open_store(), nullptr); }
  EXPECT_EQ(query_one(db_path(), "INSERT INTO schema_migrations VALUES (99, 'future', 0)"), "");
  auto s = SqliteMetadataStore::open(db_path());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Code::kFailedPrecondition);
  EXPECT_NE(s.error().message.find("version 99"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("newer"), std::string::npos) << s.error().message;
  EXPECT_EQ(query_one(db_path(), "SELECT max(version) FROM schema_migrations"), "99");
}

TEST_F(SqliteStoreTest, RefusesAnotherApplicationsDatabase) {
  EXPECT_EQ(query_one(db_path(), "PRAGMA application_id = 42"), "");
  auto s = SqliteMetadataStore::open(db_path());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Code::kFailedPrecondition);
}

TEST_F(SqliteStoreTest, NewMigrationIsAppliedExactlyOnce) {
  std::vector<sqlite::Migration> migrations(sqlite::builtin_migrations().begin(),
                                            sqlite::builtin_migrations().end());
  int next = migrations.back().version + 1;
  migrations.push_back({next, "test", "CREATE TABLE t (x); INSERT INTO t VALUES (1);"});
  { ASSERT_NE(open_store(), nullptr); }
  for (int i = 0; i < 2; ++i) {
    auto conn = sqlite::Connection::open(db_path(), {});
    ASSERT_TRUE(conn);
    ASSERT_TRUE(sqlite::migrate(**conn, migrations));
  }
  EXPECT_EQ(query_one(db_path(), "SELECT count(*) FROM t"), "1");
  EXPECT_EQ(query_one(db_path(), "PRAGMA user_version"), std::to_string(next));
}

TEST_F(SqliteStoreTest, FailedMigrationLeavesNoTrace) {
  std::vector<sqlite::Migration> migrations(sqlite::builtin_migrations().begin(),
                                            sqlite::builtin_migrations().end());
  int next = migrations.back().version + 1;
  migrations.push_back({next, "broken", "CREATE TABLE half (x); INSERT INTO nowhere VALUES (1);"});
  { ASSERT_NE(open_store(), nullptr); }
  auto conn = sqlite::Connection::open(db_path(), {});
  ASSERT_TRUE(conn);
  auto migrated = sqlite::migrate(**conn, migrations);
  ASSERT_FALSE(migrated);
  EXPECT_EQ(migrated.error().code, Code::kInternal);
  EXPECT_EQ(query_one(db_path(), "SELECT count(*) FROM sqlite_schema WHERE name = 'half'"), "0");
  EXPECT_EQ(query_one(db_path(), "PRAGMA user_version"), kLatest);
}

TEST_F(SqliteStoreTest, UsesWalWithForeignKeys) {
  auto s = open_store();
  ASSERT_NE(s, nullptr);
  ASSERT_TRUE(s->create_domain(make_domain(kOwner, "d"), 10));
  EXPECT_TRUE(std::filesystem::exists(db_path() + "-wal"));
  EXPECT_TRUE(std::filesystem::exists(db_path() + "-shm"));
  EXPECT_EQ(query_one(db_path(), "PRAGMA journal_mode"), "wal");
}

TEST_F(SqliteStoreTest, TwoStoresOnOneFileStayExact) {
  auto a = open_store();
  auto b = open_store();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  std::latch start(10);
  std::atomic<int> ok{0}, exists{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 10; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      auto r = (i % 2 ? *a : *b).create_domain(make_domain(kOwner, "d"), 10);
      if (r) ++ok;
      if (!r && r.error().code == Code::kAlreadyExists) ++exists;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(exists.load(), 9);
}

// While another process holds the write lock, reads still run and a write times out as
// kUnavailable (retryable) after busy_timeout.
TEST_F(SqliteStoreTest, ReadsProceedWhileAnotherWriterHoldsTheLock) {
  SqliteMetadataStore::Options options;
  options.busy_timeout = std::chrono::milliseconds(100);
  auto opened = SqliteMetadataStore::open(db_path(), options);
  ASSERT_TRUE(opened) << opened.error().message;
  auto& s = **opened;
  ASSERT_TRUE(s.create_domain(make_domain(kOwner, "d"), 10));

  auto other = sqlite::Connection::open(db_path(), {});
  ASSERT_TRUE(other);
  ASSERT_TRUE((*other)->exec("BEGIN IMMEDIATE"));
  ASSERT_TRUE((*other)->exec("INSERT INTO tags VALUES ('arn:held', 'k', 'v')"));

  auto read = s.get_domain(kOwner, "d");
  EXPECT_TRUE(read) << read.error().message;
  auto tags = s.get_tags("arn:held");
  ASSERT_TRUE(tags);
  EXPECT_TRUE(tags->empty());  // uncommitted writes are invisible
  auto write = s.create_domain(make_domain(kOwner, "e"), 10);
  ASSERT_FALSE(write);
  EXPECT_EQ(write.error().code, Code::kUnavailable) << write.error().message;

  ASSERT_TRUE((*other)->exec("COMMIT"));
  EXPECT_TRUE(s.create_domain(make_domain(kOwner, "e"), 10));
}

TEST(SqliteErrorTest, MapsResultCodes) {
  EXPECT_EQ(sqlite::sqlite_error(nullptr, SQLITE_CONSTRAINT_UNIQUE, "x").code,
            Code::kAlreadyExists);
  EXPECT_EQ(sqlite::sqlite_error(nullptr, SQLITE_CONSTRAINT_PRIMARYKEY, "x").code,
            Code::kAlreadyExists);
  EXPECT_EQ(sqlite::sqlite_error(nullptr, SQLITE_CONSTRAINT_FOREIGNKEY, "x").code, Code::kInternal);
  EXPECT_EQ(sqlite::sqlite_error(nullptr, SQLITE_BUSY, "x").code, Code::kUnavailable);
  EXPECT_EQ(sqlite::sqlite_error(nullptr, SQLITE_BUSY_SNAPSHOT, "x").code, Code::kUnavailable);
  EXPECT_EQ(sqlite::sqlite_error(nullptr, SQLITE_IOERR_FSYNC, "x").code, Code::kUnavailable);
  EXPECT_EQ(sqlite::sqlite_error(nullptr, SQLITE_FULL, "x").code, Code::kUnavailable);
  EXPECT_EQ(sqlite::sqlite_error(nullptr, SQLITE_CORRUPT, "x").code, Code::kInternal);
  EXPECT_EQ(sqlite::sqlite_error(nullptr, SQLITE_NOTADB, "x").code, Code::kInternal);
}

TEST_F(SqliteStoreTest, OpenFailuresAreClear) {
  auto missing_dir = SqliteMetadataStore::open(dir_.path() + "/no/such/dir/metadata.db");
  ASSERT_FALSE(missing_dir);
  EXPECT_EQ(missing_dir.error().code, Code::kUnavailable);
  EXPECT_NE(missing_dir.error().message.find("no/such/dir"), std::string::npos)
      << missing_dir.error().message;

  {
    std::FILE* f = std::fopen(db_path().c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("this is not a database, just some text that is long enough to matter\n", f);
    std::fclose(f);
  }
  auto garbage = SqliteMetadataStore::open(db_path());
  ASSERT_FALSE(garbage);
  EXPECT_EQ(garbage.error().code, Code::kInternal) << garbage.error().message;
}

TEST_F(SqliteStoreTest, StatementCacheHandlesNestedUseOfOneStatement) {
  auto conn = sqlite::Connection::open(db_path(), {});
  ASSERT_TRUE(conn);
  auto& c = **conn;
  ASSERT_TRUE(c.exec("CREATE TABLE n (x); INSERT INTO n VALUES (1), (2);"));
  const char* sql = "SELECT x FROM n ORDER BY x";
  auto outer = c.query(sql);
  ASSERT_TRUE(outer);
  ASSERT_TRUE(*outer->step());
  int inner_rows = 0;
  {
    auto inner = c.query(sql);  // same SQL while the cached statement is borrowed
    ASSERT_TRUE(inner);
    while (*inner->step()) ++inner_rows;
  }
  EXPECT_EQ(inner_rows, 2);
  EXPECT_EQ(outer->integer(0), 1);
  ASSERT_TRUE(*outer->step());
  EXPECT_EQ(outer->integer(0), 2);
}

}  // namespace
}  // namespace arca::store
