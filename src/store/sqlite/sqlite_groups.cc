// SqliteMetadataStore: package groups and their allow-lists (migration 5).
#include <sqlite3.h>

#include <array>
#include <chrono>
#include <map>
#include <string_view>

#include "store/sqlite/sqlite_metadata_store.h"
#include "store/sqlite/sqlite_rows.h"

namespace arca::store {

using sqlite::Query;

namespace {

// A restriction type and the package_groups column holding its mode.
struct RestrictionColumn {
  std::string_view type;
  std::string_view column;
};
constexpr std::array<RestrictionColumn, 3> kRestrictionColumns = {{
    {kRestrictionPublish, "publish_mode"},
    {kRestrictionExternalUpstream, "external_upstream_mode"},
    {kRestrictionInternalUpstream, "internal_upstream_mode"},
}};
constexpr std::array<std::string_view, 4> kModes = {kModeAllow, kModeBlock,
                                                    kModeAllowSpecificRepositories, kModeInherit};

// Columns 0..9 as group_from_row() reads them.
constexpr std::string_view kGroupColumns =
    "SELECT g.id, g.domain_owner, g.domain_name, g.pattern, g.description, g.contact_info, "
    "g.publish_mode, g.external_upstream_mode, g.internal_upstream_mode, g.created_time "
    "FROM package_groups g";

struct GroupRow {
  int64_t id = 0;
  PackageGroup group;
};

// The store's clock for created_time, at millisecond precision like every Timestamp.
Timestamp now_millis() {
  using namespace std::chrono;
  auto ms = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  return static_cast<double>(ms) / 1000.0;
}

const RestrictionColumn* find_restriction(std::string_view type) {
  for (const auto& r : kRestrictionColumns) {
    if (r.type == type) return &r;
  }
  return nullptr;
}

Status check_type(std::string_view type) {
  if (find_restriction(type) != nullptr) return {};
  return invalid_argument("Origin restriction type " + std::string(type) +
                          " is not one of PUBLISH, EXTERNAL_UPSTREAM, INTERNAL_UPSTREAM");
}

Status check_restrictions(const std::map<std::string, std::string>& restrictions) {
  for (const auto& [type, mode] : restrictions) {
    ARCA_TRY(check_type(type));
    bool known = false;
    for (auto m : kModes) known = known || m == mode;
    if (!known) {
      return invalid_argument("Origin restriction mode " + mode + " for " + type +
                              " is not one of ALLOW, BLOCK, ALLOW_SPECIFIC_REPOSITORIES, INHERIT");
    }
  }
  return {};
}

Status check_pairs(const std::vector<std::pair<std::string, std::string>>& pairs) {
  for (const auto& pair : pairs) ARCA_TRY(check_type(pair.first));
  return {};
}

// "Package group P <verb> in domain D owned by account O", CodeArtifact's wording for groups.
std::string group_message(const std::string& owner, const std::string& domain,
                          const std::string& pattern, std::string_view verb) {
  return "Package group " + pattern + " " + std::string(verb) + " in domain " + domain +
         " owned by account " + owner;
}

Error group_not_found(const std::string& owner, const std::string& domain,
                      const std::string& pattern) {
  return not_found("package-group", pattern,
                   group_message(owner, domain, pattern, "does not exist"));
}

GroupRow group_from_row(const Query& q) {
  GroupRow r;
  r.id = q.integer(0);
  r.group.domain_owner = q.text(1);
  r.group.domain_name = q.text(2);
  r.group.pattern = q.text(3);
  r.group.description = q.text(4);
  r.group.contact_info = q.text(5);
  for (size_t i = 0; i < kRestrictionColumns.size(); ++i) {
    r.group.restrictions.emplace(kRestrictionColumns[i].type, q.text(6 + static_cast<int>(i)));
  }
  r.group.created_time = q.real(9);
  return r;
}

// Replaces group.allowed_repositories with the stored allow-lists of group `id`.
Status load_allowed(sqlite::Connection& conn, int64_t id, PackageGroup& group) {
  group.allowed_repositories.clear();
  ARCA_ASSIGN_OR_RETURN(Query q, conn.query("SELECT restriction_type, repository "
                                            "FROM package_group_allowed_repositories "
                                            "WHERE group_id = ?"));
  q.bind(1, id);
  for (;;) {
    ARCA_ASSIGN_OR_RETURN(bool row, q.step());
    if (!row) return {};
    group.allowed_repositories[q.text(0)].insert(q.text(1));
  }
}

Result<std::optional<GroupRow>> find_group(sqlite::Connection& conn, const std::string& owner,
                                           const std::string& domain, const std::string& pattern) {
  std::optional<GroupRow> found;
  {
    ARCA_ASSIGN_OR_RETURN(Query q, conn.query(std::string(kGroupColumns) +
                                              " WHERE g.domain_owner = ? AND g.domain_name = ? "
                                              "AND g.pattern = ?"));
    q.bind_all(owner, domain, pattern);
    ARCA_ASSIGN_OR_RETURN(bool row, q.step());
    if (!row) return found;
    found = group_from_row(q);
  }
  ARCA_TRY(load_allowed(conn, found->id, found->group));
  return found;
}

// The group, or kNotFound naming the domain when that is missing too, else the group.
Result<GroupRow> require_group(sqlite::Connection& conn, const std::string& owner,
                               const std::string& domain, const std::string& pattern) {
  ARCA_ASSIGN_OR_RETURN(auto found, find_group(conn, owner, domain, pattern));
  if (found) return std::move(*found);
  ARCA_ASSIGN_OR_RETURN(auto domain_row, sqlite::find_domain(conn, owner, domain));
  if (!domain_row) return sqlite::domain_not_found(owner, domain);
  return group_not_found(owner, domain, pattern);
}

Status require_domain(sqlite::Connection& conn, const std::string& owner,
                      const std::string& domain) {
  ARCA_ASSIGN_OR_RETURN(auto found, sqlite::find_domain(conn, owner, domain));
  if (!found) return sqlite::domain_not_found(owner, domain);
  return {};
}

Status insert_allowed(sqlite::Connection& conn, int64_t id, const std::string& type,
                      const std::string& repository) {
  return conn.run(
      "INSERT INTO package_group_allowed_repositories (group_id, restriction_type, repository) "
      "VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
      id, type, repository);
}

// Moves the domain's generation to the next value of the store-wide counter (see migration 5).
Status bump_generation(sqlite::Connection& conn, const std::string& owner,
                       const std::string& domain) {
  ARCA_TRY(conn.run("UPDATE meta SET value = value + 1 WHERE key = 'package_groups_generation'"));
  return conn.run(
      "UPDATE domains SET package_groups_generation = "
      "(SELECT value FROM meta WHERE key = 'package_groups_generation') "
      "WHERE owner = ? AND name = ?",
      owner, domain);
}

// Reads groups from a query over kGroupColumns, without their allow-lists.
Result<std::vector<GroupRow>> read_groups(Query& q) {
  std::vector<GroupRow> rows;
  for (;;) {
    ARCA_ASSIGN_OR_RETURN(bool row, q.step());
    if (!row) return rows;
    rows.push_back(group_from_row(q));
  }
}

std::vector<PackageGroup> groups_of(std::vector<GroupRow>& rows) {
  std::vector<PackageGroup> out;
  out.reserve(rows.size());
  for (auto& row : rows) out.push_back(std::move(row.group));
  return out;
}

}  // namespace

Status SqliteMetadataStore::create_package_group(const PackageGroup& g, size_t max_per_domain) {
  ARCA_TRY(check_restrictions(g.restrictions));
  for (const auto& [type, repositories] : g.allowed_repositories) ARCA_TRY(check_type(type));
  const Timestamp created = now_millis();
  return write([&](Connection& conn) -> Status {
    const std::string exists_message =
        group_message(g.domain_owner, g.domain_name, g.pattern, "already exists");
    ARCA_TRY(require_domain(conn, g.domain_owner, g.domain_name));
    {
      ARCA_ASSIGN_OR_RETURN(Query q, conn.query("SELECT 1 FROM package_groups WHERE "
                                                "domain_owner = ? AND domain_name = ? AND "
                                                "pattern = ?"));
      q.bind_all(g.domain_owner, g.domain_name, g.pattern);
      ARCA_ASSIGN_OR_RETURN(bool row, q.step());
      if (row) return already_exists("package-group", g.pattern, exists_message);
    }
    ARCA_TRY(sqlite::check_domain_quota(conn, "package_groups", g.domain_owner, g.domain_name,
                                        max_per_domain, "package-group", g.pattern,
                                        "package groups"));
    std::array<std::string, kRestrictionColumns.size()> modes;
    for (size_t i = 0; i < modes.size(); ++i) {
      auto it = g.restrictions.find(std::string(kRestrictionColumns[i].type));
      modes[i] = it == g.restrictions.end() ? std::string(kModeInherit) : it->second;
    }
    auto inserted = conn.run(
        "INSERT INTO package_groups (domain_owner, domain_name, pattern, description, "
        "contact_info, publish_mode, external_upstream_mode, internal_upstream_mode, "
        "created_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        g.domain_owner, g.domain_name, g.pattern, g.description, g.contact_info, modes[0], modes[1],
        modes[2], created);
    if (!inserted && inserted.error().code == Code::kAlreadyExists) {
      return already_exists("package-group", g.pattern, exists_message);
    }
    ARCA_TRY(inserted);
    int64_t id = sqlite3_last_insert_rowid(conn.handle());
    for (const auto& [type, repositories] : g.allowed_repositories) {
      for (const auto& repository : repositories) {
        ARCA_TRY(insert_allowed(conn, id, type, repository));
      }
    }
    return bump_generation(conn, g.domain_owner, g.domain_name);
  });
}

Result<PackageGroup> SqliteMetadataStore::get_package_group(const std::string& owner,
                                                            const std::string& domain,
                                                            const std::string& pattern) {
  return read([&](Connection& conn) -> Result<PackageGroup> {
    ARCA_ASSIGN_OR_RETURN(GroupRow row, require_group(conn, owner, domain, pattern));
    return std::move(row.group);
  });
}

Result<std::vector<PackageGroup>> SqliteMetadataStore::list_package_groups(
    const std::string& owner, const std::string& domain, const Page& page,
    std::string_view prefix) {
  // `pattern >= prefix` lets the index narrow the scan; substr() is the exact test (no wildcards).
  static const std::string kPlain = std::string(kGroupColumns) +
                                    " WHERE g.domain_owner = ? AND g.domain_name = ? "
                                    "AND g.pattern > ? ORDER BY g.pattern LIMIT ?";
  static const std::string kPrefixed =
      std::string(kGroupColumns) +
      " WHERE g.domain_owner = ?1 AND g.domain_name = ?2 AND g.pattern > ?3 "
      "AND g.pattern >= ?5 AND substr(g.pattern, 1, length(?5)) = ?5 "
      "ORDER BY g.pattern LIMIT ?4";
  return read([&](Connection& conn) -> Result<std::vector<PackageGroup>> {
    ARCA_TRY(require_domain(conn, owner, domain));
    std::vector<GroupRow> rows;
    {
      ARCA_ASSIGN_OR_RETURN(Query q, conn.query(prefix.empty() ? kPlain : kPrefixed));
      q.bind_all(owner, domain, page.after, sqlite::sql_limit(page.limit));
      if (!prefix.empty()) q.bind(5, prefix);
      ARCA_ASSIGN_OR_RETURN(rows, read_groups(q));
    }
    for (auto& row : rows) ARCA_TRY(load_allowed(conn, row.id, row.group));
    return groups_of(rows);
  });
}

Result<std::vector<PackageGroup>> SqliteMetadataStore::all_package_groups(
    const std::string& owner, const std::string& domain) {
  return read([&](Connection& conn) -> Result<std::vector<PackageGroup>> {
    ARCA_TRY(require_domain(conn, owner, domain));
    std::vector<GroupRow> rows;
    {
      ARCA_ASSIGN_OR_RETURN(
          Query q,
          conn.query(std::string(kGroupColumns) +
                     " WHERE g.domain_owner = ? AND g.domain_name = ? ORDER BY g.pattern"));
      q.bind_all(owner, domain);
      ARCA_ASSIGN_OR_RETURN(rows, read_groups(q));
    }
    // Every allow-list of the domain in one query (not one per group: a domain may have many).
    std::map<int64_t, PackageGroup*> by_id;
    for (auto& row : rows) by_id.emplace(row.id, &row.group);
    ARCA_ASSIGN_OR_RETURN(Query q, conn.query("SELECT a.group_id, a.restriction_type, a.repository "
                                              "FROM package_group_allowed_repositories a "
                                              "JOIN package_groups g ON g.id = a.group_id "
                                              "WHERE g.domain_owner = ? AND g.domain_name = ?"));
    q.bind_all(owner, domain);
    for (;;) {
      ARCA_ASSIGN_OR_RETURN(bool row, q.step());
      if (!row) break;
      auto it = by_id.find(q.integer(0));
      if (it == by_id.end()) continue;  // not possible within one read transaction
      it->second->allowed_repositories[q.text(1)].insert(q.text(2));
    }
    return groups_of(rows);
  });
}

Result<PackageGroup> SqliteMetadataStore::update_package_group(const std::string& owner,
                                                               const std::string& domain,
                                                               const std::string& pattern,
                                                               const PackageGroupUpdate& u) {
  ARCA_TRY(check_restrictions(u.restrictions));
  ARCA_TRY(check_pairs(u.add_allowed));
  ARCA_TRY(check_pairs(u.remove_allowed));
  return write([&](Connection& conn) -> Result<PackageGroup> {
    ARCA_ASSIGN_OR_RETURN(GroupRow row, require_group(conn, owner, domain, pattern));
    if (u.description) {
      ARCA_TRY(conn.run("UPDATE package_groups SET description = ? WHERE id = ?", *u.description,
                        row.id));
      row.group.description = *u.description;
    }
    if (u.contact_info) {
      ARCA_TRY(conn.run("UPDATE package_groups SET contact_info = ? WHERE id = ?", *u.contact_info,
                        row.id));
      row.group.contact_info = *u.contact_info;
    }
    for (const auto& [type, mode] : u.restrictions) {
      // One cached statement per column (the column name comes from kRestrictionColumns).
      std::string sql = "UPDATE package_groups SET ";
      sql += find_restriction(type)->column;
      sql += " = ? WHERE id = ?";
      ARCA_TRY(conn.run(sql, mode, row.id));
      row.group.restrictions[type] = mode;
    }
    for (const auto& [type, repository] : u.remove_allowed) {
      ARCA_TRY(
          conn.run("DELETE FROM package_group_allowed_repositories "
                   "WHERE group_id = ? AND restriction_type = ? AND repository = ?",
                   row.id, type, repository));
    }
    for (const auto& [type, repository] : u.add_allowed) {
      ARCA_TRY(insert_allowed(conn, row.id, type, repository));
    }
    if (!u.remove_allowed.empty() || !u.add_allowed.empty()) {
      ARCA_TRY(load_allowed(conn, row.id, row.group));
    }
    ARCA_TRY(bump_generation(conn, owner, domain));
    return std::move(row.group);
  });
}

Result<PackageGroup> SqliteMetadataStore::delete_package_group(const std::string& owner,
                                                               const std::string& domain,
                                                               const std::string& pattern) {
  return write([&](Connection& conn) -> Result<PackageGroup> {
    ARCA_ASSIGN_OR_RETURN(GroupRow row, require_group(conn, owner, domain, pattern));
    ARCA_TRY(conn.run("DELETE FROM package_groups WHERE id = ?", row.id));  // cascades
    ARCA_TRY(bump_generation(conn, owner, domain));
    return std::move(row.group);
  });
}

Result<int64_t> SqliteMetadataStore::package_groups_generation(const std::string& owner,
                                                               const std::string& domain) {
  return read([&](Connection& conn) -> Result<int64_t> {
    ARCA_ASSIGN_OR_RETURN(Query q, conn.query("SELECT package_groups_generation FROM domains "
                                              "WHERE owner = ? AND name = ?"));
    q.bind_all(owner, domain);
    ARCA_ASSIGN_OR_RETURN(bool row, q.step());
    if (!row) return sqlite::domain_not_found(owner, domain);
    return q.integer(0);
  });
}

}  // namespace arca::store
