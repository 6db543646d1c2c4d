#pragma once
// Server configuration: one TOML file plus ARCA_* environment overrides plus command-line flags,
// applied in that order. No external registry address is built in: every external connection's
// URL comes from [external_connections].
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "util/error.h"

namespace arca::config {

struct ConnectionSettings {
  std::optional<std::chrono::seconds> metadata_ttl;
  std::optional<std::chrono::seconds> negative_ttl;
  std::optional<std::chrono::seconds> timeout;  // connect and first-byte timeout
  std::optional<std::string> proxy;             // overrides [cache] proxy; "" = none
  std::optional<uint64_t> max_asset_size;       // overrides [cache] max_asset_size
  bool offline = false;                         // serve only what is cached
};

struct Config {
  std::string data_dir = "./arca-data";
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 8080;
  std::string public_url;  // empty: derived from the bound listen address
  std::string region = "us-east-1";
  unsigned io_threads = 0;  // 0 = one per core
  // Measured: more pool threads than cores only add context switches for control-plane reads;
  // a few extra cover threads blocked in fsync.
  unsigned blocking_threads = 4;
  bool access_log = true;

  // Connection name ("public:npmjs") -> upstream base URL.
  std::map<std::string, std::string> external_connections;
  std::chrono::seconds metadata_ttl{600};
  std::chrono::seconds negative_ttl{300};
  std::chrono::seconds upstream_timeout{15};  // connect and first-byte timeout
  std::string upstream_proxy;                 // proxy URL for every external connection
  // The largest artifact fetched from an upstream, in bytes: CodeArtifact's asset size quota.
  uint64_t max_asset_size = uint64_t(5) << 30;
  std::map<std::string, ConnectionSettings> connection_settings;

  // Count quotas (CodeArtifact defaults, adjustable here).
  size_t max_domains_per_account = 10;
  size_t max_repositories_per_domain = 1000;
  size_t max_package_groups_per_domain = 1000;
};

// Parses "30s", "10m", "1h", "2d" or a plain number of seconds.
Result<std::chrono::seconds> parse_duration(std::string_view text);
// Parses a size in bytes: "512", "100KiB", "64MiB", "5GiB", "1TiB".
Result<uint64_t> parse_size(std::string_view text);
// Parses "HOST:PORT" (IPv6 as "[::1]:PORT").
Status parse_listen(std::string_view text, std::string& host, uint16_t& port);

// Loads `path` (if non-empty) over the defaults, then applies ARCA_DATA_DIR, ARCA_LISTEN,
// ARCA_PUBLIC_URL, ARCA_REGION from the environment. kInvalidArgument names the bad key.
Result<Config> load(const std::string& path);

}  // namespace arca::config
