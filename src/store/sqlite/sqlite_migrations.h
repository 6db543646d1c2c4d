#pragma once
// Versioned schema migrations compiled into the binary.
//
// The table `schema_migrations(version, description, applied_time)` records every applied
// migration; PRAGMA user_version mirrors the highest one for the sqlite3 shell. Migration N is
// applied exactly once, in its own BEGIN IMMEDIATE transaction together with its bookkeeping row,
// so a crash leaves the schema at N-1 or N, never between. Opening an older database upgrades it;
// opening a database written by a newer build (a version this build does not know) fails with
// kFailedPrecondition and changes nothing.
//
// To change the schema, append a Migration with the next version to kMigrations in
// sqlite_migrations.cc. Never edit or reorder a released migration.
#include <span>

#include "store/sqlite/sqlite_connection.h"
#include "util/error.h"

namespace arca::store::sqlite {

struct Migration {
  int version;              // 1, 2, 3, ... without gaps
  const char* description;  // recorded in schema_migrations
  const char* sql;          // one or more statements, run inside the migration's transaction
  // SQLite cannot ALTER most constraints; a migration that rebuilds a table (create new, copy,
  // drop old, rename) must run with foreign_keys OFF (it cannot change inside a transaction).
  // The migration then ends with PRAGMA foreign_key_check, enforced before it commits.
  bool rebuilds_tables = false;
};

// The migrations of this build, ascending.
std::span<const Migration> builtin_migrations();

// The highest applied version, 0 for an empty database.
Result<int> schema_version(Connection& conn);

// Brings the database up to the last of `migrations` (ascending, versions 1..N). Safe against
// concurrent openers in other processes: each step re-reads the version under the write lock.
Status migrate(Connection& conn, std::span<const Migration> migrations);

}  // namespace arca::store::sqlite
