// SqliteMetadataStore: domains.
#include "store/sqlite/sqlite_metadata_store.h"
#include "store/sqlite/sqlite_rows.h"

namespace arca::store {

using sqlite::Query;

Status SqliteMetadataStore::create_domain(const Domain& domain, size_t max_per_owner) {
  return write([&](Connection& conn) -> Status {
    const std::string exists_message =
        "Domain " + domain.name + " already exists in account " + domain.owner;
    // Order of checks as CodeArtifact: an existing name is a conflict even at the quota.
    ARCA_ASSIGN_OR_RETURN(auto existing, sqlite::find_domain(conn, domain.owner, domain.name));
    if (existing) return already_exists("domain", domain.name, exists_message);
    {
      ARCA_ASSIGN_OR_RETURN(Query q, conn.query("SELECT count(*) FROM domains WHERE owner = ?"));
      q.bind(1, domain.owner);
      ARCA_ASSIGN_OR_RETURN(bool row, q.step());
      int64_t count = row ? q.integer(0) : 0;
      if (static_cast<uint64_t>(count) >= max_per_owner) {
        return quota_exceeded("domain", domain.name,
                              "Account " + domain.owner + " already has " + std::to_string(count) +
                                  " domains; the maximum is " + std::to_string(max_per_owner));
      }
    }
    auto inserted = conn.run(
        "INSERT INTO domains (owner, name, encryption_key, created_time) VALUES (?, ?, ?, ?)",
        domain.owner, domain.name, domain.encryption_key, domain.created_time);
    if (!inserted && inserted.error().code == Code::kAlreadyExists) {
      return already_exists("domain", domain.name, exists_message);
    }
    return inserted;
  });
}

Result<Domain> SqliteMetadataStore::get_domain(const std::string& owner, const std::string& name) {
  return read([&](Connection& conn) -> Result<Domain> {
    ARCA_ASSIGN_OR_RETURN(auto found, sqlite::find_domain(conn, owner, name));
    if (!found) return sqlite::domain_not_found(owner, name);
    return std::move(*found);
  });
}

Result<std::vector<Domain>> SqliteMetadataStore::list_domains(const std::string& owner,
                                                              const Page& page) {
  return read([&](Connection& conn) -> Result<std::vector<Domain>> {
    ARCA_ASSIGN_OR_RETURN(Query q, conn.query("SELECT owner, name, encryption_key, created_time "
                                              "FROM domains WHERE owner = ? AND name > ? "
                                              "ORDER BY name LIMIT ?"));
    q.bind_all(owner, page.after, sqlite::sql_limit(page.limit));
    std::vector<Domain> out;
    for (;;) {
      ARCA_ASSIGN_OR_RETURN(bool row, q.step());
      if (!row) return out;
      out.push_back(Domain{q.text(0), q.text(1), q.text(2), q.real(3)});
    }
  });
}

Status SqliteMetadataStore::delete_domain(const std::string& owner, const std::string& name) {
  return write([&](Connection& conn) -> Status {
    ARCA_ASSIGN_OR_RETURN(auto found, sqlite::find_domain(conn, owner, name));
    if (!found) return sqlite::domain_not_found(owner, name);
    ARCA_ASSIGN_OR_RETURN(size_t repositories,
                          sqlite::count_in_domain(conn, "repositories", owner, name));
    if (repositories > 0) {
      return failed_precondition("Domain " + name + " in account " + owner + " still contains " +
                                     std::to_string(repositories) +
                                     (repositories == 1 ? " repository" : " repositories") +
                                     "; delete them before deleting the domain",
                                 "domain", name);
    }
    ARCA_TRY(conn.run("DELETE FROM domains WHERE owner = ? AND name = ?", owner, name));
    return sqlite::delete_tags_with_arn_suffix(conn, ":" + owner + ":domain/" + name);
  });
}

Result<size_t> SqliteMetadataStore::count_repositories(const std::string& owner,
                                                       const std::string& domain) {
  return read([&](Connection& conn) -> Result<size_t> {
    ARCA_ASSIGN_OR_RETURN(auto found, sqlite::find_domain(conn, owner, domain));
    if (!found) return sqlite::domain_not_found(owner, domain);
    return sqlite::count_in_domain(conn, "repositories", owner, domain);
  });
}

}  // namespace arca::store
