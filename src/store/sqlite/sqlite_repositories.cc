// SqliteMetadataStore: repositories and their external connections.
#include <sqlite3.h>

#include <array>
#include <string_view>

#include "store/sqlite/sqlite_metadata_store.h"
#include "store/sqlite/sqlite_rows.h"

namespace arca::store {

using sqlite::Query;

namespace {

constexpr std::string_view kRepositoryColumns =
    "SELECT id, domain_owner, domain_name, name, administrator_account, description, "
    "created_time FROM repositories";

// Splits a repository_cursor() string into (domain_owner, domain_name, name).
Result<std::array<std::string, 3>> parse_cursor(const std::string& cursor) {
  size_t a = cursor.find('\x1f');
  size_t b = a == std::string::npos ? a : cursor.find('\x1f', a + 1);
  if (b == std::string::npos || cursor.find('\x1f', b + 1) != std::string::npos) {
    return invalid_argument("The pagination token is not valid for this list of repositories");
  }
  return std::array<std::string, 3>{cursor.substr(0, a), cursor.substr(a + 1, b - a - 1),
                                    cursor.substr(b + 1)};
}

Status insert_external_connection(sqlite::Connection& conn, int64_t id,
                                  const ExternalConnection& connection) {
  return conn.run(
      "INSERT INTO repository_external_connections (repository_id, name, package_format, position) "
      "SELECT ?1, ?2, ?3, coalesce(max(position) + 1, 0) FROM repository_external_connections "
      "WHERE repository_id = ?1",
      id, connection.name, connection.package_format);
}

std::string repository_exists_message(const Repository& repo) {
  return "Repository " + repo.name + " already exists in domain " + repo.domain_name +
         " owned by account " + repo.domain_owner;
}

}  // namespace

Status SqliteMetadataStore::create_repository(const Repository& repo, size_t max_per_domain) {
  return write([&](Connection& conn) -> Status {
    ARCA_ASSIGN_OR_RETURN(auto domain,
                          sqlite::find_domain(conn, repo.domain_owner, repo.domain_name));
    if (!domain) return sqlite::domain_not_found(repo.domain_owner, repo.domain_name);
    ARCA_ASSIGN_OR_RETURN(auto existing, sqlite::find_repository(conn, repo.domain_owner,
                                                                 repo.domain_name, repo.name));
    if (existing) return already_exists("repository", repo.name, repository_exists_message(repo));
    ARCA_TRY(sqlite::check_domain_quota(conn, "repositories", repo.domain_owner, repo.domain_name,
                                        max_per_domain, "repository", repo.name, "repositories"));
    auto inserted = conn.run(
        "INSERT INTO repositories (domain_owner, domain_name, name, administrator_account, "
        "description, created_time) VALUES (?, ?, ?, ?, ?, ?)",
        repo.domain_owner, repo.domain_name, repo.name, repo.administrator_account,
        repo.description, repo.created_time);
    if (!inserted && inserted.error().code == Code::kAlreadyExists) {
      return already_exists("repository", repo.name, repository_exists_message(repo));
    }
    ARCA_TRY(inserted);
    int64_t id = sqlite3_last_insert_rowid(conn.handle());
    ARCA_TRY(sqlite::replace_upstreams(conn, id, repo, repo.upstreams));
    for (const auto& connection : repo.external_connections) {
      ARCA_TRY(insert_external_connection(conn, id, connection));
    }
    return Status{};
  });
}

Result<Repository> SqliteMetadataStore::get_repository(const std::string& owner,
                                                       const std::string& domain,
                                                       const std::string& name) {
  return read([&](Connection& conn) -> Result<Repository> {
    ARCA_ASSIGN_OR_RETURN(auto row, sqlite::require_repository(conn, owner, domain, name));
    return std::move(row.repo);
  });
}

Result<std::vector<Repository>> SqliteMetadataStore::list_repositories(
    const RepositoryFilter& filter, const Page& page) {
  std::array<std::string, 3> after;
  if (!page.after.empty()) {
    ARCA_ASSIGN_OR_RETURN(after, parse_cursor(page.after));
  }
  // The WHERE clause depends on which filters are set; each variant is its own cached statement.
  std::string sql(kRepositoryColumns);
  sql += " WHERE 1";
  if (filter.domain_owner) sql += " AND domain_owner = ?";
  if (filter.domain_name) sql += " AND domain_name = ?";
  if (filter.administrator_account) sql += " AND administrator_account = ?";
  // `name >= prefix` lets the index narrow the scan; substr() is the exact test (no wildcards).
  if (!filter.name_prefix.empty()) sql += " AND name >= ? AND substr(name, 1, length(?)) = ?";
  if (!page.after.empty()) sql += " AND (domain_owner, domain_name, name) > (?, ?, ?)";
  sql += " ORDER BY domain_owner, domain_name, name LIMIT ?";

  return read([&](Connection& conn) -> Result<std::vector<Repository>> {
    std::vector<sqlite::RepositoryRow> rows;
    {
      ARCA_ASSIGN_OR_RETURN(Query q, conn.query(sql));
      int index = 0;
      if (filter.domain_owner) q.bind(++index, *filter.domain_owner);
      if (filter.domain_name) q.bind(++index, *filter.domain_name);
      if (filter.administrator_account) q.bind(++index, *filter.administrator_account);
      if (!filter.name_prefix.empty()) {
        for (int i = 0; i < 3; ++i) q.bind(++index, filter.name_prefix);
      }
      if (!page.after.empty()) {
        for (const auto& part : after) q.bind(++index, part);
      }
      q.bind(++index, sqlite::sql_limit(page.limit));
      for (;;) {
        ARCA_ASSIGN_OR_RETURN(bool row, q.step());
        if (!row) break;
        rows.push_back(sqlite::repository_from_row(q));
      }
    }
    std::vector<Repository> out;
    out.reserve(rows.size());
    for (auto& row : rows) {
      ARCA_TRY(sqlite::load_repository_children(conn, row.id, row.repo));
      out.push_back(std::move(row.repo));
    }
    return out;
  });
}

Result<Repository> SqliteMetadataStore::update_repository(const std::string& owner,
                                                          const std::string& domain,
                                                          const std::string& name,
                                                          const RepositoryUpdate& update) {
  return write([&](Connection& conn) -> Result<Repository> {
    ARCA_ASSIGN_OR_RETURN(auto row, sqlite::require_repository(conn, owner, domain, name));
    if (update.description) {
      ARCA_TRY(conn.run("UPDATE repositories SET description = ? WHERE id = ?", *update.description,
                        row.id));
      row.repo.description = *update.description;
    }
    if (update.upstreams) {
      ARCA_TRY(sqlite::replace_upstreams(conn, row.id, row.repo, *update.upstreams));
      ARCA_TRY(sqlite::load_repository_children(conn, row.id, row.repo));
    }
    return std::move(row.repo);
  });
}

Result<Repository> SqliteMetadataStore::delete_repository(const std::string& owner,
                                                          const std::string& domain,
                                                          const std::string& name) {
  return write([&](Connection& conn) -> Result<Repository> {
    ARCA_ASSIGN_OR_RETURN(auto row, sqlite::require_repository(conn, owner, domain, name));
    // ON DELETE CASCADE removes its upstream list, its external connections and its entries in
    // other repositories' upstream lists (their remaining order is unchanged).
    ARCA_TRY(conn.run("DELETE FROM repositories WHERE id = ?", row.id));
    ARCA_TRY(sqlite::delete_tags_with_arn_suffix(
        conn, ":" + owner + ":repository/" + domain + "/" + name));
    return std::move(row.repo);
  });
}

Result<Repository> SqliteMetadataStore::add_external_connection(
    const std::string& owner, const std::string& domain, const std::string& name,
    const ExternalConnection& connection, size_t max_connections) {
  return write([&](Connection& conn) -> Result<Repository> {
    ARCA_ASSIGN_OR_RETURN(auto row, sqlite::require_repository(conn, owner, domain, name));
    const auto& existing = row.repo.external_connections;
    for (const auto& c : existing) {
      if (c.name == connection.name) {
        return already_exists("repository", name,
                              "Repository " + name + " in domain " + domain +
                                  " already has the external connection " + connection.name);
      }
    }
    if (existing.size() >= max_connections) {
      return quota_exceeded("repository", name,
                            "Repository " + name + " in domain " + domain + " already has " +
                                std::to_string(existing.size()) +
                                " external connection(s); the maximum is " +
                                std::to_string(max_connections));
    }
    ARCA_TRY(insert_external_connection(conn, row.id, connection));
    row.repo.external_connections.push_back(connection);
    return std::move(row.repo);
  });
}

Result<Repository> SqliteMetadataStore::remove_external_connection(
    const std::string& owner, const std::string& domain, const std::string& name,
    const std::string& connection_name) {
  return write([&](Connection& conn) -> Result<Repository> {
    ARCA_ASSIGN_OR_RETURN(auto row, sqlite::require_repository(conn, owner, domain, name));
    ARCA_TRY(
        conn.run("DELETE FROM repository_external_connections "
                 "WHERE repository_id = ? AND name = ?",
                 row.id, connection_name));
    if (conn.changes() == 0) {
      return not_found("repository", name,
                       "Repository " + name + " in domain " + domain +
                           " has no external connection " + connection_name);
    }
    ARCA_TRY(sqlite::load_repository_children(conn, row.id, row.repo));
    return std::move(row.repo);
  });
}

}  // namespace arca::store
