#pragma once
// Package groups (reference §6.2–6.6): the control-plane operations and the origin-control
// decisions every format's publish and upstream path asks for (OriginPolicy).
//
// A domain's groups are held in memory as a GroupIndex (most-specific match without scanning),
// rebuilt when the store's package_groups_generation for the domain changes, so every node sees
// other nodes' changes on its next decision. The root group `/*` (all ALLOW) exists in every
// domain: it is created on first use and can be changed but not deleted.
//
// Thread safety: all methods may be called concurrently on the blocking pool.
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/control_plane.h"
#include "core/origin_policy.h"
#include "core/package_groups/group_index.h"
#include "core/pagination.h"
#include "store/metadata_store.h"

namespace arca::core {

// One restriction type of a group as DescribePackageGroup shows it.
struct EffectiveRestriction {
  std::string mode;                           // as set, possibly INHERIT
  std::string effective_mode;                 // INHERIT resolved up the hierarchy
  std::optional<std::string> inherited_from;  // pattern of the group the mode came from
  std::set<std::string> allowed;              // the allow-list that applies (own or inherited)
  size_t repositories_count = 0;              // size of the group's own allow-list
};

struct GroupView {
  store::PackageGroup group;
  std::string arn;
  std::optional<std::string> parent;  // pattern; none for the root
  std::string parent_arn;
  std::map<std::string, EffectiveRestriction> restrictions;  // by type
};

struct AssociatedPackage {
  store::PackageKey key;
  std::string association;  // STRONG | WEAK
};

struct GroupOriginUpdate {
  std::map<std::string, std::string> restrictions;                  // type -> mode
  std::vector<std::pair<std::string, std::string>> add_allowed;     // (repository, type)
  std::vector<std::pair<std::string, std::string>> remove_allowed;  // (repository, type)
};
// type -> {"ADDED": [...], "REMOVED": [...]}
using AllowedUpdates = std::map<std::string, std::map<std::string, std::vector<std::string>>>;

struct DomainInput {
  std::optional<std::string> owner;
  std::string domain;
};

class PackageGroups final : public OriginPolicy {
 public:
  PackageGroups(store::MetadataStore& store, ControlPlane& control, size_t max_groups_per_domain);

  // Called after any group change (origin decisions change what caches may hold).
  void on_change(std::function<void()> fn) { changed_.push_back(std::move(fn)); }

  Result<GroupView> create(const auth::Principal& caller, const DomainInput& d,
                           const std::string& pattern,
                           const std::optional<std::string>& description,
                           const std::optional<std::string>& contact_info);
  Result<GroupView> describe(const auth::Principal& caller, const DomainInput& d,
                             const std::string& pattern);
  Result<GroupView> update(const auth::Principal& caller, const DomainInput& d,
                           const std::string& pattern,
                           const std::optional<std::string>& description,
                           const std::optional<std::string>& contact_info);
  Result<std::pair<GroupView, AllowedUpdates>> update_origin(const auth::Principal& caller,
                                                             const DomainInput& d,
                                                             const std::string& pattern,
                                                             const GroupOriginUpdate& update);
  Result<GroupView> remove(const auth::Principal& caller, const DomainInput& d,
                           const std::string& pattern);
  Result<PageOf<GroupView>> list(const auth::Principal& caller, const DomainInput& d,
                                 const std::string& prefix, const ListParams& p);
  Result<PageOf<GroupView>> list_sub(const auth::Principal& caller, const DomainInput& d,
                                     const std::string& pattern, const ListParams& p);
  Result<std::pair<GroupView, std::string>> associated_group(const auth::Principal& caller,
                                                             const DomainInput& d,
                                                             const store::PackageKey& key);
  Result<PageOf<AssociatedPackage>> associated_packages(const auth::Principal& caller,
                                                        const DomainInput& d,
                                                        const std::string& pattern, bool preview,
                                                        const ListParams& p);
  Result<PageOf<std::string>> allowed_repositories(const auth::Principal& caller,
                                                   const DomainInput& d, const std::string& pattern,
                                                   const std::string& type, const ListParams& p);

  Result<GroupDecision> decide(const store::RepositoryRef& repo, const store::PackageKey& key,
                               Restriction r) override;
  // From the domain's groups as last loaded by this node, without checking the store's
  // generation (another node's change is seen at the next decide()).
  std::optional<GroupDecision> peek(const store::RepositoryRef& repo, const store::PackageKey& key,
                                    Restriction r) override;

 private:
  struct Domain {
    int64_t generation = 0;
    package_groups::GroupIndex index;
    std::map<std::string, store::PackageGroup> groups;  // by pattern
  };
  using DomainPtr = std::shared_ptr<const Domain>;
  Result<DomainPtr> load(const std::string& owner, const std::string& domain);
  Result<std::string> owner_of(const auth::Principal& caller, const DomainInput& d,
                               const char* action);
  Result<store::PackageGroup> find(const Domain& dom, const std::string& pattern) const;
  GroupView view(const Domain& dom, const store::PackageGroup& g) const;
  EffectiveRestriction effective(const Domain& dom, const store::PackageGroup& g,
                                 const std::string& type) const;
  // The group a package belongs to (never null: the root matches everything).
  const store::PackageGroup& group_of(const Domain& dom, const store::PackageKey& key) const;
  GroupDecision decision(const Domain& dom, const store::RepositoryRef& repo,
                         const store::PackageKey& key, Restriction r) const;
  void notify();

  store::MetadataStore& store_;
  ControlPlane& control_;
  const size_t max_groups_;
  std::mutex mu_;
  std::map<std::string, DomainPtr> domains_;  // "owner/domain" -> loaded groups
  uint64_t changes_ = 0;                      // notify() calls; guarded by mu_
  std::vector<std::function<void()>> changed_;
};

std::string package_group_arn(std::string_view region, std::string_view owner,
                              std::string_view domain, std::string_view pattern);

}  // namespace arca::core
