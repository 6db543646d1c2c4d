#include "formats/npm/packument.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <ctime>

#include "core/packages.h"
#include "formats/npm/semver.h"
#include "util/crypto.h"

namespace arca::formats::npm {

namespace json = boost::json;

namespace {

// Members of a version manifest kept in the abbreviated packument (npm registry "corgi" docs).
constexpr const char* kAbbreviatedMembers[] = {"name",
                                               "version",
                                               "deprecated",
                                               "dependencies",
                                               "optionalDependencies",
                                               "devDependencies",
                                               "bundleDependencies",
                                               "bundledDependencies",
                                               "peerDependencies",
                                               "peerDependenciesMeta",
                                               "acceptDependencies",
                                               "bin",
                                               "directories",
                                               "dist",
                                               "engines",
                                               "_hasShrinkwrap",
                                               "hasInstallScript",
                                               "cpu",
                                               "os",
                                               "libc",
                                               "funding",
                                               "license"};

// Package-level members copied from the latest version into the full packument.
constexpr const char* kTopLevelMembers[] = {
    "description", "homepage", "repository",  "license",      "keywords",
    "author",      "bugs",     "maintainers", "contributors", "readmeFilename"};

json::object parse_manifest(const store::PackageVersion& v) {
  if (!v.format_metadata.empty()) {
    json::error_code ec;
    json::value parsed = json::parse(v.format_metadata, ec);
    if (!ec && parsed.is_object()) return std::move(parsed.as_object());
  }
  return {};
}

// A manifest for a version stored without one (copied in by other means).
void fill_minimal(json::object& m, const store::PackageVersion& v, const NpmName& name) {
  if (!m.contains("description") && !v.summary.empty()) m["description"] = v.summary;
  if (!m.contains("homepage") && !v.home_page.empty()) m["homepage"] = v.home_page;
  if (m.contains("dependencies") || v.dependencies.empty()) return;
  static const std::pair<const char*, const char*> kTypes[] = {
      {"regular", "dependencies"},
      {"dev", "devDependencies"},
      {"peer", "peerDependencies"},
      {"optional", "optionalDependencies"}};
  for (const auto& d : v.dependencies) {
    for (const auto& [type, member] : kTypes) {
      if (d.dependency_type != type) continue;
      std::string dep = d.namespace_.empty() ? d.package : "@" + d.namespace_ + "/" + d.package;
      m[member].emplace_object()[dep] = d.version_requirement;
    }
  }
  (void)name;
}

// Points the manifest's dist (kept: fileCount, signatures, ...) at this repository and sets the
// digests of the stored asset. In place: a copy of each dist was a fifth of a large render.
void rewrite_dist(json::object& m, const store::PackageVersion& v, const NpmName& name,
                  const std::string& repository_url) {
  json::value& slot = m["dist"];
  if (!slot.is_object()) slot.emplace_object();
  json::object& dist = slot.as_object();
  dist["tarball"] = tarball_url(repository_url, name, v.version);
  if (!v.assets.empty()) {
    const store::Asset& a = v.assets.front();
    if (!a.sha1.empty()) dist["shasum"] = a.sha1;
    std::string raw;
    if (!a.sha512.empty() && crypto::from_hex(a.sha512, raw))
      dist["integrity"] = "sha512-" + crypto::base64_encode(raw);
  }
}

bool has_install_script(const json::object& m) {
  const auto* scripts = m.if_contains("scripts");
  if (!scripts || !scripts->is_object()) return false;
  const auto& s = scripts->as_object();
  return s.contains("preinstall") || s.contains("install") || s.contains("postinstall");
}

json::object abbreviate(const json::object& full) {
  json::object out;
  for (const char* k : kAbbreviatedMembers)
    if (const auto* v = full.if_contains(k)) out[k] = *v;
  if (!out.contains("hasInstallScript") && has_install_script(full)) out["hasInstallScript"] = true;
  return out;
}

// json::serialize grows its string by doubling it, zero-filling and copying each time: for a
// packument of megabytes that was 18 of a 130 ms miss. This sizes the string once from `hint`
// (what the document will take, about) and doubles it only if that was short: 10 ms.
std::string serialize_sized(const json::object& doc, size_t hint) {
  json::serializer sr;
  sr.reset(&doc);
  std::string out(std::max<size_t>(hint, 4096), '\0');
  size_t len = 0;
  while (!sr.done()) {
    if (len == out.size()) out.resize(out.size() * 2);
    len += sr.read(out.data() + len, out.size() - len).size();
  }
  out.resize(len);
  return out;
}

const store::PackageVersion* find_version(const std::vector<const store::PackageVersion*>& vs,
                                          std::string_view version) {
  for (const auto* v : vs)
    if (v->version == version) return v;
  return nullptr;
}

}  // namespace

std::vector<const store::PackageVersion*> listable_versions(const store::PackageSnapshot& s) {
  std::vector<const store::PackageVersion*> out;
  for (const auto& v : s.versions)
    if (v.status == core::status::kPublished) out.push_back(&v);
  std::sort(out.begin(), out.end(),
            [](const auto* a, const auto* b) { return version_less(a->version, b->version); });
  return out;
}

std::map<std::string, std::string> visible_dist_tags(
    const store::Package& p, const std::vector<const store::PackageVersion*>& listable) {
  std::map<std::string, std::string> out;
  for (const auto& [tag, version] : p.dist_tags)
    if (find_version(listable, version)) out[tag] = version;
  if (!out.contains("latest") && !listable.empty()) {
    const store::PackageVersion* best = listable.back();
    for (auto it = listable.rbegin(); it != listable.rend(); ++it) {
      auto sv = parse_semver((*it)->version);
      if (sv && sv->prerelease.empty()) {
        best = *it;
        break;
      }
    }
    out["latest"] = best->version;
  }
  return out;
}

std::string tarball_url(const std::string& repository_url, const NpmName& name,
                        std::string_view version) {
  return repository_url + name.full() + "/-/" + tarball_file_name(name, version);
}

json::object version_manifest(const store::PackageVersion& v, const NpmName& name,
                              const std::string& repository_url) {
  json::object m = parse_manifest(v);
  m["name"] = name.full();
  m["version"] = v.version;
  if (!m.contains("_id")) m["_id"] = name.full() + "@" + v.version;
  fill_minimal(m, v, name);
  rewrite_dist(m, v, name, repository_url);
  return m;
}

std::string package_rev(const store::PackageSnapshot& s) {
  auto listable = listable_versions(s);
  crypto::Hasher h(crypto::Algo::kSha256);
  for (const auto* v : listable) {
    h.update(v->version);
    h.update(std::string_view("\0", 1));
    h.update(v->revision);
    h.update(std::string_view("\0", 1));
    h.update(v->format_metadata);
    h.update(std::string_view("\0", 1));
  }
  for (const auto& [tag, version] : visible_dist_tags(s.package, listable)) {
    h.update(tag + "=" + version);
    h.update(std::string_view("\0", 1));
  }
  return std::to_string(listable.size()) + "-" + h.finish_hex().substr(0, 32);
}

std::string iso8601(store::Timestamp t) {
  double whole = std::floor(t);
  auto secs = static_cast<std::time_t>(whole);
  int ms = static_cast<int>(std::lround((t - whole) * 1000.0));
  if (ms >= 1000) {
    ++secs;
    ms -= 1000;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  return buf;
}

std::optional<std::string> render_packument(const store::PackageSnapshot& s, const NpmName& name,
                                            const RenderOptions& options) {
  auto listable = listable_versions(s);
  if (listable.empty()) return std::nullopt;
  auto tags = visible_dist_tags(s.package, listable);
  const store::PackageVersion* latest = find_version(listable, tags["latest"]);

  store::Timestamp modified = s.package.created_time, created = s.package.created_time;
  json::object versions, times;  // times: the full document's, "created" and "modified" first
  versions.reserve(listable.size());
  if (!options.abbreviated) {
    times.reserve(listable.size() + 2);
    times["created"] = nullptr;
    times["modified"] = nullptr;
  }
  json::object latest_manifest;
  for (const auto* v : listable) {
    json::object m = version_manifest(*v, name, options.repository_url);
    modified = std::max(modified, v->published_time);
    if (created == 0 || (v->published_time > 0 && v->published_time < created))
      created = v->published_time;
    if (!options.abbreviated) times[v->version] = iso8601(v->published_time);
    if (v == latest) latest_manifest = m;
    versions[v->version] =
        options.abbreviated ? json::value(abbreviate(m)) : json::value(std::move(m));
  }
  json::object dist_tags;
  for (const auto& [tag, version] : tags) dist_tags[tag] = version;
  // Each manifest as stored, plus its rewritten dist and time; the package's readme.
  size_t size_hint = 1024 + (latest ? latest->readme.size() : 0);
  for (const auto* v : listable) size_hint += v->format_metadata.size() + 256;

  json::object doc;
  if (options.abbreviated) {
    doc["name"] = name.full();
    doc["modified"] = iso8601(modified);
    doc["dist-tags"] = std::move(dist_tags);
    doc["versions"] = std::move(versions);
    return serialize_sized(doc, size_hint);
  }
  doc["_id"] = name.full();
  doc["_rev"] = package_rev(s);
  doc["name"] = name.full();
  for (const char* k : kTopLevelMembers)
    if (const auto* v = latest_manifest.if_contains(k)) doc[k] = *v;
  doc["dist-tags"] = std::move(dist_tags);
  doc["versions"] = std::move(versions);
  times["created"] = iso8601(created);
  times["modified"] = iso8601(modified);
  doc["time"] = std::move(times);
  doc["readme"] = latest ? latest->readme : std::string();
  return serialize_sized(doc, size_hint);
}

}  // namespace arca::formats::npm
