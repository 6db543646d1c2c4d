#pragma once
// Row-level helpers shared by the SqliteMetadataStore methods. Each runs inside the caller's
// transaction on the caller's connection; none begins or commits.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/sqlite/sqlite_connection.h"
#include "store/types.h"
#include "util/error.h"

namespace arca::store::sqlite {

// --- error messages (shown to API users, so precise and in CodeArtifact's words) ---
Error domain_not_found(const std::string& owner, const std::string& name);
Error repository_not_found(const std::string& owner, const std::string& domain,
                           const std::string& name);
// "domain" / "repository" / "package-group" / ... from an ARN's resource part; empty if the ARN
// does not have the CodeArtifact shape.
std::string arn_resource_type(std::string_view arn);

// Clamps a page size to what SQLite's LIMIT takes.
inline int64_t sql_limit(size_t limit) {
  constexpr size_t kMax = static_cast<size_t>(INT64_MAX);
  return static_cast<int64_t>(limit > kMax ? kMax : limit);
}

// --- domains ---
Result<std::optional<Domain>> find_domain(Connection& conn, const std::string& owner,
                                          const std::string& name);

// --- repositories ---
struct RepositoryRow {
  int64_t id = 0;
  Repository repo;  // with upstreams and external connections loaded
};
Result<std::optional<RepositoryRow>> find_repository(Connection& conn, const std::string& owner,
                                                     const std::string& domain,
                                                     const std::string& name);
// Like find_repository, but kNotFound (with the CodeArtifact message) when it does not exist.
Result<RepositoryRow> require_repository(Connection& conn, const std::string& owner,
                                         const std::string& domain, const std::string& name);
// The repository's columns from a query whose first 7 columns are
// id, domain_owner, domain_name, name, administrator_account, description, created_time.
RepositoryRow repository_from_row(const Query& q);
// Fills repo.upstreams (search order) and repo.external_connections (order of association).
Status load_repository_children(Connection& conn, int64_t id, Repository& repo);
// Replaces the repository's upstream list with `names` (repositories of the same domain, in
// order). kNotFound naming the first missing upstream; kInvalidArgument for a repeated name.
Status replace_upstreams(Connection& conn, int64_t id, const Repository& repo,
                         const std::vector<std::string>& names);

// --- per-domain quotas ---
// Rows of `table` (a constant name with domain_owner and domain_name columns) in the domain.
Result<size_t> count_in_domain(Connection& conn, const char* table, const std::string& owner,
                               const std::string& domain);
// kQuotaExceeded for `resource_type` `resource_id` when the domain already holds `max` rows of
// `table`; `plural` names them in the message ("repositories").
Status check_domain_quota(Connection& conn, const char* table, const std::string& owner,
                          const std::string& domain, size_t max, const std::string& resource_type,
                          const std::string& resource_id, const char* plural);

// --- tags ---
// Removes the tags of every ARN ending exactly with `suffix` (e.g. ":OWNER:domain/NAME"), so a
// resource's tags go with it whatever region its ARNs were built with.
Status delete_tags_with_arn_suffix(Connection& conn, const std::string& suffix);

}  // namespace arca::store::sqlite
