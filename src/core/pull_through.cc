#include "core/pull_through.h"

#include "util/clock.h"

namespace arca::core {

std::string metrics_label(const store::RepositoryRef& repo) {
  return repo.domain_name + "/" + repo.repository;
}

PullThrough::PullThrough(store::MetadataStore& store, Packages& packages,
                         const upstream::Connections& connections,
                         upstream::DocumentCache& documents, upstream::ObjectFetcher& fetcher,
                         upstream::CacheMetrics& metrics)
    : store_(store),
      packages_(packages),
      connections_(connections),
      documents_(documents),
      fetcher_(fetcher),
      metrics_(metrics) {}

Result<std::vector<ChainEntry>> PullThrough::chain(const store::RepositoryRef& repo,
                                                   const store::PackageKey& key,
                                                   const std::string* only_version) {
  ARCA_ASSIGN_OR_RETURN(std::vector<SearchStep> steps, search_order(store_, repo));
  // Retention into the calling repository from its upstreams is one decision (§6.6).
  ARCA_ASSIGN_OR_RETURN(GroupDecision internal,
                        packages_.group_decision(repo, key, Restriction::kInternalUpstream));
  std::vector<ChainEntry> out;
  for (size_t i = 0; i < steps.size();) {
    ChainEntry e;
    e.step = steps[i];
    if (e.step.depth > 0 && !internal.allowed) break;
    auto snap = only_version ? store_.get_package_versions(e.step.repository, key, {*only_version})
                             : packages_.read(e.step.repository, key);
    if (snap) {
      e.snapshot = std::move(*snap);
    } else if (snap.error().code != Code::kNotFound) {
      return snap.error();
    }
    bool blocked = e.snapshot && e.snapshot->package.origin.upstream == "BLOCK";
    if (!blocked && !e.step.external_connection.empty()) {
      ARCA_ASSIGN_OR_RETURN(
          GroupDecision external,
          packages_.group_decision(e.step.repository, key, Restriction::kExternalUpstream));
      if (external.allowed) e.connection = connections_.find(e.step.external_connection);
    }
    size_t next = blocked ? e.step.subtree_end : i + 1;
    out.push_back(std::move(e));
    i = next;
  }
  return out;
}

Result<ResolvedAsset> PullThrough::asset(const store::RepositoryRef& repo,
                                         const store::PackageKey& key, const std::string& version,
                                         const std::string& asset_name,
                                         const ExternalLookup& lookup) {
  if (auto local = packages_.open_asset(repo, key, version, asset_name)) {
    return ResolvedAsset{upstream::CacheResult::kHit, std::move(*local), nullptr, std::nullopt};
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
        return ResolvedAsset{upstream::CacheResult::kHit, std::move(h), nullptr, std::nullopt};
      }
    }
    if (!e.connection) continue;
    auto found = lookup(*e.connection);
    if (!found) {
      if (found.error().code != Code::kNotFound) failure = found.error();
      continue;
    }
    if (!*found) continue;
    auto resolved = ingest(repo, key, e, std::move(**found), asset_name);
    if (resolved || resolved.error().code != Code::kNotFound) return resolved;
  }
  if (failure) return *failure;
  return not_found("package-version", version,
                   "Version " + version + " was not found in the repository or its upstreams");
}

Result<ResolvedAsset> PullThrough::ingest(const store::RepositoryRef& repo,
                                          const store::PackageKey& key, const ChainEntry& owner,
                                          ExternalVersion found, const std::string& asset_name) {
  const upstream::Connection& connection = *owner.connection;
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
  std::string flight = connection.name + '\n' + found.request.url + '\n' + repo.domain_owner + '/' +
                       repo.domain_name + '/' + repo.repository;
  ARCA_ASSIGN_OR_RETURN(std::shared_ptr<upstream::Transfer> transfer,
                        fetcher_.fetch(connection, flight, std::move(found.request), on_commit));
  ARCA_ASSIGN_OR_RETURN(std::optional<uint64_t> length, transfer->wait_started());
  return ResolvedAsset{upstream::CacheResult::kMiss, std::nullopt, std::move(transfer), length};
}

}  // namespace arca::core
