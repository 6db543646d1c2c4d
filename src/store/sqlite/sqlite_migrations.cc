#include "store/sqlite/sqlite_migrations.h"

#include <chrono>
#include <string>

namespace arca::store::sqlite {
namespace {

// 'ARCA': marks the file as an Arca metadata database (PRAGMA application_id).
constexpr int64_t kApplicationId = 0x41524341;

// Conventions: timestamps are REAL epoch seconds; names are TEXT compared with BINARY collation
// (case-sensitive, like CodeArtifact); child rows of a repository reference repositories.id with
// ON DELETE CASCADE so later tables (packages, versions, assets) follow the same pattern.
constexpr Migration kMigrations[] = {
    {1, "accounts and access keys", R"sql(
CREATE TABLE meta (
  key   TEXT PRIMARY KEY NOT NULL,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO meta (key, value) VALUES ('access_keys_generation', 0);

CREATE TABLE accounts (
  id           TEXT PRIMARY KEY NOT NULL,
  name         TEXT NOT NULL,
  created_time REAL NOT NULL
) WITHOUT ROWID;

CREATE TABLE access_keys (
  id            TEXT PRIMARY KEY NOT NULL,
  account_id    TEXT NOT NULL REFERENCES accounts (id),
  user_name     TEXT NOT NULL,
  secret_sealed BLOB NOT NULL,
  created_time  REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX access_keys_by_account ON access_keys (account_id, id);
)sql"},

    {2, "domains, repositories, upstreams, external connections, tags", R"sql(
CREATE TABLE domains (
  id             INTEGER PRIMARY KEY,
  owner          TEXT NOT NULL,
  name           TEXT NOT NULL,
  encryption_key TEXT NOT NULL,
  created_time   REAL NOT NULL,
  UNIQUE (owner, name)
);

-- domain_owner/domain_name are kept on the row (immutable, like the name) so that listing in
-- (domain_owner, domain_name, name) order is a walk of the unique index.
CREATE TABLE repositories (
  id                    INTEGER PRIMARY KEY,
  domain_owner          TEXT NOT NULL,
  domain_name           TEXT NOT NULL,
  name                  TEXT NOT NULL,
  administrator_account TEXT NOT NULL,
  description           TEXT NOT NULL,
  created_time          REAL NOT NULL,
  UNIQUE (domain_owner, domain_name, name),
  FOREIGN KEY (domain_owner, domain_name) REFERENCES domains (owner, name)
);
CREATE INDEX repositories_by_administrator
  ON repositories (administrator_account, domain_owner, domain_name, name);

-- Search order is `position` ascending; deleting the upstream repository removes the row.
CREATE TABLE repository_upstreams (
  repository_id INTEGER NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
  position      INTEGER NOT NULL,
  upstream_id   INTEGER NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
  PRIMARY KEY (repository_id, position),
  UNIQUE (repository_id, upstream_id)
) WITHOUT ROWID;
CREATE INDEX repository_upstreams_by_upstream ON repository_upstreams (upstream_id);

CREATE TABLE repository_external_connections (
  repository_id  INTEGER NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
  name           TEXT NOT NULL,
  package_format TEXT NOT NULL,
  position       INTEGER NOT NULL,
  PRIMARY KEY (repository_id, name)
) WITHOUT ROWID;

CREATE TABLE tags (
  arn   TEXT NOT NULL,
  key   TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (arn, key)
) WITHOUT ROWID;
)sql"},

    {3, "packages, package versions, assets, dependencies, licenses, dist-tags", R"sql(
-- One row per (repository, format, namespace, name); namespace is '' when the format has none.
-- The unique index is also the listing order of list_packages.
CREATE TABLE packages (
  id              INTEGER PRIMARY KEY,
  repository_id   INTEGER NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
  format          TEXT NOT NULL,
  namespace       TEXT NOT NULL,
  name            TEXT NOT NULL,
  origin_publish  TEXT NOT NULL,
  origin_upstream TEXT NOT NULL,
  created_time    REAL NOT NULL,
  UNIQUE (repository_id, format, namespace, name)
);

-- format_metadata is a BLOB: format-owned bytes, kept exactly (NULs, any encoding).
CREATE TABLE package_versions (
  id                        INTEGER PRIMARY KEY,
  package_id                INTEGER NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
  version                   TEXT NOT NULL,
  display_name              TEXT NOT NULL,
  status                    TEXT NOT NULL,
  revision                  TEXT NOT NULL,
  published_time            REAL NOT NULL,
  origin_type               TEXT NOT NULL,
  entry_repository          TEXT NOT NULL,
  entry_external_connection TEXT NOT NULL,
  summary                   TEXT NOT NULL,
  home_page                 TEXT NOT NULL,
  source_code_repository    TEXT NOT NULL,
  readme                    TEXT NOT NULL,
  format_metadata           BLOB NOT NULL,
  UNIQUE (package_id, version)
);

-- sha256 is the blob store key; its index answers "is this blob still referenced?".
CREATE TABLE assets (
  version_id INTEGER NOT NULL REFERENCES package_versions (id) ON DELETE CASCADE,
  name       TEXT NOT NULL,
  sha256     TEXT NOT NULL,
  size       INTEGER NOT NULL,
  md5        TEXT NOT NULL,
  sha1       TEXT NOT NULL,
  sha512     TEXT NOT NULL,
  PRIMARY KEY (version_id, name)
) WITHOUT ROWID;
CREATE INDEX assets_by_sha256 ON assets (sha256);

-- Dependencies and licenses keep the order they were given in (`position` ascending).
CREATE TABLE dependencies (
  version_id          INTEGER NOT NULL REFERENCES package_versions (id) ON DELETE CASCADE,
  position            INTEGER NOT NULL,
  namespace           TEXT NOT NULL,
  package             TEXT NOT NULL,
  dependency_type     TEXT NOT NULL,
  version_requirement TEXT NOT NULL,
  PRIMARY KEY (version_id, position)
) WITHOUT ROWID;

CREATE TABLE version_licenses (
  version_id INTEGER NOT NULL REFERENCES package_versions (id) ON DELETE CASCADE,
  position   INTEGER NOT NULL,
  name       TEXT NOT NULL,
  url        TEXT NOT NULL,
  PRIMARY KEY (version_id, position)
) WITHOUT ROWID;

-- A tag may name a version that does not exist (whether that is allowed is the format's rule).
CREATE TABLE dist_tags (
  package_id INTEGER NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
  tag        TEXT NOT NULL,
  version    TEXT NOT NULL,
  PRIMARY KEY (package_id, tag)
) WITHOUT ROWID;
)sql"},
    {4, "external-connection metadata cache", R"sql(
CREATE TABLE upstream_documents (
  connection    TEXT NOT NULL,
  key           TEXT NOT NULL,
  status        INTEGER NOT NULL,
  etag          TEXT NOT NULL,
  last_modified TEXT NOT NULL,
  fetched_time  REAL NOT NULL,
  body          BLOB NOT NULL,
  PRIMARY KEY (connection, key)
);
)sql"},

    {5, "package groups, their allowed repositories, per-domain group generations", R"sql(
-- Unlike repositories, groups do not keep their domain alive: deleting the domain deletes them
-- (and, through package_group_allowed_repositories, their allow-lists). The unique index is the
-- listing order of list_package_groups. The three *_mode columns are the PUBLISH,
-- EXTERNAL_UPSTREAM and INTERNAL_UPSTREAM restriction modes.
CREATE TABLE package_groups (
  id                     INTEGER PRIMARY KEY,
  domain_owner           TEXT NOT NULL,
  domain_name            TEXT NOT NULL,
  pattern                TEXT NOT NULL,
  description            TEXT NOT NULL,
  contact_info           TEXT NOT NULL,
  publish_mode           TEXT NOT NULL,
  external_upstream_mode TEXT NOT NULL,
  internal_upstream_mode TEXT NOT NULL,
  created_time           REAL NOT NULL,
  UNIQUE (domain_owner, domain_name, pattern),
  FOREIGN KEY (domain_owner, domain_name) REFERENCES domains (owner, name) ON DELETE CASCADE
);

-- Repository names as given (no reference to repositories: an allow-list may name a repository
-- that does not exist, or no longer does).
CREATE TABLE package_group_allowed_repositories (
  group_id         INTEGER NOT NULL REFERENCES package_groups (id) ON DELETE CASCADE,
  restriction_type TEXT NOT NULL,
  repository       TEXT NOT NULL,
  PRIMARY KEY (group_id, restriction_type, repository)
) WITHOUT ROWID;

-- Every group write sets its domain's generation to the next value of one store-wide counter, so
-- a generation is never repeated for a domain name, even after the domain is deleted and
-- re-created (which starts it again at 0).
ALTER TABLE domains ADD COLUMN package_groups_generation INTEGER NOT NULL DEFAULT 0;
INSERT INTO meta (key, value) VALUES ('package_groups_generation', 0);
)sql"},
};

double now_seconds() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

Result<int64_t> pragma_int(Connection& conn, const char* sql) {
  ARCA_ASSIGN_OR_RETURN(Query q, conn.query(sql));
  ARCA_ASSIGN_OR_RETURN(bool row, q.step());
  return row ? q.integer(0) : 0;
}

Status check_application_id(Connection& conn) {
  ARCA_ASSIGN_OR_RETURN(int64_t id, pragma_int(conn, "PRAGMA application_id"));
  if (id != 0 && id != kApplicationId) {
    return failed_precondition(
        "metadata store: " + std::string(sqlite3_db_filename(conn.handle(), "main")) +
        " is a SQLite database of another application (application_id " + std::to_string(id) + ")");
  }
  return {};
}

Status check_foreign_keys(Connection& conn, int version) {
  ARCA_ASSIGN_OR_RETURN(Query q, conn.query("PRAGMA foreign_key_check"));
  ARCA_ASSIGN_OR_RETURN(bool row, q.step());
  if (row) {
    return internal_error("metadata store: migration " + std::to_string(version) +
                          " left a dangling foreign key in table " + q.text(0));
  }
  return {};
}

// Applies the migration after `expected` in one write transaction. Returns false when the schema
// is current, true when the caller should look again (applied, or another process moved it).
Result<bool> apply_next(Connection& conn, std::span<const Migration> migrations, int expected) {
  int latest = migrations.empty() ? 0 : migrations.back().version;
  ARCA_ASSIGN_OR_RETURN(auto txn, Transaction::begin(conn, Transaction::Mode::kWrite));
  ARCA_TRY(conn.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_time REAL NOT NULL)"));
  ARCA_ASSIGN_OR_RETURN(int current, schema_version(conn));
  if (current > latest) {
    return failed_precondition(
        "metadata store: the database schema is at version " + std::to_string(current) +
        " but this build of arca knows versions up to " + std::to_string(latest) +
        "; it was written by a newer arca. Run that version or restore a backup.");
  }
  if (current == latest || current != expected) {
    ARCA_TRY(txn.commit());
    return current != latest;
  }
  const Migration& m = migrations[static_cast<size_t>(current)];
  if (m.version != current + 1) {
    return internal_error("metadata store: migrations are not numbered 1..N (found " +
                          std::to_string(m.version) + " at position " +
                          std::to_string(current + 1) + ")");
  }
  ARCA_TRY(conn.exec(m.sql));
  if (m.rebuilds_tables) ARCA_TRY(check_foreign_keys(conn, m.version));
  ARCA_TRY(
      conn.run("INSERT INTO schema_migrations (version, description, applied_time) "
               "VALUES (?, ?, ?)",
               m.version, std::string_view(m.description), now_seconds()));
  std::string pragmas = "PRAGMA user_version = " + std::to_string(m.version) +
                        "; PRAGMA application_id = " + std::to_string(kApplicationId);
  ARCA_TRY(conn.exec(pragmas.c_str()));
  ARCA_TRY(txn.commit());
  return true;
}

}  // namespace

std::span<const Migration> builtin_migrations() { return kMigrations; }

Result<int> schema_version(Connection& conn) {
  ARCA_ASSIGN_OR_RETURN(int64_t exists,
                        pragma_int(conn,
                                   "SELECT count(*) FROM sqlite_schema "
                                   "WHERE type = 'table' AND name = 'schema_migrations'"));
  if (exists == 0) return 0;
  ARCA_ASSIGN_OR_RETURN(
      int64_t version, pragma_int(conn, "SELECT coalesce(max(version), 0) FROM schema_migrations"));
  return static_cast<int>(version);
}

Status migrate(Connection& conn, std::span<const Migration> migrations) {
  ARCA_TRY(check_application_id(conn));
  for (;;) {
    ARCA_ASSIGN_OR_RETURN(int current, schema_version(conn));
    bool rebuilds = current < static_cast<int>(migrations.size()) &&
                    migrations[static_cast<size_t>(current)].rebuilds_tables;
    if (rebuilds) ARCA_TRY(conn.exec("PRAGMA foreign_keys = OFF"));
    auto applied = apply_next(conn, migrations, current);
    if (rebuilds) ARCA_TRY(conn.exec("PRAGMA foreign_keys = ON"));
    if (!applied) return applied.error();
    if (!*applied) return {};
  }
}

}  // namespace arca::store::sqlite
