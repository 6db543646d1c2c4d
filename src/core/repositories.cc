// ControlPlane: repositories, upstream lists and external connections.
#include <set>

#include "core/arn.h"
#include "core/control_plane.h"
#include "core/pagination.h"
#include "core/validate.h"
#include "util/clock.h"

namespace arca::core {

namespace {
constexpr size_t kMaxUpstreams = 10;
constexpr size_t kMaxExternalConnections = 1;

Status validate_repository_input(const RepositoryInput& in) {
  ARCA_TRY(validate_domain_name("domain", in.domain));
  return validate_repository_name("repository", in.repository);
}
}  // namespace

Result<store::Repository> ControlPlane::load_repository(const auth::Principal& caller,
                                                        const RepositoryInput& in,
                                                        const char* action) {
  ARCA_TRY(validate_repository_input(in));
  ARCA_ASSIGN_OR_RETURN(std::string owner,
                        resolve_owner(caller, in.domain_owner, in.domain, action));
  return store_.get_repository(owner, in.domain, in.repository);
}

// Upstreams must be distinct repositories of the same domain, at most 10, never the repository
// itself, and must not make the upstream graph cyclic (resolution stays cycle-safe regardless).
Status ControlPlane::check_upstreams(const store::Repository& repo,
                                     const std::vector<std::string>& upstreams) {
  if (upstreams.size() > kMaxUpstreams)
    return quota_exceeded("repository", repo.name,
                          "A repository can have at most 10 upstream repositories");
  std::set<std::string> seen;
  for (const auto& u : upstreams) {
    ARCA_TRY(validate_repository_name("upstreams.member.repositoryName", u));
    if (u == repo.name)
      return invalid_argument("Repository " + repo.name + " cannot be its own upstream");
    if (!seen.insert(u).second)
      return invalid_argument("Upstream repository " + u + " is listed more than once");
  }
  // Depth-first walk from each new upstream; reaching `repo` means a cycle.
  std::vector<std::string> stack(upstreams.begin(), upstreams.end());
  std::set<std::string> visited;
  while (!stack.empty()) {
    std::string name = std::move(stack.back());
    stack.pop_back();
    if (!visited.insert(name).second) continue;
    auto up = store_.get_repository(repo.domain_owner, repo.domain_name, name);
    if (!up) {
      if (up.error().code == Code::kNotFound && seen.count(name))
        return not_found(
            "repository", name,
            "Upstream repository " + name + " not found in domain " + repo.domain_name);
      if (up.error().code == Code::kNotFound) continue;
      return up.error();
    }
    for (const auto& next : up->upstreams) {
      if (next == repo.name)
        return invalid_argument("Adding upstream " + name + " to repository " + repo.name +
                                " would create a cycle");
      stack.push_back(next);
    }
  }
  return {};
}

Result<store::Repository> ControlPlane::create_repository(const auth::Principal& caller,
                                                          const RepositoryInput& in,
                                                          const std::string& description,
                                                          const std::vector<std::string>& upstreams,
                                                          const store::Tags& tags) {
  ARCA_TRY(validate_repository_input(in));
  ARCA_TRY(validate_description("description", description));
  ARCA_TRY(validate_tags(tags));
  ARCA_ASSIGN_OR_RETURN(std::string owner,
                        resolve_owner(caller, in.domain_owner, in.domain, "CreateRepository"));
  ARCA_TRY(store_.get_domain(owner, in.domain));
  store::Repository r;
  r.domain_owner = owner;
  r.domain_name = in.domain;
  r.name = in.repository;
  r.administrator_account = caller.account_id;
  r.description = description;
  r.upstreams = upstreams;
  r.created_time = now_epoch();
  ARCA_TRY(check_upstreams(r, upstreams));
  ARCA_TRY(store_.create_repository(r, config_.max_repositories_per_domain));
  if (!tags.empty()) ARCA_TRY(store_.put_tags(repository_arn(r), tags, 200));
  return r;
}

Result<store::Repository> ControlPlane::describe_repository(const auth::Principal& caller,
                                                            const RepositoryInput& in) {
  return load_repository(caller, in, "DescribeRepository");
}

Result<store::Repository> ControlPlane::update_repository(const auth::Principal& caller,
                                                          const RepositoryInput& in,
                                                          const store::RepositoryUpdate& update) {
  ARCA_ASSIGN_OR_RETURN(store::Repository r, load_repository(caller, in, "UpdateRepository"));
  if (update.description) ARCA_TRY(validate_description("description", *update.description));
  std::unique_lock lock(upstreams_mu_, std::defer_lock);
  if (update.upstreams) {
    lock.lock();
    ARCA_TRY(check_upstreams(r, *update.upstreams));
  }
  ARCA_ASSIGN_OR_RETURN(store::Repository updated,
                        store_.update_repository(r.domain_owner, r.domain_name, r.name, update));
  if (update.upstreams) changed(updated);
  return updated;
}

void ControlPlane::changed(const store::Repository& r) {
  for (const auto& fn : repository_changed_) fn({r.domain_owner, r.domain_name, r.name});
}

Result<store::Repository> ControlPlane::delete_repository(const auth::Principal& caller,
                                                          const RepositoryInput& in) {
  ARCA_ASSIGN_OR_RETURN(store::Repository r, load_repository(caller, in, "DeleteRepository"));
  ARCA_ASSIGN_OR_RETURN(store::Repository deleted,
                        store_.delete_repository(r.domain_owner, r.domain_name, r.name));
  changed(r);
  return deleted;
}

namespace {
PageOf<store::Repository> finish_page(std::vector<store::Repository> rows,
                                      const store::Page& page) {
  return finish_keyset_page(std::move(rows), page, store::repository_cursor);
}

Status validate_prefix(const std::string& prefix) {
  if (prefix.empty()) return {};
  return validate_repository_name("repositoryPrefix", prefix);
}
}  // namespace

Result<PageOf<store::Repository>> ControlPlane::list_repositories(const auth::Principal& caller,
                                                                  const std::string& prefix,
                                                                  const ListParams& p) {
  ARCA_TRY(validate_prefix(prefix));
  ARCA_ASSIGN_OR_RETURN(store::Page page, start_keyset_page(p));
  store::RepositoryFilter f;
  f.administrator_account = caller.account_id;
  f.name_prefix = prefix;
  ARCA_ASSIGN_OR_RETURN(auto rows, store_.list_repositories(f, page));
  return finish_page(std::move(rows), page);
}

Result<PageOf<store::Repository>> ControlPlane::list_repositories_in_domain(
    const auth::Principal& caller, const std::optional<std::string>& owner,
    const std::string& domain, const std::optional<std::string>& administrator,
    const std::string& prefix, const ListParams& p) {
  ARCA_ASSIGN_OR_RETURN(std::string o,
                        resolve_owner(caller, owner, domain, "ListRepositoriesInDomain"));
  if (administrator) ARCA_TRY(validate_account_id("administratorAccount", *administrator));
  ARCA_TRY(validate_prefix(prefix));
  ARCA_ASSIGN_OR_RETURN(store::Page page, start_keyset_page(p));
  ARCA_TRY(store_.get_domain(o, domain));
  store::RepositoryFilter f;
  f.domain_owner = o;
  f.domain_name = domain;
  f.administrator_account = administrator;
  f.name_prefix = prefix;
  ARCA_ASSIGN_OR_RETURN(auto rows, store_.list_repositories(f, page));
  return finish_page(std::move(rows), page);
}

Result<std::string> ControlPlane::repository_endpoint(const auth::Principal& caller,
                                                      const RepositoryInput& in,
                                                      const std::string& format,
                                                      const std::string& public_url) {
  ARCA_TRY(validate_format("format", format));
  ARCA_ASSIGN_OR_RETURN(store::Repository r, load_repository(caller, in, "GetRepositoryEndpoint"));
  std::string base = public_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/" + format + "/d/" + r.domain_name + "-" + r.domain_owner + "/" + r.name + "/";
}

Result<store::Repository> ControlPlane::associate_external_connection(
    const auth::Principal& caller, const RepositoryInput& in, const std::string& connection) {
  ARCA_TRY(validate_external_connection_name("externalConnection", connection));
  ARCA_ASSIGN_OR_RETURN(store::Repository r,
                        load_repository(caller, in, "AssociateExternalConnection"));
  std::string format = external_connection_format(connection);
  if (format.empty()) return invalid_argument("Unknown external connection name: " + connection);
  if (!config_.external_connections.count(connection))
    return invalid_argument("External connection " + connection +
                            " is not configured on this server ([external_connections])");
  ARCA_ASSIGN_OR_RETURN(store::Repository updated,
                        store_.add_external_connection(
                            r.domain_owner, r.domain_name, r.name,
                            store::ExternalConnection{connection, format}, kMaxExternalConnections));
  changed(updated);
  return updated;
}

Result<store::Repository> ControlPlane::disassociate_external_connection(
    const auth::Principal& caller, const RepositoryInput& in, const std::string& connection) {
  ARCA_TRY(validate_external_connection_name("externalConnection", connection));
  ARCA_ASSIGN_OR_RETURN(store::Repository r,
                        load_repository(caller, in, "DisassociateExternalConnection"));
  ARCA_ASSIGN_OR_RETURN(
      store::Repository updated,
      store_.remove_external_connection(r.domain_owner, r.domain_name, r.name, connection));
  changed(updated);
  return updated;
}

}  // namespace arca::core
