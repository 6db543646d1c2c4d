#include "config/config.h"

#include <toml++/toml.h>

#include <cstdlib>

namespace arca::config {
namespace {

Status apply_duration(const toml::node* node, const char* key, std::chrono::seconds& out) {
  if (!node) return {};
  if (auto i = node->value<int64_t>()) {
    out = std::chrono::seconds(*i);
    return {};
  }
  auto s = node->value<std::string>();
  if (!s) return invalid_argument(std::string("config: ") + key + " must be a duration string");
  ARCA_ASSIGN_OR_RETURN(out, parse_duration(*s));
  return {};
}

// A size: a whole number of bytes or a string parse_size() reads; `out` is untouched when absent.
Status apply_size(const toml::node* node, const char* key, uint64_t& out) {
  if (!node) return {};
  const std::string where = std::string("config: ") + key;
  if (auto i = node->value_exact<int64_t>()) {  // not a boolean or a float read as a number
    if (*i <= 0) return invalid_argument(where + " must be a positive number of bytes");
    out = uint64_t(*i);
    return {};
  }
  auto s = node->value_exact<std::string>();
  if (!s) return invalid_argument(where + " must be a number of bytes or a size like \"5GiB\"");
  auto size = parse_size(*s);
  if (!size) return invalid_argument(where + ": " + size.error().message);
  out = *size;
  return {};
}

Status apply_server(const toml::table& t, Config& c) {
  if (auto v = t["data_dir"].value<std::string>()) c.data_dir = *v;
  if (auto v = t["listen"].value<std::string>())
    ARCA_TRY(parse_listen(*v, c.listen_host, c.listen_port));
  if (auto v = t["public_url"].value<std::string>()) c.public_url = *v;
  if (auto v = t["region"].value<std::string>()) c.region = *v;
  if (auto v = t["io_threads"].value<int64_t>()) c.io_threads = unsigned(*v);
  if (auto v = t["blocking_threads"].value<int64_t>()) c.blocking_threads = unsigned(*v);
  if (auto v = t["access_log"].value<bool>()) c.access_log = *v;
  if (auto v = t["max_domains_per_account"].value<int64_t>())
    c.max_domains_per_account = size_t(*v);
  if (auto v = t["max_repositories_per_domain"].value<int64_t>())
    c.max_repositories_per_domain = size_t(*v);
  if (auto v = t["max_package_groups_per_domain"].value<int64_t>())
    c.max_package_groups_per_domain = size_t(*v);
  return {};
}

Status apply_connections(const toml::table& root, Config& c) {
  if (auto* t = root["external_connections"].as_table()) {
    for (const auto& [name, url] : *t) {
      auto s = url.value<std::string>();
      if (!s) return invalid_argument("config: external_connections values must be URLs");
      c.external_connections[std::string(name.str())] = *s;
    }
  }
  if (auto* t = root["external_connection_settings"].as_table()) {
    for (const auto& [name, node] : *t) {
      auto* st = node.as_table();
      if (!st) return invalid_argument("config: external_connection_settings entries are tables");
      ConnectionSettings cs;
      std::chrono::seconds d{0};
      if ((*st)["metadata_ttl"]) {
        ARCA_TRY(apply_duration((*st)["metadata_ttl"].node(), "metadata_ttl", d));
        cs.metadata_ttl = d;
      }
      if ((*st)["negative_ttl"]) {
        ARCA_TRY(apply_duration((*st)["negative_ttl"].node(), "negative_ttl", d));
        cs.negative_ttl = d;
      }
      if ((*st)["timeout"]) {
        ARCA_TRY(apply_duration((*st)["timeout"].node(), "timeout", d));
        cs.timeout = d;
      }
      if (auto p = (*st)["proxy"].value<std::string>()) cs.proxy = *p;
      if ((*st)["max_asset_size"]) {
        uint64_t bytes = 0;
        ARCA_TRY(apply_size((*st)["max_asset_size"].node(), "max_asset_size", bytes));
        cs.max_asset_size = bytes;
      }
      cs.offline = (*st)["offline"].value_or(false);
      c.connection_settings[std::string(name.str())] = cs;
    }
  }
  return {};
}

}  // namespace

Result<std::chrono::seconds> parse_duration(std::string_view text) {
  if (text.empty()) return invalid_argument("empty duration");
  int64_t mult = 1;
  char unit = text.back();
  if (unit == 's' || unit == 'm' || unit == 'h' || unit == 'd') {
    mult = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : 86400;
    text.remove_suffix(1);
  }
  if (text.empty() || text.size() > 12) return invalid_argument("bad duration");
  int64_t n = 0;
  for (char ch : text) {
    if (ch < '0' || ch > '9') return invalid_argument("bad duration: " + std::string(text));
    n = n * 10 + (ch - '0');
  }
  return std::chrono::seconds(n * mult);
}

Result<uint64_t> parse_size(std::string_view text) {
  static constexpr std::pair<std::string_view, int> kUnits[] = {
      {"KiB", 10}, {"MiB", 20}, {"GiB", 30}, {"TiB", 40}, {"B", 0}};
  const std::string quoted = "\"" + std::string(text.substr(0, 40)) + "\"";
  std::string_view digits = text;
  int shift = 0;
  for (const auto& [suffix, bits] : kUnits) {
    if (digits.ends_with(suffix)) {
      shift = bits;
      digits.remove_suffix(suffix.size());
      break;
    }
  }
  if (digits.empty())
    return invalid_argument("bad size " + quoted + " (a number of bytes, KiB, MiB, GiB or TiB)");
  const uint64_t max = ~uint64_t(0) >> shift;
  uint64_t n = 0;
  for (char ch : digits) {
    if (ch < '0' || ch > '9')
      return invalid_argument("bad size " + quoted + " (a number of bytes, KiB, MiB, GiB or TiB)");
    uint64_t d = uint64_t(ch - '0');
    if (n > (max - d) / 10) return invalid_argument("size " + quoted + " is out of range");
    n = n * 10 + d;
  }
  if (n == 0) return invalid_argument("size " + quoted + " is zero");
  return n << shift;
}

Status parse_listen(std::string_view text, std::string& host, uint16_t& port) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return invalid_argument("listen must be HOST:PORT");
  std::string_view h = text.substr(0, colon), p = text.substr(colon + 1);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  if (h.empty() || p.empty() || p.size() > 5) return invalid_argument("listen must be HOST:PORT");
  unsigned v = 0;
  for (char ch : p) {
    if (ch < '0' || ch > '9') return invalid_argument("listen port must be a number");
    v = v * 10 + unsigned(ch - '0');
  }
  if (v > 65535) return invalid_argument("listen port out of range");
  host = std::string(h);
  port = uint16_t(v);
  return {};
}

Result<Config> load(const std::string& path) {
  Config c;
  if (!path.empty()) {
    toml::table root;
    try {
      root = toml::parse_file(path);
    } catch (const toml::parse_error& e) {
      return invalid_argument("config " + path + ": " + std::string(e.description()));
    }
    if (auto* s = root["server"].as_table()) ARCA_TRY(apply_server(*s, c));
    if (auto* s = root["cache"].as_table()) {
      ARCA_TRY(apply_duration((*s)["metadata_ttl"].node(), "metadata_ttl", c.metadata_ttl));
      ARCA_TRY(apply_duration((*s)["negative_ttl"].node(), "negative_ttl", c.negative_ttl));
      ARCA_TRY(apply_duration((*s)["timeout"].node(), "timeout", c.upstream_timeout));
      if (auto p = (*s)["proxy"].value<std::string>()) c.upstream_proxy = *p;
      ARCA_TRY(apply_size((*s)["max_asset_size"].node(), "max_asset_size", c.max_asset_size));
    }
    ARCA_TRY(apply_connections(root, c));
  }
  if (const char* v = std::getenv("ARCA_DATA_DIR")) c.data_dir = v;
  if (const char* v = std::getenv("ARCA_LISTEN"))
    ARCA_TRY(parse_listen(v, c.listen_host, c.listen_port));
  if (const char* v = std::getenv("ARCA_PUBLIC_URL")) c.public_url = v;
  if (const char* v = std::getenv("ARCA_REGION")) c.region = v;
  return c;
}

}  // namespace arca::config
