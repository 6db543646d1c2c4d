#include "store/sqlite/sqlite_rows.h"

#include <set>

namespace arca::store::sqlite {

Error domain_not_found(const std::string& owner, const std::string& name) {
  return not_found("domain", name, "Domain " + name + " does not exist in account " + owner);
}

Error repository_not_found(const std::string& owner, const std::string& domain,
                           const std::string& name) {
  return not_found(
      "repository", name,
      "Repository " + name + " does not exist in domain " + domain + " owned by account " + owner);
}

std::string arn_resource_type(std::string_view arn) {
  // arn:PARTITION:codeartifact:REGION:ACCOUNT:TYPE/...
  size_t pos = 0;
  for (int field = 0; field < 5; ++field) {
    pos = arn.find(':', pos);
    if (pos == std::string_view::npos) return {};
    ++pos;
  }
  size_t slash = arn.find('/', pos);
  if (slash == std::string_view::npos) return {};
  return std::string(arn.substr(pos, slash - pos));
}

Result<std::optional<Domain>> find_domain(Connection& conn, const std::string& owner,
                                          const std::string& name) {
  ARCA_ASSIGN_OR_RETURN(Query q, conn.query("SELECT owner, name, encryption_key, created_time "
                                            "FROM domains WHERE owner = ? AND name = ?"));
  q.bind_all(owner, name);
  ARCA_ASSIGN_OR_RETURN(bool row, q.step());
  if (!row) return std::optional<Domain>();
  return Domain{q.text(0), q.text(1), q.text(2), q.real(3)};
}

RepositoryRow repository_from_row(const Query& q) {
  RepositoryRow r;
  r.id = q.integer(0);
  r.repo.domain_owner = q.text(1);
  r.repo.domain_name = q.text(2);
  r.repo.name = q.text(3);
  r.repo.administrator_account = q.text(4);
  r.repo.description = q.text(5);
  r.repo.created_time = q.real(6);
  return r;
}

Status load_repository_children(Connection& conn, int64_t id, Repository& repo) {
  repo.upstreams.clear();
  repo.external_connections.clear();
  {
    ARCA_ASSIGN_OR_RETURN(Query q, conn.query("SELECT r.name FROM repository_upstreams u "
                                              "JOIN repositories r ON r.id = u.upstream_id "
                                              "WHERE u.repository_id = ? ORDER BY u.position"));
    q.bind(1, id);
    for (;;) {
      ARCA_ASSIGN_OR_RETURN(bool row, q.step());
      if (!row) break;
      repo.upstreams.push_back(q.text(0));
    }
  }
  ARCA_ASSIGN_OR_RETURN(Query q, conn.query("SELECT name, package_format "
                                            "FROM repository_external_connections "
                                            "WHERE repository_id = ? ORDER BY position"));
  q.bind(1, id);
  for (;;) {
    ARCA_ASSIGN_OR_RETURN(bool row, q.step());
    if (!row) break;
    repo.external_connections.push_back(ExternalConnection{q.text(0), q.text(1)});
  }
  return {};
}

Result<std::optional<RepositoryRow>> find_repository(Connection& conn, const std::string& owner,
                                                     const std::string& domain,
                                                     const std::string& name) {
  std::optional<RepositoryRow> found;
  {
    ARCA_ASSIGN_OR_RETURN(
        Query q, conn.query("SELECT id, domain_owner, domain_name, name, administrator_account, "
                            "description, created_time FROM repositories "
                            "WHERE domain_owner = ? AND domain_name = ? AND name = ?"));
    q.bind_all(owner, domain, name);
    ARCA_ASSIGN_OR_RETURN(bool row, q.step());
    if (!row) return found;
    found = repository_from_row(q);
  }
  ARCA_TRY(load_repository_children(conn, found->id, found->repo));
  return found;
}

Result<RepositoryRow> require_repository(Connection& conn, const std::string& owner,
                                         const std::string& domain, const std::string& name) {
  ARCA_ASSIGN_OR_RETURN(auto found, find_repository(conn, owner, domain, name));
  if (!found) return repository_not_found(owner, domain, name);
  return std::move(*found);
}

Status replace_upstreams(Connection& conn, int64_t id, const Repository& repo,
                         const std::vector<std::string>& names) {
  std::set<std::string> seen;
  for (const auto& name : names) {
    if (!seen.insert(name).second) {
      return invalid_argument("Upstream repository " + name + " is listed more than once");
    }
  }
  ARCA_TRY(conn.run("DELETE FROM repository_upstreams WHERE repository_id = ?", id));
  int64_t position = 0;
  for (const auto& name : names) {
    int64_t upstream_id = 0;
    {
      ARCA_ASSIGN_OR_RETURN(Query q,
                            conn.query("SELECT id FROM repositories WHERE "
                                       "domain_owner = ? AND domain_name = ? AND name = ?"));
      q.bind_all(repo.domain_owner, repo.domain_name, name);
      ARCA_ASSIGN_OR_RETURN(bool row, q.step());
      if (!row) {
        return not_found("repository", name,
                         "Upstream repository " + name + " does not exist in domain " +
                             repo.domain_name + " owned by account " + repo.domain_owner);
      }
      upstream_id = q.integer(0);
    }
    ARCA_TRY(
        conn.run("INSERT INTO repository_upstreams (repository_id, position, upstream_id) "
                 "VALUES (?, ?, ?)",
                 id, position++, upstream_id));
  }
  return {};
}

Result<size_t> count_in_domain(Connection& conn, const char* table, const std::string& owner,
                               const std::string& domain) {
  ARCA_ASSIGN_OR_RETURN(Query q, conn.query(std::string("SELECT count(*) FROM ") + table +
                                            " WHERE domain_owner = ? AND domain_name = ?"));
  q.bind_all(owner, domain);
  ARCA_ASSIGN_OR_RETURN(bool row, q.step());
  return row ? static_cast<size_t>(q.integer(0)) : 0;
}

Status check_domain_quota(Connection& conn, const char* table, const std::string& owner,
                          const std::string& domain, size_t max, const std::string& resource_type,
                          const std::string& resource_id, const char* plural) {
  ARCA_ASSIGN_OR_RETURN(size_t count, count_in_domain(conn, table, owner, domain));
  if (count < max) return {};
  return quota_exceeded(resource_type, resource_id,
                        "Domain " + domain + " owned by account " + owner + " already has " +
                            std::to_string(count) + " " + plural + "; the maximum is " +
                            std::to_string(max));
}

Status delete_tags_with_arn_suffix(Connection& conn, const std::string& suffix) {
  return conn.run(
      "DELETE FROM tags WHERE length(arn) >= length(?1) AND substr(arn, -length(?1)) = ?1", suffix);
}

}  // namespace arca::store::sqlite
