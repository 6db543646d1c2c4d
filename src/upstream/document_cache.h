#pragma once
// The metadata side of the pull-through cache: upstream documents (an npm packument, a PyPI simple
// page, ...) fetched through an external connection and kept in the metadata store, so every node
// and every restart shares them (reference §5.4).
//
// Policy, per lookup of (connection, key):
//  - fresh entry (fetched within the connection's metadata TTL) → HIT, no upstream request;
//  - negative entry (upstream said 404 within the negative TTL) → kNotFound, NEGATIVE;
//  - offline connection → whatever is cached, however old (HIT), else kNotFound;
//  - otherwise one upstream GET, conditional (If-None-Match / If-Modified-Since) when an entry
//    exists: 304 → entry refreshed, HIT; 200 → stored, MISS; 404/410 → negative entry, kNotFound;
//    transport failure, timeout, 5xx or any other status → the cached entry, however old, STALE
//    (stale-if-error), else kUnavailable naming the cause.
//  - after a failed upstream request the entry is served STALE without asking again for
//    `failure_backoff` (a slow or dead upstream costs one timeout, not one per request);
//  - after UpstreamHealth::kTripAfter requests in a row to a connection got no answer, nothing is
//    asked for during that backoff (one probe at its end): cached documents are served STALE,
//    others fail at once (kUnavailable), so a build through a hanging upstream waits one timeout,
//    not one per package (upstream/upstream_health.h);
//  - single-flight: concurrent lookups of one (connection, key) that need the upstream share one
//    request; the followers get the leader's result.
// Documents are bounded (max_document_bytes, decompressed too; larger → kTooLarge, nothing
// stored). They are asked for gzipped, stored as they came and handed out decompressed; a body
// that does not decompress is not stored (kUnavailable, reason "encoding").
// Thread safety: get() may be called concurrently; it blocks (store, network): blocking pool only.
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/metadata_store.h"
#include "upstream/cache_metrics.h"
#include "upstream/connections.h"

namespace arca::upstream {

struct DocumentLookup {
  std::shared_ptr<const std::string> body;
  CacheResult result = CacheResult::kHit;
  double fetched_time = 0;  // seconds since the epoch; with the TTL, when to look again
  // After a 304 revalidation: the fetch time the entry had, whose content this still is (what
  // was parsed from it then need not be parsed again); 0 otherwise.
  double revalidated_from = 0;
};

class DocumentCache {
 public:
  DocumentCache(store::MetadataStore& store, CacheMetrics& metrics,
                uint64_t max_document_bytes = uint64_t(64) << 20,
                double failure_backoff = UpstreamHealth::kBackoffSeconds);

  // `key` identifies the document within the connection (the format chooses it); `request` is
  // the GET to send (URL and Accept headers; validators are added here).
  Result<DocumentLookup> get(const Connection& connection, const std::string& key,
                             const FetchRequest& request);
  // The fetch time of the document when this node knows, from memory alone, that get() would
  // answer HIT with it (a 200 fetched within the metadata TTL, or any age when offline), else
  // nullopt: call get(). Never blocks. The caller keeps the body (e.g. parsed) keyed by this
  // time, and counts the HIT (CacheMetrics::connection_lookup) when it uses the answer.
  std::optional<double> fresh(const Connection& connection, const std::string& key);
  // How long after a failed request a document is served STALE without asking again:
  // failure_backoff, at most the connection's TTL. Whatever is built from such an answer should
  // be rebuilt no sooner.
  double backoff(const Connection& connection) const;

 private:
  struct Flight {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    std::optional<Result<DocumentLookup>> result;
  };
  Result<DocumentLookup> lookup(const Connection& connection, const std::string& key,
                                const FetchRequest& request);
  // `upstream_failed` is set when the upstream could not be asked or answered an error (the
  // failure backoff then applies, whatever was served instead).
  Result<DocumentLookup> fetch(const Connection& connection, const std::string& key,
                               FetchRequest request,
                               const std::optional<store::UpstreamDocument>& cached,
                               bool& upstream_failed);
  Result<DocumentLookup> stale_or(const Connection& connection, const std::string& key,
                                  const std::optional<store::UpstreamDocument>& cached,
                                  Error error);

  store::MetadataStore& store_;
  CacheMetrics& metrics_;
  const uint64_t max_document_bytes_;
  const double failure_backoff_;
  std::mutex flights_mu_;
  std::map<std::string, std::shared_ptr<Flight>> flights_;
  std::map<std::string, double> failing_until_;  // guarded by flights_mu_; flight key -> time
  void remember_fresh(const std::string& flight, double fetched_time);
  std::map<std::string, double> fresh_;  // guarded by flights_mu_; flight key -> 200's fetch time
};

}  // namespace arca::upstream
