#pragma once
// Upstream resolution for package-manager requests (reference §5): which repositories and
// external connections a request looks through, what each offers, and fetching a version that
// only an upstream has — retained into the calling repository (and, for external content, into
// the repository owning the connection) as a reference with its origin (§4.5, §5.3).
//
// Format-neutral: a format merges version lists from chain() and describes, for an external
// connection, where a version's asset is and what its digests must be (ExternalLookup).
// Origin controls applied here (§6.1, §6.6): a repository whose package has upstream=BLOCK offers
// its own versions only; its upstreams and external connection are not consulted through it.
// The package group's INTERNAL_UPSTREAM decides for the calling repository whether upstream
// repositories are looked through at all, and EXTERNAL_UPSTREAM, for each repository owning an
// external connection, whether that connection is consulted.
// Control-plane operations never come here (§5.1).
//
// Thread safety: all methods may be called concurrently; all but peek_miss() block (blocking
// pool only).
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/packages.h"
#include "core/upstream_graph.h"
#include "events/metrics.h"
#include "upstream/cache_metrics.h"
#include "upstream/connections.h"
#include "upstream/document_cache.h"
#include "upstream/object_fetcher.h"
#include "util/task_pool.h"

namespace arca::core {

// One repository of the search order, as a format sees it when it merges version lists.
struct ChainEntry {
  SearchStep step;
  std::optional<store::PackageSnapshot> snapshot;    // the package in this repository, if present
  const upstream::Connection* connection = nullptr;  // the external connection to consult here
};

// What a format found about a version in an external connection's document.
struct ExternalVersion {
  // The version's metadata; assets[0].name names its asset (digests are filled on ingestion).
  store::PackageVersion version;
  upstream::ObjectRequest request;  // where the asset is and the digests it must have
};
// nullopt when the connection does not offer the version.
using ExternalLookup =
    std::function<Result<std::optional<ExternalVersion>>(const upstream::Connection&)>;
// ExternalLookup's answer from memory alone, never blocking: nullopt when unknown there, else
// whether the connection offers the version.
using PeekLookup =
    std::function<std::optional<std::optional<ExternalVersion>>(const upstream::Connection&)>;

struct ResolvedAsset {
  upstream::CacheResult result = upstream::CacheResult::kHit;
  std::optional<AssetHandle> stored;             // served from storage
  std::shared_ptr<upstream::Transfer> transfer;  // streaming in from an external connection
};

class PullThrough {
 public:
  PullThrough(store::MetadataStore& store, Packages& packages,
              const upstream::Connections& connections, upstream::DocumentCache& documents,
              upstream::ObjectFetcher& fetcher, upstream::CacheMetrics& metrics,
              util::TaskPool& tasks);

  // The repositories a request for `key` in `repo` looks through, in search order, pruned by
  // origin controls. The first entry is `repo` itself. With `only_version`, each entry's snapshot
  // holds just that version (if present) instead of every version: what a download needs.
  Result<std::vector<ChainEntry>> chain(const store::RepositoryRef& repo,
                                        const store::PackageKey& key,
                                        const std::string* only_version = nullptr);

  // An external connection's document through the metadata cache.
  Result<upstream::DocumentLookup> document(const upstream::Connection& connection,
                                            const std::string& key,
                                            const upstream::FetchRequest& request) {
    return documents_.get(connection, key, request);
  }

  // The asset of `version`: from `repo`, else from the first upstream repository that has the
  // version (retained into `repo`), else streamed from the first external connection that offers
  // it. kNotFound when nobody has it or the version is present but not downloadable where the
  // search found it; kUnavailable when an external connection failed and nothing else had it.
  // A transfer from the chain's last repository is returned at once (its failure before the head
  // is then given by not_offered()); one from an earlier repository once the upstream answered
  // 200, so that an upstream 404 lets the search go on.
  Result<ResolvedAsset> asset(const store::RepositoryRef& repo, const store::PackageKey& key,
                              const std::string& version, const std::string& asset_name,
                              const ExternalLookup& lookup);

  // asset()'s answer for a version that is in no repository of the chain and is offered by the
  // external connection of the chain's last repository, decided from memory alone (cached
  // search order, package snapshots, group decisions and upstream document): the transfer is
  // started and returned at once, before the upstream answered; its failure before the head
  // (see Transfer::started) is what asset() would have answered, given by not_offered(). nullopt
  // whenever anything is not in memory or the answer would be anything else: call asset().
  // Never blocks, so an I/O thread may call it.
  std::optional<Result<std::shared_ptr<upstream::Transfer>>> peek_miss(
      const store::RepositoryRef& repo, const store::PackageKey& key, const std::string& version,
      const std::string& asset_name, const PeekLookup& lookup);
  // What asset() answers when the last external connection failed with `e` before its head.
  static Error not_offered(const std::string& version, const Error& e);

  upstream::DocumentCache& documents() { return documents_; }
  upstream::CacheMetrics& metrics() { return metrics_; }
  // Where answers that may wait on an upstream run (formats/upstream_wait.h).
  util::TaskPool& tasks() { return tasks_; }
  // Whether `repo`'s search order reaches an external connection (its answers may then wait on
  // an upstream). Blocks (steps()) when the order is not in memory; the peek_ form answers from
  // memory alone, nullopt when unknown there.
  bool reaches_upstream(const store::RepositoryRef& repo);
  std::optional<bool> peek_reaches_upstream(const store::RepositoryRef& repo);

  // The search order of `repo` (search_order(), read from the store every time, so another
  // node's change is seen) and remembered until a repository changes on this node; peek_steps()
  // answers from memory alone.
  Result<std::vector<SearchStep>> steps(const store::RepositoryRef& repo);
  std::optional<std::vector<SearchStep>> peek_steps(const store::RepositoryRef& repo);

 private:
  // Starts (or joins) the transfer that ingests `found` through the owner's connection.
  Result<std::shared_ptr<upstream::Transfer>> ingest(const store::RepositoryRef& repo,
                                                     const store::PackageKey& key,
                                                     const ChainEntry& owner, ExternalVersion found,
                                                     const std::string& asset_name);

  store::MetadataStore& store_;
  Packages& packages_;
  const upstream::Connections& connections_;
  upstream::DocumentCache& documents_;
  upstream::ObjectFetcher& fetcher_;
  upstream::CacheMetrics& metrics_;
  util::TaskPool& tasks_;
  struct StepCache {
    std::mutex mu;
    uint64_t generation = 0;  // bumped by every repository change
    std::unordered_map<std::string, std::vector<SearchStep>> orders;
  };
  std::shared_ptr<StepCache> steps_ = std::make_shared<StepCache>();
};

// The pull-through services of one server, built from its configuration. Members are destroyed in
// reverse order: the task pool (whose tasks may wait on transfers), then the fetcher (stopping
// its transfers), before what they use. The server calls tasks.stop() and fetcher.stop() before
// it destroys the formats whose responses wait on them.
struct PullThroughServices {
  // Answers waiting on an upstream at once, at most (one thread each; more wait in a queue).
  static constexpr size_t kMaxUpstreamWaits = 64;

  PullThroughServices(const config::Config& config, store::MetadataStore& store,
                      blob::BlobStore& blobs, Packages& packages, events::Registry& registry,
                      const std::string& spool_dir)
      : metrics(registry),
        connections(config),
        documents(store, metrics),
        pull(store, packages, connections, documents, fetcher, metrics, tasks),
        fetcher(blobs, metrics, spool_dir),
        tasks("pull-through", kMaxUpstreamWaits) {}

  upstream::CacheMetrics metrics;
  upstream::Connections connections;
  upstream::DocumentCache documents;
  PullThrough pull;  // holds references to `fetcher` and `tasks`, used only once serving
  upstream::ObjectFetcher fetcher;
  util::TaskPool tasks;  // last: stopped and destroyed first
};

// "domain/repository": the repository label of cache metrics.
std::string metrics_label(const store::RepositoryRef& repo);

}  // namespace arca::core
