// SqliteMetadataStore: packages, versions, assets.
#include <algorithm>
#include <array>
#include <chrono>
#include <map>
#include <set>

#include "store/sqlite/sqlite_metadata_store.h"
#include "store/sqlite/sqlite_package_rows.h"
#include "store/sqlite/sqlite_rows.h"

namespace arca::store {

using sqlite::Query;

namespace {

// The store's clock for Package::created_time, at millisecond precision like every Timestamp.
Timestamp now_millis() {
  using namespace std::chrono;
  auto ms = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  return static_cast<double>(ms) / 1000.0;
}

// Splits a package_cursor() string into (format, namespace, name).
Result<std::array<std::string, 3>> parse_package_cursor(const std::string& cursor) {
  size_t a = cursor.find('\x1f');
  size_t b = a == std::string::npos ? a : cursor.find('\x1f', a + 1);
  if (b == std::string::npos || cursor.find('\x1f', b + 1) != std::string::npos) {
    return invalid_argument("The pagination token is not valid for this list of packages");
  }
  return std::array<std::string, 3>{cursor.substr(0, a), cursor.substr(a + 1, b - a - 1),
                                    cursor.substr(b + 1)};
}

// A mutation the store cannot apply as asked is a bug in the caller (core/), not bad input.
Status check_mutation(const PackageMutation& m) {
  std::set<std::string_view> versions;
  for (const auto& v : m.upsert_versions) {
    if (!versions.insert(v.version).second) {
      return internal_error("mutate_package: version " + v.version + " is upserted twice");
    }
    std::set<std::string_view> assets;
    for (const auto& a : v.assets) {
      if (!assets.insert(a.name).second) {
        return internal_error("mutate_package: version " + v.version + " lists asset " + a.name +
                              " twice");
      }
    }
  }
  return {};
}

void add_asset_keys(const PackageVersion& v, std::set<std::string>& keys) {
  for (const auto& a : v.assets) keys.insert(a.sha256);
}

// Applies `m` to the package (package_id and stored: its row and state before the mutation,
// nullopt if missing).
// Collects into `removed` the blob keys of every asset row the mutation deletes or replaces.
Status apply_mutation(sqlite::Connection& conn, int64_t repository_id, const PackageKey& key,
                      std::optional<int64_t> existing_id,
                      const std::optional<PackageSnapshot>& stored, const PackageMutation& m,
                      std::set<std::string>& removed) {
  // A plain id (0 = none): GCC 12 reports a false maybe-uninitialized on an optional here.
  int64_t package_id = existing_id.value_or(0);
  std::map<std::string_view, const PackageVersion*> current;  // versions still stored
  if (stored) {
    for (const auto& v : stored->versions) current.emplace(v.version, &v);
  }
  if (m.delete_package && package_id) {
    for (const auto& [name, v] : current) add_asset_keys(*v, removed);
    current.clear();
    ARCA_TRY(conn.run("DELETE FROM packages WHERE id = ?", package_id));  // cascades
    package_id = 0;
  }
  // Removing tags of a package that is gone (or being deleted) writes nothing.
  bool sets_tag = std::any_of(m.dist_tags.begin(), m.dist_tags.end(),
                              [](const auto& kv) { return kv.second.has_value(); });
  bool writes = m.origin || !m.upsert_versions.empty() || sets_tag;
  if (!package_id && writes) {
    if (!m.origin) {
      return internal_error("mutate_package: package " + key.name +
                            " does not exist and the mutation creates it without an origin");
    }
    ARCA_ASSIGN_OR_RETURN(
        package_id, sqlite::insert_package(conn, repository_id, key, *m.origin, now_millis()));
  } else if (package_id && m.origin) {
    ARCA_TRY(conn.run("UPDATE packages SET origin_publish = ?, origin_upstream = ? WHERE id = ?",
                      m.origin->publish, m.origin->upstream, package_id));
  }
  if (!package_id) return {};
  for (const auto& version : m.delete_versions) {
    auto it = current.find(version);
    if (it == current.end()) continue;
    add_asset_keys(*it->second, removed);
    current.erase(it);
    ARCA_TRY(conn.run("DELETE FROM package_versions WHERE package_id = ? AND version = ?",
                      package_id, version));
  }
  for (const auto& v : m.upsert_versions) {
    auto it = current.find(v.version);
    if (it != current.end()) add_asset_keys(*it->second, removed);
    ARCA_TRY(sqlite::upsert_version(conn, package_id, v));
  }
  for (const auto& [tag, version] : m.dist_tags) {
    if (version) {
      ARCA_TRY(
          conn.run("INSERT INTO dist_tags (package_id, tag, version) VALUES (?, ?, ?) "
                   "ON CONFLICT (package_id, tag) DO UPDATE SET version = excluded.version",
                   package_id, tag, *version));
    } else {
      ARCA_TRY(conn.run("DELETE FROM dist_tags WHERE package_id = ? AND tag = ?", package_id, tag));
    }
  }
  return {};
}

// The rest of a mutation once the package is loaded (all of it, or the `scope` versions only).
Result<MutationOutcome> finish_mutation(sqlite::Connection& conn, int64_t repository_id,
                                        const PackageKey& key,
                                        std::optional<sqlite::StoredPackage> stored,
                                        const MetadataStore::PackageMutator& fn,
                                        const std::vector<std::string>* scope) {
  std::optional<int64_t> package_id;
  std::optional<PackageSnapshot> snapshot;
  if (stored) {
    package_id = stored->id;
    snapshot = std::move(stored->snapshot);
  }
  ARCA_ASSIGN_OR_RETURN(PackageMutation mutation, fn(snapshot));
  ARCA_TRY(check_mutation(mutation));
  if (scope) ARCA_TRY(check_version_scope(mutation, *scope));
  std::set<std::string> removed;
  ARCA_TRY(apply_mutation(conn, repository_id, key, package_id, snapshot, mutation, removed));
  MutationOutcome outcome;
  outcome.package_existed = package_id.has_value();
  ARCA_ASSIGN_OR_RETURN(outcome.unreferenced_blobs, sqlite::unreferenced(conn, removed));
  return outcome;
}

}  // namespace

Result<PackageSnapshot> SqliteMetadataStore::get_package(const RepositoryRef& repo,
                                                         const PackageKey& key) {
  return read([&](Connection& conn) -> Result<PackageSnapshot> {
    ARCA_ASSIGN_OR_RETURN(int64_t repository_id, sqlite::require_repository_id(conn, repo));
    ARCA_ASSIGN_OR_RETURN(auto stored, sqlite::load_package(conn, repository_id, key));
    if (!stored) return store::package_not_found(repo, key);
    return std::move(stored->snapshot);
  });
}

Result<std::vector<Package>> SqliteMetadataStore::list_packages(const RepositoryRef& repo,
                                                                const PackageFilter& filter,
                                                                const Page& page) {
  std::array<std::string, 3> after;
  if (!page.after.empty()) {
    ARCA_ASSIGN_OR_RETURN(after, parse_package_cursor(page.after));
  }
  // Each combination of set filters is its own cached statement. `col >= prefix` lets the index
  // narrow the scan; substr() is the exact literal test ('%' and '_' are plain characters).
  std::string sql =
      "SELECT id, format, namespace, name, origin_publish, origin_upstream, created_time "
      "FROM packages WHERE repository_id = ?";
  if (filter.format) sql += " AND format = ?";
  if (filter.namespace_prefix && !filter.namespace_prefix->empty()) {
    sql += " AND namespace >= ? AND substr(namespace, 1, length(?)) = ?";
  }
  if (!filter.name_prefix.empty()) sql += " AND name >= ? AND substr(name, 1, length(?)) = ?";
  if (filter.publish) sql += " AND origin_publish = ?";
  if (filter.upstream) sql += " AND origin_upstream = ?";
  if (!page.after.empty()) sql += " AND (format, namespace, name) > (?, ?, ?)";
  sql += " ORDER BY format, namespace, name LIMIT ?";

  return read([&](Connection& conn) -> Result<std::vector<Package>> {
    ARCA_ASSIGN_OR_RETURN(int64_t repository_id, sqlite::require_repository_id(conn, repo));
    std::vector<std::pair<int64_t, Package>> rows;
    {
      ARCA_ASSIGN_OR_RETURN(Query q, conn.query(sql));
      int index = 0;
      q.bind(++index, repository_id);
      if (filter.format) q.bind(++index, *filter.format);
      if (filter.namespace_prefix && !filter.namespace_prefix->empty()) {
        for (int i = 0; i < 3; ++i) q.bind(++index, *filter.namespace_prefix);
      }
      if (!filter.name_prefix.empty()) {
        for (int i = 0; i < 3; ++i) q.bind(++index, filter.name_prefix);
      }
      if (filter.publish) q.bind(++index, *filter.publish);
      if (filter.upstream) q.bind(++index, *filter.upstream);
      if (!page.after.empty()) {
        for (const auto& part : after) q.bind(++index, part);
      }
      q.bind(++index, sqlite::sql_limit(page.limit));
      for (;;) {
        ARCA_ASSIGN_OR_RETURN(bool row, q.step());
        if (!row) break;
        Package p;
        int64_t id = sqlite::package_from_row(q, p);
        rows.emplace_back(id, std::move(p));
      }
    }
    std::vector<Package> out;
    out.reserve(rows.size());
    for (auto& [id, p] : rows) {
      ARCA_TRY(sqlite::load_dist_tags(conn, id, p.dist_tags));
      out.push_back(std::move(p));
    }
    return out;
  });
}

Result<MutationOutcome> SqliteMetadataStore::mutate_package(const RepositoryRef& repo,
                                                            const PackageKey& key,
                                                            const PackageMutator& fn) {
  return write([&](Connection& conn) -> Result<MutationOutcome> {
    ARCA_ASSIGN_OR_RETURN(int64_t repository_id, sqlite::require_repository_id(conn, repo));
    ARCA_ASSIGN_OR_RETURN(auto stored, sqlite::load_package(conn, repository_id, key));
    return finish_mutation(conn, repository_id, key, std::move(stored), fn, nullptr);
  });
}

Result<MutationOutcome> SqliteMetadataStore::mutate_versions(
    const RepositoryRef& repo, const PackageKey& key, const std::vector<std::string>& versions,
    const PackageMutator& fn) {
  return write([&](Connection& conn) -> Result<MutationOutcome> {
    ARCA_ASSIGN_OR_RETURN(int64_t repository_id, sqlite::require_repository_id(conn, repo));
    ARCA_ASSIGN_OR_RETURN(auto stored,
                          sqlite::load_package_versions(conn, repository_id, key, versions));
    return finish_mutation(conn, repository_id, key, std::move(stored), fn, &versions);
  });
}

Result<size_t> SqliteMetadataStore::count_blob_references(const std::string& sha256) {
  return read([&](Connection& conn) -> Result<size_t> {
    ARCA_ASSIGN_OR_RETURN(Query q, conn.query("SELECT count(*) FROM assets WHERE sha256 = ?"));
    q.bind(1, sha256);
    ARCA_ASSIGN_OR_RETURN(bool row, q.step());
    return row ? static_cast<size_t>(q.integer(0)) : 0;
  });
}

Result<uint64_t> SqliteMetadataStore::domain_asset_bytes(const std::string& owner,
                                                         const std::string& domain) {
  return read([&](Connection& conn) -> Result<uint64_t> {
    ARCA_ASSIGN_OR_RETURN(auto found, sqlite::find_domain(conn, owner, domain));
    if (!found) return sqlite::domain_not_found(owner, domain);
    // One size per distinct blob (equal keys have equal sizes; max() is only a tie-break).
    ARCA_ASSIGN_OR_RETURN(Query q, conn.query("SELECT coalesce(sum(size), 0) FROM ("
                                              " SELECT max(a.size) AS size FROM repositories r"
                                              " JOIN packages p ON p.repository_id = r.id"
                                              " JOIN package_versions v ON v.package_id = p.id"
                                              " JOIN assets a ON a.version_id = v.id"
                                              " WHERE r.domain_owner = ? AND r.domain_name = ?"
                                              " GROUP BY a.sha256)"));
    q.bind_all(owner, domain);
    ARCA_ASSIGN_OR_RETURN(bool row, q.step());
    return row ? static_cast<uint64_t>(q.integer(0)) : 0;
  });
}

}  // namespace arca::store
