// The package-group operations of the control plane (reference §1.6 ops 4, 9, 15, 20, 27, 28,
// 30, 37, 45, 46).
#include <algorithm>

#include "core/package_groups/package_groups.h"
#include "core/packages.h"
#include "core/validate.h"

namespace arca::core {

namespace {

constexpr const char* kRoot = "/*";

bool valid_type(const std::string& t) {
  return t == store::kRestrictionPublish || t == store::kRestrictionExternalUpstream ||
         t == store::kRestrictionInternalUpstream;
}

bool valid_mode(const std::string& m) {
  return m == store::kModeAllow || m == store::kModeBlock ||
         m == store::kModeAllowSpecificRepositories || m == store::kModeInherit;
}

Error group_not_found(const std::string& pattern) {
  return not_found("package-group", pattern, "Package group " + pattern + " not found");
}

// An in-memory keyset page over items sorted by `cursor`.
template <class T, class CursorFn>
Result<PageOf<T>> page_of(std::vector<T> sorted, const ListParams& p, CursorFn cursor) {
  ARCA_ASSIGN_OR_RETURN(store::Page page, start_keyset_page(p));
  std::vector<T> rows;
  for (auto& item : sorted) {
    if (!page.after.empty() && cursor(item) <= page.after) continue;
    rows.push_back(std::move(item));
    if (rows.size() == page.limit) break;
  }
  return finish_keyset_page(std::move(rows), page, cursor);
}

}  // namespace

Result<std::string> PackageGroups::owner_of(const auth::Principal& caller, const DomainInput& d,
                                            const char* action) {
  return control_.resolve_owner(caller, d.owner, d.domain, action);
}

Result<store::PackageGroup> PackageGroups::find(const Domain& dom,
                                                const std::string& pattern) const {
  auto parsed = package_groups::parse_pattern(pattern);
  if (!parsed) return parsed.error();
  auto it = dom.groups.find(parsed->text());
  if (it == dom.groups.end()) return group_not_found(pattern);
  return it->second;
}

Result<GroupView> PackageGroups::create(const auth::Principal& caller, const DomainInput& d,
                                        const std::string& pattern,
                                        const std::optional<std::string>& description,
                                        const std::optional<std::string>& contact_info) {
  ARCA_ASSIGN_OR_RETURN(std::string owner, owner_of(caller, d, "CreatePackageGroup"));
  ARCA_ASSIGN_OR_RETURN(package_groups::Pattern parsed, package_groups::parse_pattern(pattern));
  if (description) ARCA_TRY(validate_description("description", *description));
  if (contact_info) ARCA_TRY(validate_description("contactInfo", *contact_info));
  ARCA_TRY(load(owner, d.domain));  // the root group exists before any other
  store::PackageGroup g;
  g.domain_owner = owner;
  g.domain_name = d.domain;
  g.pattern = parsed.text();
  g.description = description.value_or("");
  g.contact_info = contact_info.value_or("");
  for (const char* t : {store::kRestrictionPublish, store::kRestrictionExternalUpstream,
                        store::kRestrictionInternalUpstream})
    g.restrictions[t] = store::kModeInherit;
  ARCA_TRY(store_.create_package_group(g, max_groups_));
  notify();
  ARCA_ASSIGN_OR_RETURN(DomainPtr dom, load(owner, d.domain));
  ARCA_ASSIGN_OR_RETURN(store::PackageGroup created, find(*dom, g.pattern));
  return view(*dom, created);
}

Result<GroupView> PackageGroups::describe(const auth::Principal& caller, const DomainInput& d,
                                          const std::string& pattern) {
  ARCA_ASSIGN_OR_RETURN(std::string owner, owner_of(caller, d, "DescribePackageGroup"));
  ARCA_ASSIGN_OR_RETURN(DomainPtr dom, load(owner, d.domain));
  ARCA_ASSIGN_OR_RETURN(store::PackageGroup g, find(*dom, pattern));
  return view(*dom, g);
}

Result<GroupView> PackageGroups::update(const auth::Principal& caller, const DomainInput& d,
                                        const std::string& pattern,
                                        const std::optional<std::string>& description,
                                        const std::optional<std::string>& contact_info) {
  ARCA_ASSIGN_OR_RETURN(std::string owner, owner_of(caller, d, "UpdatePackageGroup"));
  if (description) ARCA_TRY(validate_description("description", *description));
  if (contact_info) ARCA_TRY(validate_description("contactInfo", *contact_info));
  ARCA_ASSIGN_OR_RETURN(DomainPtr dom, load(owner, d.domain));
  ARCA_ASSIGN_OR_RETURN(store::PackageGroup g, find(*dom, pattern));
  store::PackageGroupUpdate u;
  u.description = description;
  u.contact_info = contact_info;
  ARCA_TRY(store_.update_package_group(owner, d.domain, g.pattern, u));
  ARCA_ASSIGN_OR_RETURN(dom, load(owner, d.domain));
  ARCA_ASSIGN_OR_RETURN(g, find(*dom, g.pattern));
  return view(*dom, g);
}

Result<std::pair<GroupView, AllowedUpdates>> PackageGroups::update_origin(
    const auth::Principal& caller, const DomainInput& d, const std::string& pattern,
    const GroupOriginUpdate& update) {
  ARCA_ASSIGN_OR_RETURN(std::string owner,
                        owner_of(caller, d, "UpdatePackageGroupOriginConfiguration"));
  ARCA_ASSIGN_OR_RETURN(DomainPtr dom, load(owner, d.domain));
  ARCA_ASSIGN_OR_RETURN(store::PackageGroup g, find(*dom, pattern));
  store::PackageGroupUpdate u;
  for (const auto& [type, mode] : update.restrictions) {
    if (!valid_type(type))
      return invalid_argument("restrictions: unknown origin restriction type " + type);
    if (!valid_mode(mode)) return invalid_argument("restrictions." + type + ": unknown mode " + mode);
    if (g.pattern == kRoot && mode == store::kModeInherit)
      return invalid_argument("restrictions." + type +
                              ": the root package group /* has no parent to inherit from");
    u.restrictions[type] = mode;
  }
  AllowedUpdates changes;
  auto apply = [&](const auto& list, bool add) -> Status {
    for (const auto& [repository, type] : list) {
      if (!valid_type(type))
        return invalid_argument("originRestrictionType: unknown origin restriction type " + type);
      ARCA_TRY(validate_repository_name("repositoryName", repository));
      if (add) ARCA_TRY(store_.get_repository(owner, d.domain, repository));
      const auto& current = g.allowed_repositories[type];
      bool present = current.contains(repository);
      if (add && !present) changes[type]["ADDED"].push_back(repository);
      if (!add && present) changes[type]["REMOVED"].push_back(repository);
      (add ? u.add_allowed : u.remove_allowed).emplace_back(type, repository);
    }
    return {};
  };
  ARCA_TRY(apply(update.remove_allowed, false));
  ARCA_TRY(apply(update.add_allowed, true));
  ARCA_TRY(store_.update_package_group(owner, d.domain, g.pattern, u));
  notify();
  ARCA_ASSIGN_OR_RETURN(dom, load(owner, d.domain));
  ARCA_ASSIGN_OR_RETURN(g, find(*dom, g.pattern));
  return std::make_pair(view(*dom, g), std::move(changes));
}

Result<GroupView> PackageGroups::remove(const auth::Principal& caller, const DomainInput& d,
                                        const std::string& pattern) {
  ARCA_ASSIGN_OR_RETURN(std::string owner, owner_of(caller, d, "DeletePackageGroup"));
  ARCA_ASSIGN_OR_RETURN(DomainPtr dom, load(owner, d.domain));
  ARCA_ASSIGN_OR_RETURN(store::PackageGroup g, find(*dom, pattern));
  if (g.pattern == kRoot)
    return failed_precondition("The root package group /* cannot be deleted", "package-group",
                               kRoot);
  GroupView before = view(*dom, g);
  ARCA_TRY(store_.delete_package_group(owner, d.domain, g.pattern));
  // Its tags go with it, so a group created again with this pattern starts without them.
  if (auto tags = store_.get_tags(before.arn); tags && !tags->empty()) {
    std::vector<std::string> keys;
    for (const auto& [k, v] : *tags) keys.push_back(k);
    (void)store_.remove_tags(before.arn, keys);  // best effort: the group is already gone
  }
  notify();
  return before;
}

Result<PageOf<GroupView>> PackageGroups::list(const auth::Principal& caller, const DomainInput& d,
                                              const std::string& prefix, const ListParams& p) {
  ARCA_ASSIGN_OR_RETURN(std::string owner, owner_of(caller, d, "ListPackageGroups"));
  ARCA_ASSIGN_OR_RETURN(DomainPtr dom, load(owner, d.domain));
  std::vector<GroupView> all;
  for (const auto& [text, g] : dom->groups)
    if (text.starts_with(prefix)) all.push_back(view(*dom, g));
  return page_of(std::move(all), p, [](const GroupView& v) { return v.group.pattern; });
}

Result<PageOf<GroupView>> PackageGroups::list_sub(const auth::Principal& caller,
                                                  const DomainInput& d, const std::string& pattern,
                                                  const ListParams& p) {
  ARCA_ASSIGN_OR_RETURN(std::string owner, owner_of(caller, d, "ListSubPackageGroups"));
  ARCA_ASSIGN_OR_RETURN(DomainPtr dom, load(owner, d.domain));
  ARCA_ASSIGN_OR_RETURN(store::PackageGroup g, find(*dom, pattern));
  ARCA_ASSIGN_OR_RETURN(package_groups::Pattern parsed, package_groups::parse_pattern(g.pattern));
  std::vector<GroupView> children;
  for (const auto* child : dom->index.children_of(parsed))
    children.push_back(view(*dom, dom->groups.at(child->text)));
  return page_of(std::move(children), p, [](const GroupView& v) { return v.group.pattern; });
}

Result<std::pair<GroupView, std::string>> PackageGroups::associated_group(
    const auth::Principal& caller, const DomainInput& d, const store::PackageKey& key) {
  ARCA_ASSIGN_OR_RETURN(std::string owner, owner_of(caller, d, "GetAssociatedPackageGroup"));
  ARCA_ASSIGN_OR_RETURN(store::PackageKey normalized,
                        make_package_key(key.format, key.namespace_, key.name));
  ARCA_ASSIGN_OR_RETURN(DomainPtr dom, load(owner, d.domain));
  return std::make_pair(view(*dom, group_of(*dom, normalized)), std::string("STRONG"));
}

Result<PageOf<AssociatedPackage>> PackageGroups::associated_packages(
    const auth::Principal& caller, const DomainInput& d, const std::string& pattern, bool preview,
    const ListParams& p) {
  ARCA_ASSIGN_OR_RETURN(std::string owner, owner_of(caller, d, "ListAssociatedPackages"));
  ARCA_ASSIGN_OR_RETURN(DomainPtr dom, load(owner, d.domain));
  ARCA_ASSIGN_OR_RETURN(package_groups::Pattern parsed, package_groups::parse_pattern(pattern));
  bool exists = dom->groups.contains(parsed.text());
  if (!exists && !preview) return group_not_found(pattern);
  // The packages of every repository of the domain, each once.
  std::set<store::PackageKey> keys;
  store::RepositoryFilter filter;
  filter.domain_owner = owner;
  filter.domain_name = d.domain;
  for (store::Page rp{"", 1000};;) {
    ARCA_ASSIGN_OR_RETURN(std::vector<store::Repository> repos,
                          store_.list_repositories(filter, rp));
    for (const auto& r : repos) {
      for (store::Page pp{"", 1000};;) {
        ARCA_ASSIGN_OR_RETURN(std::vector<store::Package> packages,
                              store_.list_packages({owner, d.domain, r.name}, {}, pp));
        for (const auto& pkg : packages) keys.insert(pkg.key);
        if (packages.size() < pp.limit) break;
        pp.after = store::package_cursor(packages.back().key);
      }
    }
    if (repos.size() < rp.limit) break;
    rp.after = store::repository_cursor(repos.back());
  }
  std::vector<AssociatedPackage> out;
  for (const auto& key : keys) {
    if (!package_groups::matches(parsed, key)) continue;
    // Associated when this pattern is the most specific match (as it would be, for a preview).
    const auto* current = dom->index.most_specific(key);
    bool ours = current && current->text == parsed.text();
    if (!ours && preview && !exists)
      ours = !current || package_groups::more_specific(parsed, current->pattern);
    if (ours) out.push_back({key, "STRONG"});
  }
  return page_of(std::move(out), p,
                 [](const AssociatedPackage& a) { return store::package_cursor(a.key); });
}

Result<PageOf<std::string>> PackageGroups::allowed_repositories(const auth::Principal& caller,
                                                                const DomainInput& d,
                                                                const std::string& pattern,
                                                                const std::string& type,
                                                                const ListParams& p) {
  ARCA_ASSIGN_OR_RETURN(std::string owner, owner_of(caller, d, "ListAllowedRepositoriesForGroup"));
  if (!valid_type(type))
    return invalid_argument("originRestrictionType: unknown origin restriction type " + type);
  ARCA_ASSIGN_OR_RETURN(DomainPtr dom, load(owner, d.domain));
  ARCA_ASSIGN_OR_RETURN(store::PackageGroup g, find(*dom, pattern));
  std::vector<std::string> names;
  if (auto a = g.allowed_repositories.find(type); a != g.allowed_repositories.end())
    names.assign(a->second.begin(), a->second.end());
  return page_of(std::move(names), p, [](const std::string& s) { return s; });
}

}  // namespace arca::core
