#include "store/sqlite/sqlite_package_rows.h"

#include <algorithm>
#include <unordered_map>
#include <utility>

#include "store/sqlite/sqlite_rows.h"

namespace arca::store::sqlite {
namespace {

constexpr std::string_view kVersionColumns =
    "SELECT id, version, display_name, status, revision, published_time, origin_type, "
    "entry_repository, entry_external_connection, summary, home_page, source_code_repository, "
    "readme, format_metadata FROM package_versions WHERE package_id = ? ORDER BY version";

PackageVersion version_from_row(const Query& q) {
  PackageVersion v;
  v.version = q.text(1);
  v.display_name = q.text(2);
  v.status = q.text(3);
  v.revision = q.text(4);
  v.published_time = q.real(5);
  v.origin_type = q.text(6);
  v.entry_repository = q.text(7);
  v.entry_external_connection = q.text(8);
  v.summary = q.text(9);
  v.home_page = q.text(10);
  v.source_code_repository = q.text(11);
  v.readme = q.text(12);
  v.format_metadata = q.blob(13);
  return v;
}

// Version row id -> index in the snapshot's version list.
using VersionIndex = std::unordered_map<int64_t, size_t>;

// Runs `sql` (first column: version id, bound parameter: package id) and hands each row to
// add(version, query). Rows arrive in the order the SQL gives, so per-version order holds. The
// child queries order by (v.version, child key): the order of the two indexes they walk, so
// SQLite needs no sort.
template <class Add>
Status for_each_child(Connection& conn, std::string_view sql, int64_t package_id,
                      const VersionIndex& index, std::vector<PackageVersion>& versions, Add add) {
  ARCA_ASSIGN_OR_RETURN(Query q, conn.query(sql));
  q.bind(1, package_id);
  for (;;) {
    ARCA_ASSIGN_OR_RETURN(bool row, q.step());
    if (!row) return {};
    auto it = index.find(q.integer(0));
    if (it == index.end()) {
      return internal_error("metadata store: a child row names a version outside its package");
    }
    add(versions[it->second], q);
  }
}

Status load_versions(Connection& conn, int64_t package_id, std::vector<PackageVersion>& out) {
  VersionIndex index;
  {
    ARCA_ASSIGN_OR_RETURN(Query q, conn.query(kVersionColumns));
    q.bind(1, package_id);
    for (;;) {
      ARCA_ASSIGN_OR_RETURN(bool row, q.step());
      if (!row) break;
      index.emplace(q.integer(0), out.size());
      out.push_back(version_from_row(q));
    }
  }
  if (out.empty()) return {};
  ARCA_TRY(for_each_child(conn,
                          "SELECT a.version_id, a.name, a.sha256, a.size, a.md5, a.sha1, a.sha512 "
                          "FROM package_versions v JOIN assets a ON a.version_id = v.id "
                          "WHERE v.package_id = ? ORDER BY v.version, a.name",
                          package_id, index, out, [](PackageVersion& v, const Query& q) {
                            v.assets.push_back(Asset{q.text(1), q.text(2),
                                                     static_cast<uint64_t>(q.integer(3)), q.text(4),
                                                     q.text(5), q.text(6)});
                          }));
  ARCA_TRY(for_each_child(
      conn,
      "SELECT d.version_id, d.namespace, d.package, d.dependency_type, d.version_requirement "
      "FROM package_versions v JOIN dependencies d ON d.version_id = v.id "
      "WHERE v.package_id = ? ORDER BY v.version, d.position",
      package_id, index, out, [](PackageVersion& v, const Query& q) {
        v.dependencies.push_back(Dependency{q.text(1), q.text(2), q.text(3), q.text(4)});
      }));
  return for_each_child(conn,
                        "SELECT l.version_id, l.name, l.url "
                        "FROM package_versions v JOIN version_licenses l ON l.version_id = v.id "
                        "WHERE v.package_id = ? ORDER BY v.version, l.position",
                        package_id, index, out, [](PackageVersion& v, const Query& q) {
                          v.licenses.push_back(License{q.text(1), q.text(2)});
                        });
}

}  // namespace

Result<int64_t> require_repository_id(Connection& conn, const RepositoryRef& repo) {
  ARCA_ASSIGN_OR_RETURN(Query q, conn.query("SELECT id FROM repositories WHERE "
                                            "domain_owner = ? AND domain_name = ? AND name = ?"));
  q.bind_all(repo.domain_owner, repo.domain_name, repo.repository);
  ARCA_ASSIGN_OR_RETURN(bool row, q.step());
  if (!row) return repository_not_found(repo.domain_owner, repo.domain_name, repo.repository);
  return q.integer(0);
}

int64_t package_from_row(const Query& q, Package& out) {
  out.key = PackageKey{q.text(1), q.text(2), q.text(3)};
  out.origin = OriginRestrictions{q.text(4), q.text(5)};
  out.created_time = q.real(6);
  return q.integer(0);
}

Status load_dist_tags(Connection& conn, int64_t package_id,
                      std::map<std::string, std::string>& tags) {
  tags.clear();
  ARCA_ASSIGN_OR_RETURN(Query q,
                        conn.query("SELECT tag, version FROM dist_tags WHERE package_id = ?"));
  q.bind(1, package_id);
  for (;;) {
    ARCA_ASSIGN_OR_RETURN(bool row, q.step());
    if (!row) return {};
    tags.emplace(q.text(0), q.text(1));
  }
}

namespace {

// The package row and its dist-tags, without versions; nullopt when the package does not exist.
Result<std::optional<StoredPackage>> load_package_row(Connection& conn, int64_t repository_id,
                                                      const PackageKey& key) {
  std::optional<StoredPackage> found;
  {
    ARCA_ASSIGN_OR_RETURN(
        Query q, conn.query("SELECT id, format, namespace, name, origin_publish, origin_upstream, "
                            "created_time FROM packages WHERE repository_id = ? AND format = ? "
                            "AND namespace = ? AND name = ?"));
    q.bind_all(repository_id, key.format, key.namespace_, key.name);
    ARCA_ASSIGN_OR_RETURN(bool row, q.step());
    if (!row) return found;
    found.emplace();
    found->id = package_from_row(q, found->snapshot.package);
  }
  ARCA_TRY(load_dist_tags(conn, found->id, found->snapshot.package.dist_tags));
  return found;
}

// One version with its assets, dependencies and licenses; nullopt when it does not exist.
Result<std::optional<PackageVersion>> load_one_version(Connection& conn, int64_t package_id,
                                                       const std::string& version) {
  std::optional<PackageVersion> v;
  int64_t id = 0;
  {
    ARCA_ASSIGN_OR_RETURN(
        Query q,
        conn.query("SELECT id, version, display_name, status, revision, published_time, "
                   "origin_type, entry_repository, entry_external_connection, summary, home_page, "
                   "source_code_repository, readme, format_metadata FROM package_versions "
                   "WHERE package_id = ? AND version = ?"));
    q.bind_all(package_id, version);
    ARCA_ASSIGN_OR_RETURN(bool row, q.step());
    if (!row) return v;
    id = q.integer(0);
    v = version_from_row(q);
  }
  {
    ARCA_ASSIGN_OR_RETURN(Query q, conn.query("SELECT name, sha256, size, md5, sha1, sha512 FROM "
                                              "assets WHERE version_id = ? ORDER BY name"));
    q.bind(1, id);
    for (;;) {
      ARCA_ASSIGN_OR_RETURN(bool row, q.step());
      if (!row) break;
      v->assets.push_back(Asset{q.text(0), q.text(1), static_cast<uint64_t>(q.integer(2)),
                                q.text(3), q.text(4), q.text(5)});
    }
  }
  {
    ARCA_ASSIGN_OR_RETURN(Query q, conn.query("SELECT namespace, package, dependency_type, "
                                              "version_requirement FROM dependencies "
                                              "WHERE version_id = ? ORDER BY position"));
    q.bind(1, id);
    for (;;) {
      ARCA_ASSIGN_OR_RETURN(bool row, q.step());
      if (!row) break;
      v->dependencies.push_back(Dependency{q.text(0), q.text(1), q.text(2), q.text(3)});
    }
  }
  ARCA_ASSIGN_OR_RETURN(Query q, conn.query("SELECT name, url FROM version_licenses "
                                            "WHERE version_id = ? ORDER BY position"));
  q.bind(1, id);
  for (;;) {
    ARCA_ASSIGN_OR_RETURN(bool row, q.step());
    if (!row) break;
    v->licenses.push_back(License{q.text(0), q.text(1)});
  }
  return v;
}

}  // namespace

Result<std::optional<StoredPackage>> load_package(Connection& conn, int64_t repository_id,
                                                  const PackageKey& key) {
  ARCA_ASSIGN_OR_RETURN(auto found, load_package_row(conn, repository_id, key));
  if (found) ARCA_TRY(load_versions(conn, found->id, found->snapshot.versions));
  return found;
}

Result<std::optional<StoredPackage>> load_package_versions(
    Connection& conn, int64_t repository_id, const PackageKey& key,
    const std::vector<std::string>& versions) {
  ARCA_ASSIGN_OR_RETURN(auto found, load_package_row(conn, repository_id, key));
  if (!found) return found;
  std::vector<std::string> names(versions);
  std::sort(names.begin(), names.end());  // the snapshot's version order
  names.erase(std::unique(names.begin(), names.end()), names.end());
  for (const auto& name : names) {
    ARCA_ASSIGN_OR_RETURN(auto v, load_one_version(conn, found->id, name));
    if (v) found->snapshot.versions.push_back(std::move(*v));
  }
  return found;
}

Result<int64_t> insert_package(Connection& conn, int64_t repository_id, const PackageKey& key,
                               const OriginRestrictions& origin, Timestamp created_time) {
  ARCA_TRY(
      conn.run("INSERT INTO packages (repository_id, format, namespace, name, origin_publish, "
               "origin_upstream, created_time) VALUES (?, ?, ?, ?, ?, ?, ?)",
               repository_id, key.format, key.namespace_, key.name, origin.publish, origin.upstream,
               created_time));
  return static_cast<int64_t>(sqlite3_last_insert_rowid(conn.handle()));
}

namespace {

Result<int64_t> upsert_version_row(Connection& conn, int64_t package_id, const PackageVersion& v) {
  ARCA_ASSIGN_OR_RETURN(
      Query q,
      conn.query(
          "INSERT INTO package_versions (package_id, version, display_name, status, revision, "
          "published_time, origin_type, entry_repository, entry_external_connection, summary, "
          "home_page, source_code_repository, readme, format_metadata) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
          "ON CONFLICT (package_id, version) DO UPDATE SET display_name = excluded.display_name, "
          "status = excluded.status, revision = excluded.revision, "
          "published_time = excluded.published_time, origin_type = excluded.origin_type, "
          "entry_repository = excluded.entry_repository, "
          "entry_external_connection = excluded.entry_external_connection, "
          "summary = excluded.summary, home_page = excluded.home_page, "
          "source_code_repository = excluded.source_code_repository, readme = excluded.readme, "
          "format_metadata = excluded.format_metadata RETURNING id"));
  q.bind_all(package_id, v.version, v.display_name, v.status, v.revision, v.published_time,
             v.origin_type, v.entry_repository, v.entry_external_connection, v.summary, v.home_page,
             v.source_code_repository, v.readme);
  q.bind_blob(14, v.format_metadata);
  ARCA_ASSIGN_OR_RETURN(bool row, q.step());
  if (!row) return internal_error("metadata store: version upsert returned no id");
  int64_t id = q.integer(0);
  ARCA_TRY(q.run());  // finish the statement so its write completes
  return id;
}

}  // namespace

Status upsert_version(Connection& conn, int64_t package_id, const PackageVersion& version) {
  ARCA_ASSIGN_OR_RETURN(int64_t id, upsert_version_row(conn, package_id, version));
  ARCA_TRY(conn.run("DELETE FROM assets WHERE version_id = ?", id));
  ARCA_TRY(conn.run("DELETE FROM dependencies WHERE version_id = ?", id));
  ARCA_TRY(conn.run("DELETE FROM version_licenses WHERE version_id = ?", id));
  for (const auto& a : version.assets) {
    ARCA_TRY(
        conn.run("INSERT INTO assets (version_id, name, sha256, size, md5, sha1, sha512) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?)",
                 id, a.name, a.sha256, static_cast<int64_t>(a.size), a.md5, a.sha1, a.sha512));
  }
  int64_t position = 0;
  for (const auto& d : version.dependencies) {
    ARCA_TRY(conn.run(
        "INSERT INTO dependencies (version_id, position, namespace, package, dependency_type, "
        "version_requirement) VALUES (?, ?, ?, ?, ?, ?)",
        id, position++, d.namespace_, d.package, d.dependency_type, d.version_requirement));
  }
  position = 0;
  for (const auto& l : version.licenses) {
    ARCA_TRY(conn.run(
        "INSERT INTO version_licenses (version_id, position, name, url) VALUES (?, ?, ?, ?)", id,
        position++, l.name, l.url));
  }
  return {};
}

Result<std::vector<std::string>> unreferenced(Connection& conn,
                                              const std::set<std::string>& candidates) {
  std::vector<std::string> out;
  for (const auto& sha256 : candidates) {
    ARCA_ASSIGN_OR_RETURN(Query q,
                          conn.query("SELECT EXISTS (SELECT 1 FROM assets WHERE sha256 = ?)"));
    q.bind(1, sha256);
    ARCA_ASSIGN_OR_RETURN(bool row, q.step());
    if (row && q.integer(0) == 0) out.push_back(sha256);
  }
  return out;
}

}  // namespace arca::store::sqlite
