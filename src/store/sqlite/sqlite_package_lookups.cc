// SqliteMetadataStore: point lookups of package data that need no package load.
#include "store/sqlite/sqlite_metadata_store.h"
#include "store/sqlite/sqlite_package_rows.h"
#include "store/sqlite/sqlite_rows.h"

namespace arca::store {

using sqlite::Query;

Result<bool> SqliteMetadataStore::has_version(const RepositoryRef& repo, const PackageKey& key,
                                              const std::string& version) {
  return read([&](Connection& conn) -> Result<bool> {
    // One statement: the repository row, and the version through the unique indexes of
    // packages (repository_id, format, namespace, name) and package_versions (package_id, version).
    ARCA_ASSIGN_OR_RETURN(
        Query q, conn.query("SELECT EXISTS (SELECT 1 FROM packages p JOIN package_versions v "
                            "ON v.package_id = p.id WHERE p.repository_id = r.id AND p.format = ? "
                            "AND p.namespace = ? AND p.name = ? AND v.version = ?) "
                            "FROM repositories r WHERE r.domain_owner = ? AND r.domain_name = ? "
                            "AND r.name = ?"));
    q.bind_all(key.format, key.namespace_, key.name, version, repo.domain_owner, repo.domain_name,
               repo.repository);
    ARCA_ASSIGN_OR_RETURN(bool row, q.step());
    if (!row)
      return sqlite::repository_not_found(repo.domain_owner, repo.domain_name, repo.repository);
    return q.integer(0) != 0;
  });
}

Result<PackageSnapshot> SqliteMetadataStore::get_package_versions(
    const RepositoryRef& repo, const PackageKey& key, const std::vector<std::string>& versions) {
  return read([&](Connection& conn) -> Result<PackageSnapshot> {
    ARCA_ASSIGN_OR_RETURN(int64_t repository_id, sqlite::require_repository_id(conn, repo));
    ARCA_ASSIGN_OR_RETURN(auto stored,
                          sqlite::load_package_versions(conn, repository_id, key, versions));
    if (!stored) return store::package_not_found(repo, key);
    return std::move(stored->snapshot);
  });
}

}  // namespace arca::store
