#include "core/pull_through.h"

#include <algorithm>

#include "util/clock.h"

namespace arca::core {

namespace {
constexpr size_t kMaxCachedOrders = 4096;

Error version_missing(const std::string& version) {
  return not_found("package-version", version,
                   "Version " + version + " was not found in the repository or its upstreams");
}
}  // namespace

std::string metrics_label(const store::RepositoryRef& repo) {
  return repo.domain_name + "/" + repo.repository;
}

PullThrough::PullThrough(store::MetadataStore& store, Packages& packages,
                         const upstream::Connections& connections,
                         upstream::DocumentCache& documents, upstream::ObjectFetcher& fetcher,
                         upstream::CacheMetrics& metrics, util::TaskPool& tasks)
    : store_(store),
      packages_(packages),
      connections_(connections),
      documents_(documents),
      fetcher_(fetcher),
      metrics_(metrics),
      tasks_(tasks) {
  // Search orders change only with a repository (its upstreams, its external connection).
  // Packages outlives this object: the listener holds the cache weakly.
  std::weak_ptr<StepCache> weak = steps_;
  packages_.add_listener([weak](const store::RepositoryRef&, const store::PackageKey& key) {
    auto steps = weak.lock();
    if (!steps || !key.format.empty()) return;
    std::lock_guard lock(steps->mu);
    ++steps->generation;
    steps->orders.clear();
  });
}

namespace {

// Where a chain is read from: the store (blocking; never "unknown") or memory alone, where
// nullopt means "not known there".
class ChainSource {
 public:
  virtual ~ChainSource() = default;
  virtual std::optional<Result<std::vector<SearchStep>>> steps(const store::RepositoryRef& r) = 0;
  virtual std::optional<Result<GroupDecision>> decision(const store::RepositoryRef& r,
                                                        const store::PackageKey& key,
                                                        Restriction restriction) = 0;
  // The package in `r` (only `only_version`, when given); an inner nullopt when absent.
  virtual std::optional<Result<std::optional<store::PackageSnapshot>>> package(
      const store::RepositoryRef& r, const store::PackageKey& key,
      const std::string* only_version) = 0;
};

template <class T>
std::optional<Result<T>> known(Result<T> r) {
  return std::optional<Result<T>>(std::move(r));
}

// The repositories of `repo`'s search order as origin controls prune them (see chain()).
std::optional<Result<std::vector<ChainEntry>>> build_chain(ChainSource& src,
                                                           const upstream::Connections& connections,
                                                           const store::RepositoryRef& repo,
                                                           const store::PackageKey& key,
                                                           const std::string* only_version) {
  using Out = Result<std::vector<ChainEntry>>;
  auto steps = src.steps(repo);
  if (!steps) return std::nullopt;
  if (!*steps) return Out(steps->error());
  // Retention into the calling repository from its upstreams is one decision (§6.6).
  auto internal = src.decision(repo, key, Restriction::kInternalUpstream);
  if (!internal) return std::nullopt;
  if (!*internal) return Out(internal->error());
  std::vector<ChainEntry> out;
  for (size_t i = 0; i < (*steps)->size();) {
    ChainEntry e;
    e.step = (**steps)[i];
    if (e.step.depth > 0 && !(*internal)->allowed) break;
    auto snap = src.package(e.step.repository, key, only_version);
    if (!snap) return std::nullopt;
    if (!*snap) return Out(snap->error());
    e.snapshot = std::move(**snap);
    bool blocked = e.snapshot && e.snapshot->package.origin.upstream == "BLOCK";
    if (!blocked && !e.step.external_connection.empty()) {
      auto external = src.decision(e.step.repository, key, Restriction::kExternalUpstream);
      if (!external) return std::nullopt;
      if (!*external) return Out(external->error());
      if ((*external)->allowed) e.connection = connections.find(e.step.external_connection);
    }
    size_t next = blocked ? e.step.subtree_end : i + 1;
    out.push_back(std::move(e));
    i = next;
  }
  return Out(std::move(out));
}

class StoreSource final : public ChainSource {
 public:
  StoreSource(PullThrough& pull, Packages& packages, store::MetadataStore& store)
      : pull_(pull), packages_(packages), store_(store) {}
  std::optional<Result<std::vector<SearchStep>>> steps(const store::RepositoryRef& r) override {
    return known(pull_.steps(r));
  }
  std::optional<Result<GroupDecision>> decision(const store::RepositoryRef& r,
                                                const store::PackageKey& key,
                                                Restriction restriction) override {
    return known(packages_.group_decision(r, key, restriction));
  }
  std::optional<Result<std::optional<store::PackageSnapshot>>> package(
      const store::RepositoryRef& r, const store::PackageKey& key,
      const std::string* only_version) override {
    using Out = Result<std::optional<store::PackageSnapshot>>;
    auto snap = only_version ? store_.get_package_versions(r, key, {*only_version})
                             : packages_.read(r, key);
    if (snap) return Out(std::optional<store::PackageSnapshot>(std::move(*snap)));
    if (snap.error().code == Code::kNotFound) return Out(std::nullopt);
    return Out(snap.error());
  }

 private:
  PullThrough& pull_;
  Packages& packages_;
  store::MetadataStore& store_;
};

class MemorySource final : public ChainSource {
 public:
  MemorySource(PullThrough& pull, Packages& packages) : pull_(pull), packages_(packages) {}
  std::optional<Result<std::vector<SearchStep>>> steps(const store::RepositoryRef& r) override {
    auto s = pull_.peek_steps(r);
    if (!s) return std::nullopt;
    return known(Result<std::vector<SearchStep>>(std::move(*s)));
  }
  std::optional<Result<GroupDecision>> decision(const store::RepositoryRef& r,
                                                const store::PackageKey& key,
                                                Restriction restriction) override {
    auto d = packages_.peek_group_decision(r, key, restriction);
    if (!d) return std::nullopt;
    return known(Result<GroupDecision>(std::move(*d)));
  }
  std::optional<Result<std::optional<store::PackageSnapshot>>> package(
      const store::RepositoryRef& r, const store::PackageKey& key,
      const std::string* only_version) override {
    using Out = Result<std::optional<store::PackageSnapshot>>;
    auto cached = packages_.peek_package(r, key);
    if (!cached) return std::nullopt;
    if (!*cached) return Out(std::nullopt);
    store::PackageSnapshot snap;
    snap.package = (*cached)->package;
    for (const auto& v : (*cached)->versions)
      if (!only_version || v.version == *only_version) snap.versions.push_back(v);
    return Out(std::optional<store::PackageSnapshot>(std::move(snap)));
  }

 private:
  PullThrough& pull_;
  Packages& packages_;
};

}  // namespace

Result<std::vector<SearchStep>> PullThrough::steps(const store::RepositoryRef& repo) {
  uint64_t generation;
  {
    std::lock_guard lock(steps_->mu);
    generation = steps_->generation;
  }
  ARCA_ASSIGN_OR_RETURN(std::vector<SearchStep> found, search_order(store_, repo));
  std::lock_guard lock(steps_->mu);
  if (generation == steps_->generation) {  // no repository changed meanwhile
    if (steps_->orders.size() >= kMaxCachedOrders) steps_->orders.clear();
    steps_->orders[store::repository_key(repo)] = found;
  }
  return found;
}

std::optional<std::vector<SearchStep>> PullThrough::peek_steps(const store::RepositoryRef& repo) {
  std::lock_guard lock(steps_->mu);
  auto it = steps_->orders.find(store::repository_key(repo));
  if (it == steps_->orders.end()) return std::nullopt;
  return it->second;
}

namespace {
bool has_connection(const std::vector<SearchStep>& order) {
  return std::any_of(order.begin(), order.end(),
                     [](const SearchStep& s) { return !s.external_connection.empty(); });
}
}  // namespace

std::optional<bool> PullThrough::peek_reaches_upstream(const store::RepositoryRef& repo) {
  auto order = peek_steps(repo);
  if (!order) return std::nullopt;
  return has_connection(*order);
}

bool PullThrough::reaches_upstream(const store::RepositoryRef& repo) {
  if (auto known = peek_reaches_upstream(repo)) return *known;
  auto order = steps(repo);
  return order && has_connection(*order);  // an error is answered without waiting on anything
}

Result<std::vector<ChainEntry>> PullThrough::chain(const store::RepositoryRef& repo,
                                                   const store::PackageKey& key,
                                                   const std::string* only_version) {
  StoreSource src(*this, packages_, store_);
  return *build_chain(src, connections_, repo, key, only_version);
}

Result<ResolvedAsset> PullThrough::asset(const store::RepositoryRef& repo,
                                         const store::PackageKey& key, const std::string& version,
                                         const std::string& asset_name,
                                         const ExternalLookup& lookup) {
  if (auto local = packages_.open_asset(repo, key, version, asset_name)) {
    return ResolvedAsset{upstream::CacheResult::kHit, std::move(*local), nullptr};
  } else if (local.error().code != Code::kNotFound) {
    return local.error();
  }
  // Only `version` is loaded at each step: a miss does not grow with the versions cached so far.
  ARCA_ASSIGN_OR_RETURN(std::vector<ChainEntry> entries, chain(repo, key, &version));
  std::optional<Error> failure;
  for (const ChainEntry& e : entries) {
    if (e.snapshot) {
      if (const store::PackageVersion* v = find_version(*e.snapshot, version)) {
        // Present where the search found it: served from there or not at all (§5.2).
        if (e.step.depth == 0 || !is_downloadable(v->status))
          return not_found("package-version", version, "Version " + version + " is not available");
        ARCA_TRY(packages_.retain(repo, key, *v));
        ARCA_ASSIGN_OR_RETURN(AssetHandle h, packages_.open_asset(repo, key, version, asset_name));
        return ResolvedAsset{upstream::CacheResult::kHit, std::move(h), nullptr};
      }
    }
    if (!e.connection) continue;
    auto found = lookup(*e.connection);
    if (!found) {
      if (found.error().code != Code::kNotFound) failure = found.error();
      continue;
    }
    if (!*found) continue;
    auto transfer = ingest(repo, key, e, std::move(**found), asset_name);
    if (!transfer) return transfer.error();
    // After the last repository nothing else is asked: its failure before the head is the
    // answer (not_offered), given by the response when it comes, without a thread waiting.
    if (&e == &entries.back())
      return ResolvedAsset{upstream::CacheResult::kMiss, std::nullopt, std::move(*transfer)};
    auto started = (*transfer)->wait_started();
    if (started) return ResolvedAsset{upstream::CacheResult::kMiss, std::nullopt, *transfer};
    if (started.error().code != Code::kNotFound) return started.error();
  }
  if (failure) return *failure;
  return version_missing(version);
}

std::optional<Result<std::shared_ptr<upstream::Transfer>>> PullThrough::peek_miss(
    const store::RepositoryRef& repo, const store::PackageKey& key, const std::string& version,
    const std::string& asset_name, const PeekLookup& lookup) {
  MemorySource src(*this, packages_);
  auto entries = build_chain(src, connections_, repo, key, &version);
  if (!entries || !*entries) return std::nullopt;
  const std::vector<ChainEntry>& chain = **entries;
  std::vector<const upstream::Connection*> consulted;
  for (size_t i = 0; i < chain.size(); ++i) {
    const ChainEntry& e = chain[i];
    if (e.snapshot && find_version(*e.snapshot, version)) return std::nullopt;  // not a miss
    if (!e.connection) continue;
    auto found = lookup(*e.connection);
    if (!found) return std::nullopt;
    consulted.push_back(e.connection);
    if (!*found) continue;
    // Only the last repository's connection: after its failure asset() would look no further.
    if (i + 1 != chain.size()) return std::nullopt;
    // Counted as asset()'s lookups would have been: one document HIT per connection asked.
    for (const upstream::Connection* c : consulted)
      metrics_.connection_lookup(c->name, upstream::CacheResult::kHit);
    return ingest(repo, key, e, std::move(**found), asset_name);
  }
  return std::nullopt;
}

Error PullThrough::not_offered(const std::string& version, const Error& e) {
  if (e.code != Code::kNotFound) return e;
  return version_missing(version);
}

Result<std::shared_ptr<upstream::Transfer>> PullThrough::ingest(const store::RepositoryRef& repo,
                                                                const store::PackageKey& key,
                                                                const ChainEntry& owner,
                                                                ExternalVersion found,
                                                                const std::string& asset_name) {
  const upstream::Connection& connection = *owner.connection;
  found.request.max_bytes = connection.max_asset_bytes;
  store::PackageVersion v = std::move(found.version);
  v.origin_type = "EXTERNAL";
  v.entry_repository.clear();
  v.entry_external_connection = connection.name;
  if (v.published_time == 0) v.published_time = now_epoch();
  store::RepositoryRef owner_repo = owner.step.repository;
  // Retention runs on the transfer's thread once the verified blob is committed.
  upstream::CommitHook on_commit = [this, v, repo, owner_repo, key,
                                    asset_name](const blob::BlobInfo& info) mutable -> Status {
    store::Asset a{asset_name, info.sha256, info.size, info.md5, info.sha1, info.sha512};
    v.assets = {a};
    v.revision.clear();
    ARCA_TRY(packages_.retain(owner_repo, key, v));
    if (!(repo == owner_repo)) ARCA_TRY(packages_.retain(repo, key, v));
    return {};
  };
  // One upstream GET per object and domain, whichever repositories of the domain ask for it
  // meanwhile: each joins as a party, with the retention into its own repository.
  std::string flight = connection.name + '\n' + found.request.url + '\n' + repo.domain_owner + '/' +
                       repo.domain_name;
  // Once the readers have their last byte: the next miss of the package resolves from memory.
  upstream::FinishedHook warm = [this, repo, owner_repo, key] {
    packages_.warm(repo, key);
    if (!(repo == owner_repo)) packages_.warm(owner_repo, key);
  };
  return fetcher_.fetch(connection, flight, repo.repository, std::move(found.request), on_commit,
                        warm);
}

}  // namespace arca::core
