#include "upstream/document_cache.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string_view>

#include "util/clock.h"
#include "util/gzip.h"

namespace arca::upstream {

namespace {

// The document as the upstream meant it: a gzip body (asked for) decompressed, bounded like an
// uncompressed one (kTooLarge); nullopt when the body is the document (no coding). A body that
// does not decompress, or any other coding (not asked for), is kInvalidArgument with reason
// "encoding".
Result<std::optional<std::string>> decoded(const ResponseHead& head, std::string_view body,
                                           uint64_t max_bytes) {
  std::string coding = head.header("content-encoding").value_or("");  // trimmed (ResponseHead)
  std::transform(coding.begin(), coding.end(), coding.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  if (coding.empty() || coding == "identity") return std::optional<std::string>();
  Result<std::string> plain = coding == "gzip" || coding == "x-gzip"
                                  ? gzip_decompress(body, max_bytes)
                                  : Result<std::string>(invalid_argument(
                                        "Content-Encoding " + coding + " was not asked for"));
  if (plain) return std::optional<std::string>(std::move(*plain));
  if (plain.error().code != Code::kTooLarge) plain.error().reason = "encoding";
  return plain.error();
}

// A document the upstream sent gzipped is stored so (a tenth of the size to write and keep) and
// decompressed when read back. A JSON document never starts with gzip's magic bytes, so the
// stored body says which it is.
bool stored_compressed(const store::UpstreamDocument& d) {
  return d.status == 200 && d.body.size() >= 2 && d.body[0] == '\x1f' && d.body[1] == '\x8b';
}

std::shared_ptr<const std::string> share(std::string body) {
  return std::make_shared<const std::string>(std::move(body));
}

DocumentLookup lookup_of(const store::UpstreamDocument& d, CacheResult result) {
  return {share(d.body), result, d.fetched_time};
}

Error not_found_upstream(const Connection& c, const std::string& key, std::string why) {
  return not_found("package", key, key + " " + why + " (" + c.name + ")");
}

constexpr size_t kMaxFresh = 100'000;  // entries of fresh_ (a key and a double each)

// One document of one connection: the key of flights_, failing_until_ and fresh_.
std::string flight_key(const Connection& c, const std::string& key) { return c.name + '\n' + key; }

}  // namespace

DocumentCache::DocumentCache(store::MetadataStore& store, CacheMetrics& metrics,
                             uint64_t max_document_bytes, double failure_backoff)
    : store_(store),
      metrics_(metrics),
      max_document_bytes_(max_document_bytes),
      failure_backoff_(failure_backoff) {}

std::optional<double> DocumentCache::fresh(const Connection& connection, const std::string& key) {
  double fetched = 0;
  {
    std::lock_guard lock(flights_mu_);
    auto it = fresh_.find(flight_key(connection, key));
    if (it == fresh_.end()) return std::nullopt;
    fetched = it->second;
  }
  double age = now_epoch() - fetched;
  if (!connection.offline && !(age >= 0 && age < double(connection.metadata_ttl.count())))
    return std::nullopt;
  return fetched;
}

void DocumentCache::remember_fresh(const std::string& flight, double fetched_time) {
  std::lock_guard lock(flights_mu_);
  if (fresh_.size() >= kMaxFresh) fresh_.clear();
  fresh_[flight] = fetched_time;
}

Result<DocumentLookup> DocumentCache::get(const Connection& connection, const std::string& key,
                                          const FetchRequest& request) {
  auto result = lookup(connection, key, request);
  if (result && result->result != CacheResult::kStale)
    remember_fresh(flight_key(connection, key), result->fetched_time);
  return result;
}

Result<DocumentLookup> DocumentCache::lookup(const Connection& connection, const std::string& key,
                                             const FetchRequest& request) {
  std::optional<store::UpstreamDocument> cached;
  if (auto d = store_.get_upstream_document(connection.name, key)) {
    cached = std::move(*d);
    if (stored_compressed(*cached)) {
      auto plain = gzip_decompress(cached->body, max_document_bytes_);
      if (plain) {
        cached->body = std::move(*plain);
      } else {  // damaged: as if not cached, fetched again
        cached.reset();
      }
    }
  } else if (d.error().code != Code::kNotFound) {
    return d.error();
  }
  double now = now_epoch();
  if (cached) {
    double age = now - cached->fetched_time;
    bool negative = cached->status == 404;
    auto ttl = negative ? connection.negative_ttl : connection.metadata_ttl;
    if (connection.offline || (age >= 0 && age < double(ttl.count()))) {
      metrics_.connection_lookup(connection.name,
                                 negative ? CacheResult::kNegative : CacheResult::kHit);
      if (negative) return not_found_upstream(connection, key, "was not found upstream");
      return lookup_of(*cached, CacheResult::kHit);
    }
  }
  if (connection.offline) {
    metrics_.connection_lookup(connection.name, CacheResult::kNegative);
    return not_found_upstream(connection, key, "is not cached and the connection is offline");
  }

  // Single flight: the first caller fetches, the others wait for its result.
  const std::string id = flight_key(connection, key);
  std::shared_ptr<Flight> flight;
  bool leader = false;
  {
    std::lock_guard lock(flights_mu_);
    if (auto f = failing_until_.find(id); f != failing_until_.end()) {
      if (now < f->second) {
        return stale_or(connection, key, cached,
                        unavailable("upstream " + connection.name + " failed for " + key +
                                    " moments ago; not asking again yet"));
      }
      failing_until_.erase(f);
    }
    auto& slot = flights_[id];
    if (!slot) {
      if (auto down = refused_while_down(connection, metrics_)) {  // a request would time out
        flights_.erase(id);
        return stale_or(connection, key, cached, *down);
      }
      slot = std::make_shared<Flight>();
      leader = true;
    }
    flight = slot;
  }
  if (!leader) {
    std::unique_lock lock(flight->mu);
    flight->cv.wait(lock, [&] { return flight->done; });
    return *flight->result;
  }
  // Whatever happens, the flight ends: its followers wait for it.
  bool failed = false;
  auto result = [&]() -> Result<DocumentLookup> {
    try {
      return fetch(connection, key, request, cached, failed);
    } catch (const std::exception& e) {
      return internal_error("fetching " + key + " from " + connection.name + ": " + e.what());
    }
  }();
  {
    std::lock_guard lock(flights_mu_);
    flights_.erase(id);
    if (failed) {
      if (failing_until_.size() > 10'000) failing_until_.clear();  // bounded during long outages
      failing_until_[id] = now_epoch() + backoff(connection);
    }
  }
  {
    std::lock_guard lock(flight->mu);
    flight->result = result;
    flight->done = true;
  }
  flight->cv.notify_all();
  return result;
}

Result<DocumentLookup> DocumentCache::fetch(const Connection& connection, const std::string& key,
                                            FetchRequest request,
                                            const std::optional<store::UpstreamDocument>& cached,
                                            bool& upstream_failed) {
  if (cached && cached->status == 200) {
    if (!cached->etag.empty()) request.headers.emplace_back("If-None-Match", cached->etag);
    if (!cached->last_modified.empty())
      request.headers.emplace_back("If-Modified-Since", cached->last_modified);
  }
  // Asked for compressed, as npm asks a registry: a large packument is a tenth of its size
  // gzipped. (Artifacts never are: their bytes are hashed as sent.)
  request.headers.emplace_back("Accept-Encoding", "gzip");
  auto got = connection.client->get_buffered(request, max_document_bytes_);
  if (!got) {
    metrics_.upstream_answer(connection.name, 0, 0, 0);
    metrics_.upstream_error(connection.name, error_kind(got.error()));
    upstream_failed = got.error().code == Code::kUnavailable;  // not a document over the cap
    report_health(connection, metrics_, upstream_failed, backoff(connection));
    return stale_or(connection, key, cached, got.error());
  }
  const ResponseHead& head = got->result.head;
  // An answer, whatever its status: the upstream is responsive.
  report_health(connection, metrics_, false, backoff(connection));
  metrics_.upstream_answer(connection.name, head.status,
                           double(got->result.time_to_first_byte.count()) / 1e6,
                           got->result.body_bytes);
  double now = now_epoch();
  if (head.status == 304 && cached && cached->status == 200) {
    // Best effort: a failed touch only means the next lookup revalidates again.
    (void)store_.touch_upstream_document(connection.name, key, now);
    metrics_.connection_lookup(connection.name, CacheResult::kHit);
    store::UpstreamDocument refreshed = *cached;
    refreshed.fetched_time = now;
    DocumentLookup same = lookup_of(refreshed, CacheResult::kHit);
    same.revalidated_from = cached->fetched_time;
    return same;
  }
  if (head.status == 404 || head.status == 410) {
    store::UpstreamDocument negative;
    negative.connection = connection.name;
    negative.key = key;
    negative.status = 404;
    negative.fetched_time = now;
    ARCA_TRY(store_.put_upstream_document(negative));
    metrics_.connection_lookup(connection.name, CacheResult::kNegative);
    return not_found_upstream(connection, key, "was not found upstream");
  }
  if (head.status != 200) {
    metrics_.upstream_error(connection.name, "status");
    upstream_failed = true;
    return stale_or(connection, key, cached,
                    unavailable("upstream " + connection.name + " answered HTTP " +
                                std::to_string(head.status) + " for " + request.url));
  }
  std::string wire = std::move(got->body);
  auto body = decoded(head, wire, max_document_bytes_);
  if (!body) {
    metrics_.upstream_error(connection.name, error_kind(body.error()));
    // The per-document backoff applies (the circuit was told: it answered): a body that
    // inflates past the bound is not inflated again on every request.
    upstream_failed = true;
    // The upstream's fault, not the client's: kUnavailable, unless it was over the bound.
    Error e{body.error().code == Code::kTooLarge ? Code::kTooLarge : Code::kUnavailable,
            "upstream " + connection.name + " answered " + request.url +
                " with a body Arca cannot use: " + body.error().message};
    e.reason = body.error().reason;
    return stale_or(connection, key, cached, std::move(e));
  }
  store::UpstreamDocument fresh;
  fresh.connection = connection.name;
  fresh.key = key;
  fresh.status = 200;
  fresh.etag = head.header("etag").value_or("");
  fresh.last_modified = head.header("last-modified").value_or("");
  fresh.fetched_time = now;
  fresh.body = std::move(wire);  // as sent: gzipped when it came so (stored_compressed)
  ARCA_TRY(store_.put_upstream_document(fresh));
  metrics_.connection_lookup(connection.name, CacheResult::kMiss);
  return DocumentLookup{share(*body ? std::move(**body) : std::move(fresh.body)),
                        CacheResult::kMiss, now};
}

double DocumentCache::backoff(const Connection& connection) const {
  return std::min(failure_backoff_, double(connection.metadata_ttl.count()));
}

Result<DocumentLookup> DocumentCache::stale_or(const Connection& connection, const std::string& key,
                                               const std::optional<store::UpstreamDocument>& cached,
                                               Error error) {
  if (cached && cached->status == 200) {
    metrics_.connection_lookup(connection.name, CacheResult::kStale);
    return lookup_of(*cached, CacheResult::kStale);
  }
  if (cached && cached->status == 404) {
    metrics_.connection_lookup(connection.name, CacheResult::kNegative);
    return not_found_upstream(connection, key, "was not found upstream");
  }
  return error;
}

}  // namespace arca::upstream
