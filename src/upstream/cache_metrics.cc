#include "upstream/cache_metrics.h"

#include <mutex>

#include "upstream/http_client.h"

namespace arca::upstream {

namespace {

constexpr const char* kResultLabels[] = {"hit", "miss", "stale", "negative"};

std::string status_class(int status) {
  if (status == 0) return "error";
  if (status == 304) return "304";
  return std::to_string(status / 100) + "xx";
}

// Finds or creates the entry for `name` under a shared lock first, a unique lock to create.
template <class T, class Make>
T& find_or_make(std::shared_mutex& mu, std::unordered_map<std::string, std::unique_ptr<T>>& map,
                const std::string& name, Make make) {
  {
    std::shared_lock lock(mu);
    if (auto it = map.find(name); it != map.end()) return *it->second;
  }
  std::unique_lock lock(mu);
  auto& slot = map[name];
  if (!slot) slot = make();
  return *slot;
}

}  // namespace

const char* cache_result_name(CacheResult r) {
  switch (r) {
    case CacheResult::kHit:
      return "HIT";
    case CacheResult::kMiss:
      return "MISS";
    case CacheResult::kStale:
      return "STALE";
    case CacheResult::kNegative:
      return "NEGATIVE";
  }
  return "MISS";
}

CacheMetrics::CacheMetrics(events::Registry& registry) : registry_(registry) {}

CacheMetrics::Repository& CacheMetrics::repository(const std::string& name) {
  return find_or_make(mu_, repositories_, name, [&] {
    auto r = std::make_unique<Repository>();
    for (size_t i = 0; i < 4; ++i)
      r->results[i] =
          &registry_.counter("arca_cache_requests_total", "Package requests by cache result.",
                             {"repository", "result"}, {name, kResultLabels[i]});
    r->bytes = &registry_.counter("arca_cache_served_bytes_total",
                                  "Artifact bytes served from the repository's storage.",
                                  {"repository"}, {name});
    return r;
  });
}

CacheMetrics::ConnectionSeries& CacheMetrics::connection(const std::string& name) {
  return find_or_make(mu_, connections_, name, [&] {
    auto c = std::make_unique<ConnectionSeries>();
    for (size_t i = 0; i < 4; ++i)
      c->results[i] = &registry_.counter("arca_upstream_cache_total",
                                         "Metadata and object lookups of an external connection.",
                                         {"connection", "result"}, {name, kResultLabels[i]});
    c->fetched =
        &registry_.counter("arca_upstream_fetched_bytes_total",
                           "Bytes received from the external connection.", {"connection"}, {name});
    c->first_byte = &registry_.histogram("arca_upstream_first_byte_seconds",
                                         "Time to the first byte of an upstream answer.",
                                         {"connection"}, {name}, events::default_latency_buckets());
    c->circuit_open = &registry_.gauge(
        "arca_upstream_circuit_open",
        "1 while the external connection is left alone: its last requests got no answer.",
        {"connection"}, {name});
    return c;
  });
}

void CacheMetrics::request(const std::string& repository_name, CacheResult result) {
  repository(repository_name).results[static_cast<size_t>(result)]->inc();
}

void CacheMetrics::served_bytes(const std::string& repository_name, uint64_t bytes) {
  repository(repository_name).bytes->inc(bytes);
}

void CacheMetrics::circuit(const std::string& name, bool open) {
  connection(name).circuit_open->set(open ? 1 : 0);
}

void CacheMetrics::connection_lookup(const std::string& name, CacheResult result) {
  connection(name).results[static_cast<size_t>(result)]->inc();
}

void CacheMetrics::upstream_answer(const std::string& name, int status, double first_byte_seconds,
                                   uint64_t bytes) {
  registry_
      .counter("arca_upstream_requests_total", "Upstream answers by status class.",
               {"connection", "class"}, {name, status_class(status)})
      .inc();
  ConnectionSeries& c = connection(name);
  c.fetched->inc(bytes);
  if (status != 0) c.first_byte->observe(first_byte_seconds);
}

void CacheMetrics::upstream_error(const std::string& name, std::string_view kind) {
  registry_
      .counter("arca_upstream_errors_total", "Failed upstream exchanges by kind.",
               {"connection", "kind"}, {name, std::string(kind)})
      .inc();
}

std::string_view error_kind(const Error& e) {
  if (e.code == Code::kTooLarge) return "too_large";
  return e.reason.empty() ? std::string_view(kKindOther) : std::string_view(e.reason);
}

}  // namespace arca::upstream
