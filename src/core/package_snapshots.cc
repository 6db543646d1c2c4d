// Packages' snapshot cache (what downloads and pull-through resolution read from memory) and its
// invalidation: every write to a package by this node drops or updates the package's snapshot
// and tells the listeners.
#include <algorithm>

#include "core/packages.h"

namespace arca::core {

std::string Packages::snapshot_key(const store::RepositoryRef& repo, const store::PackageKey& key) {
  return store::repository_key(repo) + '\x1f' + store::package_cursor(key);
}

void Packages::invalidate_caches() {
  {
    std::lock_guard lock(snapshots_mu_);
    ++snapshot_generation_;
    snapshots_.clear();
  }
  notify_listeners(store::RepositoryRef{}, store::PackageKey{});
}

void Packages::add_listener(Listener listener) {
  std::lock_guard lock(listeners_mu_);
  listeners_.push_back(std::move(listener));
}

std::optional<std::shared_ptr<const store::PackageSnapshot>> Packages::peek_package(
    const store::RepositoryRef& repo, const store::PackageKey& key) {
  std::lock_guard lock(snapshots_mu_);
  auto it = snapshots_.find(snapshot_key(repo, key));
  if (it == snapshots_.end()) return std::nullopt;
  return it->second;
}

void Packages::remember(std::string k, uint64_t generation,
                        std::shared_ptr<const store::PackageSnapshot> snap) {
  std::lock_guard lock(snapshots_mu_);
  // A write since the caller's read may have made `snap` stale: then it is not kept.
  if (generation != snapshot_generation_) return;
  if (snapshots_.size() >= kMaxCachedSnapshots) snapshots_.clear();
  snapshots_.insert_or_assign(std::move(k), std::move(snap));
}

uint64_t Packages::generation() {
  std::lock_guard lock(snapshots_mu_);
  return snapshot_generation_;
}

Result<std::shared_ptr<const store::PackageSnapshot>> Packages::cached_snapshot(
    const store::RepositoryRef& repo, const store::PackageKey& key) {
  if (auto cached = peek_package(repo, key)) {
    if (!*cached) return store::package_not_found(repo, key);
    return *cached;
  }
  uint64_t before = generation();
  auto snap = store_.get_package(repo, key);
  if (!snap) {
    if (store::is_absent_package(snap.error())) remember(snapshot_key(repo, key), before, nullptr);
    return snap.error();
  }
  auto shared = std::make_shared<const store::PackageSnapshot>(std::move(*snap));
  remember(snapshot_key(repo, key), before, shared);
  return shared;
}

void Packages::warm(const store::RepositoryRef& repo, const store::PackageKey& key) {
  (void)cached_snapshot(repo, key);  // best effort: a failure only leaves the cache cold
}

namespace {
// `snap` with `v` among its versions (kept in version order); as it is when `v` is there.
std::shared_ptr<const store::PackageSnapshot> with_version(const store::PackageSnapshot& snap,
                                                           const store::PackageVersion& v) {
  auto out = std::make_shared<store::PackageSnapshot>(snap);
  auto at = std::lower_bound(out->versions.begin(), out->versions.end(), v.version,
                             [](const auto& e, const std::string& x) { return e.version < x; });
  if (at == out->versions.end() || at->version != v.version) out->versions.insert(at, v);
  return out;
}
}  // namespace

void Packages::notify(const store::RepositoryRef& repo, const store::PackageKey& key,
                      const store::PackageVersion* added) {
  const std::string k = snapshot_key(repo, key);
  std::shared_ptr<const store::PackageSnapshot> base;
  {
    std::lock_guard lock(snapshots_mu_);
    ++snapshot_generation_;
    auto it = snapshots_.find(k);
    if (it != snapshots_.end()) {
      if (added && it->second)
        base = it->second;
      else
        snapshots_.erase(it);  // an absent package was created, or another write: reload
    }
  }
  if (base) {  // copied outside the lock, which the I/O threads' lookups take
    auto grown = with_version(*base, *added);
    std::lock_guard lock(snapshots_mu_);
    auto it = snapshots_.find(k);
    if (it != snapshots_.end()) {
      // Another write changed the entry meanwhile: neither copy has both writes, so reload.
      if (it->second == base)
        it->second = std::move(grown);
      else
        snapshots_.erase(it);
    }
  }
  notify_listeners(repo, key);
}

void Packages::notify_listeners(const store::RepositoryRef& repo, const store::PackageKey& key) {
  std::vector<Listener> listeners;
  {
    std::lock_guard lock(listeners_mu_);
    listeners = listeners_;
  }
  for (const auto& l : listeners) l(repo, key);
}

// Removes blobs no asset references. Holding blob_gc_mu_ here and in publish() between checking
// that a version's blobs exist and committing the version means a reference is never committed
// to a blob that was just removed.
}  // namespace arca::core
