#pragma once
// Row-level helpers for packages, versions and assets, shared by get_package (on a reader) and
// mutate_package (on the writer), so both see a package through the same code. Each runs inside
// the caller's transaction on the caller's connection; none begins or commits.
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "store/package_types.h"
#include "store/sqlite/sqlite_connection.h"
#include "util/error.h"

namespace arca::store::sqlite {

// The repository's row id; kNotFound (resource_type "repository") when it does not exist.
Result<int64_t> require_repository_id(Connection& conn, const RepositoryRef& repo);

// A package and every version, as stored, with the package's row id.
struct StoredPackage {
  int64_t id = 0;
  PackageSnapshot snapshot;
};
// Loads the whole package: one query each for the package, its dist-tags, its versions, and all
// assets, dependencies and licenses of those versions (grouped in memory), whatever the number
// of versions. nullopt when the package does not exist.
Result<std::optional<StoredPackage>> load_package(Connection& conn, int64_t repository_id,
                                                  const PackageKey& key);
// The package with its dist-tags and only those of `versions` that exist (one indexed lookup per
// named version, whatever the package's size). nullopt when the package does not exist.
Result<std::optional<StoredPackage>> load_package_versions(
    Connection& conn, int64_t repository_id, const PackageKey& key,
    const std::vector<std::string>& versions);
// A Package from a row whose first 7 columns are
// id, format, namespace, name, origin_publish, origin_upstream, created_time; returns the id.
int64_t package_from_row(const Query& q, Package& out);
// Replaces `tags` with the package's dist-tags.
Status load_dist_tags(Connection& conn, int64_t package_id,
                      std::map<std::string, std::string>& tags);

// --- writes ---
// Inserts the package row (no versions, no tags) and returns its id.
Result<int64_t> insert_package(Connection& conn, int64_t repository_id, const PackageKey& key,
                               const OriginRestrictions& origin, Timestamp created_time);
// Inserts or replaces one version: the row keeps its id, its assets, dependencies and licenses
// are replaced by those of `version`.
Status upsert_version(Connection& conn, int64_t package_id, const PackageVersion& version);
// Of `candidates`, the blob keys no asset row references (sorted).
Result<std::vector<std::string>> unreferenced(Connection& conn,
                                              const std::set<std::string>& candidates);

}  // namespace arca::store::sqlite
