#pragma once
// The pull-through cache's metrics, as an operator graphs them (Prometheus names below). Labels
// are bounded: repository ("domain/repository") and connection names, fixed result/class sets.
//
// - arca_cache_requests_total{repository,result}: package requests by HIT/MISS/STALE/NEGATIVE
// - arca_cache_served_bytes_total{repository}: artifact bytes served from storage
// - arca_upstream_cache_total{connection,result}: metadata/object lookups per connection
// - arca_upstream_requests_total{connection,class}: upstream answers, 2xx 304 4xx 5xx error
// - arca_upstream_errors_total{connection,kind}: timeout connect reset status integrity
//   encoding (a compressed document that does not decompress) too_large offline other, and
//   circuit_open (not sent: the connection is down, see
//   upstream_health.h)
// - arca_upstream_circuit_open{connection}: 1 while the connection is left alone (its last
//   requests got no answer; upstream_health.h), else 0
// - arca_upstream_fetched_bytes_total{connection}: bytes received from upstream
// - arca_upstream_first_byte_seconds{connection}: time to first byte (histogram)
//
// Thread safety: all methods may be called concurrently; hot-path lookups take a shared lock.
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "events/metrics.h"
#include "util/error.h"

namespace arca::upstream {

enum class CacheResult { kHit, kMiss, kStale, kNegative };
// "HIT", "MISS", "STALE", "NEGATIVE" (the X-Arca-Cache header value; NEGATIVE is sent as MISS).
const char* cache_result_name(CacheResult r);

class CacheMetrics {
 public:
  explicit CacheMetrics(events::Registry& registry);

  void request(const std::string& repository, CacheResult result);
  void served_bytes(const std::string& repository, uint64_t bytes);
  void connection_lookup(const std::string& connection, CacheResult result);
  // One upstream exchange: `status` 0 when no HTTP answer arrived (`error` says why).
  void upstream_answer(const std::string& connection, int status, double first_byte_seconds,
                       uint64_t bytes);
  void upstream_error(const std::string& connection, std::string_view kind);
  // Whether the connection's circuit is open now (UpstreamHealth::open()).
  void circuit(const std::string& connection, bool open);

  events::Registry& registry() { return registry_; }

 private:
  struct Repository {
    events::Counter* results[4];
    events::Counter* bytes;
  };
  struct ConnectionSeries {
    events::Counter* results[4];
    events::Counter* fetched;
    events::Histogram* first_byte;
    events::Gauge* circuit_open;
  };
  Repository& repository(const std::string& name);
  ConnectionSeries& connection(const std::string& name);

  events::Registry& registry_;
  std::shared_mutex mu_;
  std::unordered_map<std::string, std::unique_ptr<Repository>> repositories_;
  std::unordered_map<std::string, std::unique_ptr<ConnectionSeries>> connections_;
};

// The error kind label for an upstream failure: HttpClient's Error::reason, or too_large.
std::string_view error_kind(const Error& e);

}  // namespace arca::upstream
