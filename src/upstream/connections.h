#pragma once
// The external connections this server can reach: for each configured name ("public:npmjs") its
// base URL, cache policy and HTTP client. Nothing is built in: a name without a URL in
// [external_connections] cannot be used.
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"
#include "upstream/cache_metrics.h"
#include "upstream/http_client.h"
#include "upstream/upstream_health.h"

namespace arca::upstream {

struct Connection {
  std::string name;
  std::string base_url;  // always ends with '/'
  std::chrono::seconds metadata_ttl{600};
  std::chrono::seconds negative_ttl{300};
  bool offline = false;
  // The largest artifact fetched through this connection (ObjectRequest::max_bytes; 0: no bound),
  // from the config's max_asset_size; metadata documents have their own bound (DocumentCache).
  uint64_t max_asset_bytes = 0;
  std::unique_ptr<HttpClient> client;
  // Shared by everything that asks this upstream (metadata and artifacts).
  std::unique_ptr<UpstreamHealth> health = std::make_unique<UpstreamHealth>();

  // `path` (no leading '/') resolved against the base URL.
  std::string url(std::string_view path) const { return base_url + std::string(path); }
};

// The connection's health around one upstream request, for everything that asks it (metadata
// and artifacts). Before: the error to answer with while its circuit is open, counted as
// arca_upstream_errors_total{kind="circuit_open"}; nullopt: send the request.
std::optional<Error> refused_while_down(const Connection& connection, CacheMetrics& metrics);
// After: whether the request got no answer (`failed`; then `backoff` seconds apply); the
// arca_upstream_circuit_open gauge follows.
void report_health(const Connection& connection, CacheMetrics& metrics, bool failed,
                   double backoff);

class Connections {
 public:
  explicit Connections(const config::Config& config);
  // nullptr when the name is not configured.
  const Connection* find(std::string_view name) const;

 private:
  std::map<std::string, Connection, std::less<>> connections_;
};

}  // namespace arca::upstream
