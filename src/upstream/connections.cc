#include "upstream/connections.h"

#include "util/clock.h"

namespace arca::upstream {

Connections::Connections(const config::Config& config) {
  for (const auto& [name, url] : config.external_connections) {
    Connection c;
    c.name = name;
    c.base_url = url.ends_with('/') ? url : url + "/";
    c.metadata_ttl = config.metadata_ttl;
    c.negative_ttl = config.negative_ttl;
    ClientOptions options;
    options.proxy = config.upstream_proxy;
    options.connect_timeout = config.upstream_timeout;
    options.first_byte_timeout = config.upstream_timeout;
    options.idle_timeout = config.upstream_timeout * 2;
    c.max_asset_bytes = config.max_asset_size;
    if (auto s = config.connection_settings.find(name); s != config.connection_settings.end()) {
      const config::ConnectionSettings& cs = s->second;
      if (cs.metadata_ttl) c.metadata_ttl = *cs.metadata_ttl;
      if (cs.negative_ttl) c.negative_ttl = *cs.negative_ttl;
      if (cs.proxy) options.proxy = *cs.proxy;
      if (cs.timeout) {
        options.connect_timeout = *cs.timeout;
        options.first_byte_timeout = *cs.timeout;
        options.idle_timeout = *cs.timeout * 2;
      }
      if (cs.max_asset_size) c.max_asset_bytes = *cs.max_asset_size;
      c.offline = cs.offline;
    }
    c.client = std::make_unique<HttpClient>(options);
    connections_.emplace(name, std::move(c));
  }
}

std::optional<Error> refused_while_down(const Connection& connection, CacheMetrics& metrics) {
  if (connection.health->may_ask(now_epoch())) return std::nullopt;
  metrics.upstream_error(connection.name, kKindCircuitOpen);
  return unavailable(connection.health->refusal(connection.name));
}

void report_health(const Connection& connection, CacheMetrics& metrics, bool failed,
                   double backoff) {
  if (failed) {
    connection.health->failed(now_epoch(), backoff);
  } else {
    connection.health->answered();
  }
  metrics.circuit(connection.name, connection.health->open());
}

const Connection* Connections::find(std::string_view name) const {
  auto it = connections_.find(name);
  return it == connections_.end() ? nullptr : &it->second;
}

}  // namespace arca::upstream
