// Loading a domain's groups, INHERIT resolution and the origin decisions (OriginPolicy).
#include "core/package_groups/package_groups.h"

#include "core/arn.h"

namespace arca::core {

namespace {

constexpr const char* kRoot = "/*";
constexpr const char* kTypes[] = {store::kRestrictionPublish, store::kRestrictionExternalUpstream,
                                  store::kRestrictionInternalUpstream};

const char* type_of(Restriction r) { return restriction_name(r); }

std::string mode_of(const store::PackageGroup& g, const std::string& type) {
  auto it = g.restrictions.find(type);
  return it == g.restrictions.end() ? store::kModeInherit : it->second;
}

// Characters kept as they are in a package-group ARN; others are percent-encoded.
bool arn_safe(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("/-_.~*$").find(c) != std::string_view::npos;
}

}  // namespace

std::string package_group_arn(std::string_view region, std::string_view owner,
                              std::string_view domain, std::string_view pattern) {
  static const char* hex = "0123456789ABCDEF";
  std::string encoded;
  for (unsigned char c : pattern) {
    if (arn_safe(char(c))) {
      encoded.push_back(char(c));
    } else {
      encoded += '%';
      encoded += hex[c >> 4];
      encoded += hex[c & 15];
    }
  }
  return "arn:aws:codeartifact:" + std::string(region) + ":" + std::string(owner) +
         ":package-group/" + std::string(domain) + encoded;
}

PackageGroups::PackageGroups(store::MetadataStore& store, ControlPlane& control,
                             size_t max_groups_per_domain)
    : store_(store), control_(control), max_groups_(max_groups_per_domain) {}

Result<PackageGroups::DomainPtr> PackageGroups::load(const std::string& owner,
                                                     const std::string& domain) {
  uint64_t changes_before = 0;
  {
    std::lock_guard lock(mu_);
    changes_before = changes_;
  }
  ARCA_ASSIGN_OR_RETURN(int64_t generation, store_.package_groups_generation(owner, domain));
  std::string cache_key = owner + "/" + domain;
  {
    std::lock_guard lock(mu_);
    if (auto it = domains_.find(cache_key);
        it != domains_.end() && it->second->generation == generation)
      return it->second;
  }
  ARCA_ASSIGN_OR_RETURN(std::vector<store::PackageGroup> groups,
                        store_.all_package_groups(owner, domain));
  bool has_root = false;
  for (const auto& g : groups) has_root = has_root || g.pattern == kRoot;
  if (!has_root) {
    store::PackageGroup root;
    root.domain_owner = owner;
    root.domain_name = domain;
    root.pattern = kRoot;
    for (const char* t : kTypes) root.restrictions[t] = store::kModeAllow;
    if (auto st = store_.create_package_group(root, max_groups_ + 1);
        !st && st.error().code != Code::kAlreadyExists)
      return st.error();
    ARCA_ASSIGN_OR_RETURN(generation, store_.package_groups_generation(owner, domain));
    ARCA_ASSIGN_OR_RETURN(groups, store_.all_package_groups(owner, domain));
  }
  auto dom = std::make_shared<Domain>();
  dom->generation = generation;
  for (auto& g : groups) {
    auto pattern = package_groups::parse_pattern(g.pattern);
    if (!pattern) continue;  // stored by an older rule set: ignored rather than fatal
    (void)dom->index.add(*pattern, g.pattern);
    dom->groups.emplace(g.pattern, std::move(g));
  }
  std::lock_guard lock(mu_);
  if (changes_ == changes_before) domains_[cache_key] = dom;  // else it may predate a change
  return DomainPtr(dom);
}

const store::PackageGroup& PackageGroups::group_of(const Domain& dom,
                                                   const store::PackageKey& key) const {
  const auto* found = dom.index.most_specific(key);
  auto it = dom.groups.find(found ? found->text : std::string(kRoot));
  return it->second;  // the root is always loaded
}

EffectiveRestriction PackageGroups::effective(const Domain& dom, const store::PackageGroup& g,
                                              const std::string& type) const {
  EffectiveRestriction out;
  out.mode = mode_of(g, type);
  if (auto a = g.allowed_repositories.find(type); a != g.allowed_repositories.end())
    out.repositories_count = a->second.size();
  const store::PackageGroup* cur = &g;
  while (mode_of(*cur, type) == store::kModeInherit) {
    auto pattern = package_groups::parse_pattern(cur->pattern);
    const auto* parent = pattern ? dom.index.parent_of(*pattern) : nullptr;
    auto it = parent ? dom.groups.find(parent->text) : dom.groups.end();
    if (it == dom.groups.end()) break;  // only the root has no parent; it is never INHERIT
    cur = &it->second;
    out.inherited_from = cur->pattern;
  }
  out.effective_mode = mode_of(*cur, type);
  if (out.effective_mode == store::kModeInherit) out.effective_mode = store::kModeAllow;
  if (auto a = cur->allowed_repositories.find(type); a != cur->allowed_repositories.end())
    out.allowed = a->second;
  return out;
}

GroupView PackageGroups::view(const Domain& dom, const store::PackageGroup& g) const {
  GroupView v;
  v.group = g;
  v.arn = package_group_arn(control_.region(), g.domain_owner, g.domain_name, g.pattern);
  if (auto pattern = package_groups::parse_pattern(g.pattern)) {
    if (const auto* parent = dom.index.parent_of(*pattern)) {
      v.parent = parent->text;
      v.parent_arn =
          package_group_arn(control_.region(), g.domain_owner, g.domain_name, parent->text);
    }
  }
  for (const char* t : kTypes) v.restrictions[t] = effective(dom, g, t);
  return v;
}

Result<GroupDecision> PackageGroups::decide(const store::RepositoryRef& repo,
                                            const store::PackageKey& key, Restriction r) {
  ARCA_ASSIGN_OR_RETURN(DomainPtr dom, load(repo.domain_owner, repo.domain_name));
  return decision(*dom, repo, key, r);
}

std::optional<GroupDecision> PackageGroups::peek(const store::RepositoryRef& repo,
                                                 const store::PackageKey& key, Restriction r) {
  DomainPtr dom;
  {
    std::lock_guard lock(mu_);
    auto it = domains_.find(repo.domain_owner + "/" + repo.domain_name);
    if (it == domains_.end()) return std::nullopt;
    dom = it->second;
  }
  return decision(*dom, repo, key, r);
}

GroupDecision PackageGroups::decision(const Domain& dom, const store::RepositoryRef& repo,
                                      const store::PackageKey& key, Restriction r) const {
  const store::PackageGroup& g = group_of(dom, key);
  EffectiveRestriction e = effective(dom, g, type_of(r));
  GroupDecision d;
  d.group = g.pattern;
  d.effective_mode = e.effective_mode;
  d.allowed = e.effective_mode == store::kModeAllow ||
              (e.effective_mode == store::kModeAllowSpecificRepositories &&
               e.allowed.contains(repo.repository));
  return d;
}

void PackageGroups::notify() {
  {
    // peek() must not answer from what this change made stale.
    std::lock_guard lock(mu_);
    domains_.clear();
    ++changes_;
  }
  for (const auto& fn : changed_) fn();
}

}  // namespace arca::core
