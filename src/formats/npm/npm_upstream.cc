#include "formats/npm/npm_upstream.h"

#include <algorithm>
#include <boost/json.hpp>
#include <ctime>
#include <set>

#include "core/packages.h"
#include "formats/npm/publish_plan.h"
#include "util/clock.h"
#include "util/crypto.h"

namespace arca::formats::npm {

namespace json = boost::json;

namespace {

constexpr size_t kMaxParsedDocuments = 512;

std::string string_at(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

// "sha512-<base64>" (possibly among other space-separated hashes) as lowercase hex.
std::string sha512_hex(std::string_view integrity) {
  size_t at = integrity.find("sha512-");
  if (at == std::string_view::npos) return {};
  std::string_view b64 = integrity.substr(at + 7);
  b64 = b64.substr(0, b64.find(' '));
  std::string raw;
  if (!crypto::base64_decode(b64, raw) || raw.size() != 64) return {};
  return crypto::to_hex(raw);
}

bool is_hex_sha1(const std::string& s) {
  return s.size() == 40 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string absolute_url(const std::string& url, const std::string& base_url) {
  if (url.starts_with("http://") || url.starts_with("https://")) return url;
  return base_url + (url.starts_with('/') ? url.substr(1) : url);
}

// One upstream version manifest as a stored version; nullopt when it cannot be verified.
std::optional<store::PackageVersion> version_of(const std::string& version, const json::object& m,
                                                const NpmName& name, double published) {
  if (!core::validate_version_string("version", version)) return std::nullopt;
  const auto* dist_v = m.if_contains("dist");
  if (!dist_v || !dist_v->is_object()) return std::nullopt;
  const json::object& dist = dist_v->as_object();
  store::Asset asset;
  asset.name = tarball_file_name(name, version);
  asset.sha512 = sha512_hex(string_at(dist, "integrity"));
  std::string shasum = string_at(dist, "shasum");
  if (is_hex_sha1(shasum)) asset.sha1 = shasum;
  if (asset.sha512.empty() && asset.sha1.empty()) return std::nullopt;
  store::PackageVersion v;
  v.version = version;
  v.display_name = name.full();
  v.status = core::status::kPublished;
  v.published_time = published;
  describe_version(m, v);
  if (m.contains("readme")) {  // kept once, in the package (render_packument)
    json::object manifest = m;
    manifest.erase("readme");
    v.format_metadata = json::serialize(manifest);
  } else {
    v.format_metadata = json::serialize(m);
  }
  v.assets.push_back(std::move(asset));
  return v;
}

}  // namespace

double parse_iso8601(std::string_view text) {
  std::tm tm{};
  int y, mo, d, h, mi;
  double s;
  std::string buf(text.substr(0, 40));
  if (std::sscanf(buf.c_str(), "%d-%d-%dT%d:%d:%lf", &y, &mo, &d, &h, &mi, &s) != 6) return 0;
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = 0;
  return double(timegm(&tm)) + s;
}

std::string upstream_packument_path(const NpmName& name) {
  return name.scope.empty() ? name.name : "@" + name.scope + "%2f" + name.name;
}

Result<UpstreamPackument> parse_upstream_packument(std::string_view body, const NpmName& name,
                                                   const std::string& base_url) {
  json::error_code ec;
  json::value doc = json::parse(body, ec);
  if (ec || !doc.is_object())
    return invalid_argument("the upstream packument of " + name.full() + " is not JSON");
  const json::object& o = doc.as_object();
  if (auto n = string_at(o, "name"); !n.empty() && n != name.full())
    return invalid_argument("the upstream answered for " + n + " instead of " + name.full());
  json::object empty;
  const auto* times_v = o.if_contains("time");
  const json::object& times = times_v && times_v->is_object() ? times_v->as_object() : empty;
  UpstreamPackument out;
  if (const auto* vs = o.if_contains("versions"); vs && vs->is_object()) {
    for (const auto& kv : vs->as_object()) {
      if (!kv.value().is_object()) continue;
      std::string version(kv.key());
      const json::object& m = kv.value().as_object();
      auto v = version_of(version, m, name, parse_iso8601(string_at(times, version)));
      if (!v) continue;
      std::string url = string_at(m.at("dist").as_object(), "tarball");
      if (url.empty()) continue;
      out.tarball_urls[version] = absolute_url(url, base_url);
      out.versions.push_back(std::move(*v));
    }
  }
  if (const auto* tags = o.if_contains("dist-tags"); tags && tags->is_object())
    for (const auto& kv : tags->as_object())
      if (kv.value().is_string()) out.dist_tags[kv.key()] = std::string(kv.value().as_string());
  return out;
}

namespace {
// The package's document in the connection's metadata cache, and its parsed copy in parsed_.
std::string document_key(const NpmName& name) { return "npm/" + name.full(); }
std::string parsed_key(const upstream::Connection& connection, const NpmName& name) {
  return connection.name + '\n' + name.full();
}
}  // namespace

std::shared_ptr<const UpstreamPackument> UpstreamPackuments::parsed(const std::string& key,
                                                                    double fetched_time) {
  std::lock_guard lock(mu_);
  auto it = parsed_.find(key);
  if (it == parsed_.end() || it->second.first != fetched_time) return nullptr;
  return it->second.second;
}

std::shared_ptr<const UpstreamPackument> UpstreamPackuments::renewed(const std::string& key,
                                                                     double from, double to) {
  std::lock_guard lock(mu_);
  auto it = parsed_.find(key);
  if (it == parsed_.end() || it->second.first != from) return nullptr;
  it->second.first = to;
  return it->second.second;
}

std::optional<UpstreamPackuments::Lookup> UpstreamPackuments::peek(
    const upstream::Connection& connection, const NpmName& name) {
  auto fetched = pull_.documents().fresh(connection, document_key(name));
  if (!fetched) return std::nullopt;
  auto doc = parsed(parsed_key(connection, name), *fetched);
  if (!doc) return std::nullopt;
  return Lookup{std::move(doc), upstream::CacheResult::kHit, *fetched};
}

Result<UpstreamPackuments::Lookup> UpstreamPackuments::get(const upstream::Connection& connection,
                                                           const NpmName& name) {
  if (auto known = peek(connection, name)) {
    pull_.metrics().connection_lookup(connection.name, upstream::CacheResult::kHit);
    return std::move(*known);
  }
  upstream::FetchRequest request{connection.url(upstream_packument_path(name)),
                                 {{"Accept", "application/json"}}};
  ARCA_ASSIGN_OR_RETURN(upstream::DocumentLookup doc,
                        pull_.document(connection, document_key(name), request));
  std::string key = parsed_key(connection, name);
  if (auto known = parsed(key, doc.fetched_time))
    return Lookup{known, doc.result, doc.fetched_time};
  // Revalidated unchanged (304): not parsed again (tens of ms for thousands of versions).
  if (doc.revalidated_from != 0)
    if (auto known = renewed(key, doc.revalidated_from, doc.fetched_time))
      return Lookup{known, doc.result, doc.fetched_time};
  auto body = parse_upstream_packument(*doc.body, name, connection.base_url);
  if (!body) return unavailable(body.error().message);
  auto shared = std::make_shared<const UpstreamPackument>(std::move(*body));
  std::lock_guard lock(mu_);
  if (parsed_.size() >= kMaxParsedDocuments) parsed_.clear();
  parsed_[key] = {doc.fetched_time, shared};
  return Lookup{shared, doc.result, doc.fetched_time};
}

Result<MergedPackument> UpstreamPackuments::merge(const std::vector<core::ChainEntry>& chain,
                                                  const NpmName& name) {
  MergedPackument out;
  std::set<std::string> seen;
  std::optional<Error> failure;
  std::optional<Error> upstream_said;  // why a connection did not have the package
  auto expire_at = [&](double t) {
    if (out.expires_at == 0 || t < out.expires_at) out.expires_at = t;
  };
  for (const core::ChainEntry& e : chain) {
    if (e.snapshot) {
      if (out.snapshot.package.key.name.empty()) out.snapshot.package = e.snapshot->package;
      for (const auto& v : e.snapshot->versions)
        if (seen.insert(v.version).second && v.status == core::status::kPublished)
          out.snapshot.versions.push_back(v);
      for (const auto& [tag, version] : e.snapshot->package.dist_tags)
        out.snapshot.package.dist_tags[tag] = version;
    }
    if (!e.connection) continue;
    auto got = get(*e.connection, name);
    // A packument built from stale or incomplete upstream data is rebuilt when the document
    // cache would ask the upstream again: after its failure backoff (30 s, at most the TTL).
    const double retry_at = now_epoch() + pull_.documents().backoff(*e.connection);
    if (!got) {
      if (got.error().code == Code::kNotFound) {
        upstream_said = got.error();
      } else {
        failure = got.error();
        expire_at(retry_at);
      }
      continue;
    }
    if (got->result == upstream::CacheResult::kStale) {
      out.result = upstream::CacheResult::kStale;
      expire_at(retry_at);
    } else {
      if (out.result == upstream::CacheResult::kHit) out.result = got->result;
      expire_at(got->fetched_time + double(e.connection->metadata_ttl.count()));
    }
    for (const auto& v : got->doc->versions)
      if (seen.insert(v.version).second) out.snapshot.versions.push_back(v);
    for (const auto& [tag, version] : got->doc->dist_tags)
      out.snapshot.package.dist_tags[tag] = version;
  }
  if (out.snapshot.versions.empty()) {
    if (failure) return *failure;
    if (upstream_said) return *upstream_said;
    return not_found("package", name.full(), name.full() + " was not found");
  }
  if (failure) out.result = upstream::CacheResult::kStale;  // incomplete: a source not asked
  std::sort(out.snapshot.versions.begin(), out.snapshot.versions.end(),
            [](const auto& a, const auto& b) { return a.version < b.version; });
  return out;
}

namespace {
// `version` as the parsed document offers it, with where its tarball is and its digests.
std::optional<core::ExternalVersion> offered(const UpstreamPackument& doc,
                                             const std::string& version) {
  for (const auto& v : doc.versions) {
    if (v.version != version) continue;
    core::ExternalVersion found;
    found.version = v;
    found.request.url = doc.tarball_urls.at(version);
    found.request.sha512 = v.assets.front().sha512;
    found.request.sha1 = v.assets.front().sha1;
    return found;
  }
  return std::nullopt;
}
}  // namespace

core::ExternalLookup UpstreamPackuments::lookup_version(const NpmName& name,
                                                        const std::string& version) {
  return
      [this, name, version](
          const upstream::Connection& connection) -> Result<std::optional<core::ExternalVersion>> {
        ARCA_ASSIGN_OR_RETURN(Lookup doc, get(connection, name));
        return offered(*doc.doc, version);
      };
}

core::PeekLookup UpstreamPackuments::peek_version(const NpmName& name, const std::string& version) {
  return [this, name, version](const upstream::Connection& connection)
             -> std::optional<std::optional<core::ExternalVersion>> {
    auto doc = peek(connection, name);
    if (!doc) return std::nullopt;
    return offered(*doc->doc, version);
  };
}

}  // namespace arca::formats::npm
