#include "formats/npm/publish_plan.h"

#include <boost/json.hpp>
#include <set>
#include <sstream>

#include "formats/npm/packument.h"
#include "formats/npm/semver.h"
#include "util/crypto.h"

namespace arca::formats::npm {

namespace json = boost::json;

namespace {

constexpr size_t kMaxVersionLength = 255;

std::string string_member(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

Status check_integrity(const json::object& manifest, const AttachmentInfo& a) {
  const auto* dist_v = manifest.if_contains("dist");
  const json::object* dist = dist_v ? dist_v->if_object() : nullptr;
  if (!dist) return {};
  std::string shasum = string_member(*dist, "shasum");
  for (char& c : shasum) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!shasum.empty() && shasum != a.sha1_hex)
    return invalid_argument("shasum mismatch: the document says " + shasum +
                            " but the tarball's SHA-1 is " + a.sha1_hex);
  std::istringstream integrity(string_member(*dist, "integrity"));
  for (std::string entry; integrity >> entry;) {
    size_t dash = entry.find('-');
    if (dash == std::string::npos) continue;
    std::string algo = entry.substr(0, dash), value = entry.substr(dash + 1);
    if (size_t q = value.find('?'); q != std::string::npos) value.resize(q);  // SRI options
    std::string expected;
    if (algo == "sha512") {
      expected = crypto::base64_encode(a.sha512_raw);
    } else if (algo == "sha1") {
      std::string raw;
      crypto::from_hex(a.sha1_hex, raw);
      expected = crypto::base64_encode(raw);
    } else {
      continue;  // an algorithm we do not compute
    }
    if (value != expected)
      return invalid_argument("integrity mismatch: the document says " + entry +
                              " but the tarball's is " + algo + "-" + expected);
  }
  return {};
}

Result<const AttachmentInfo*> single_attachment(const PublishDocument& d) {
  if (d.attachments.size() != 1)
    return invalid_argument(
        "A publish document must carry exactly one tarball in _attachments "
        "(found " +
        std::to_string(d.attachments.size()) + ")");
  const AttachmentInfo& a = d.attachments.front();
  if (a.declared_length && *a.declared_length >= 0 &&
      static_cast<uint64_t>(*a.declared_length) != a.size)
    return invalid_argument("Attachment " + a.file + " declares length " +
                            std::to_string(*a.declared_length) + " but decodes to " +
                            std::to_string(a.size) + " bytes");
  if (!a.gzip) return invalid_argument("Attachment " + a.file + " is not a gzip tarball");
  return &a;
}

void add_dependencies(const json::object& m, const char* member, const char* type,
                      std::vector<store::Dependency>& out) {
  const auto* v = m.if_contains(member);
  if (!v || !v->is_object()) return;
  for (const auto& kv : v->as_object()) {
    auto n = split_name(kv.key());
    if (!n) continue;
    store::Dependency d;
    d.namespace_ = n->scope;
    d.package = n->name;
    d.dependency_type = type;
    d.version_requirement = kv.value().is_string() ? std::string(kv.value().as_string()) : "";
    out.push_back(std::move(d));
  }
}

std::vector<store::License> licenses_of(const json::object& m) {
  std::vector<store::License> out;
  auto add = [&](const json::value& v) {
    if (v.is_string()) {
      out.push_back({std::string(v.as_string()), ""});
    } else if (v.is_object()) {
      out.push_back({string_member(v.as_object(), "type"), string_member(v.as_object(), "url")});
    }
  };
  if (const auto* l = m.if_contains("license")) add(*l);
  if (const auto* ls = m.if_contains("licenses"); ls && ls->is_array())
    for (const auto& l : ls->as_array()) add(l);
  return out;
}

std::string repository_url_of(const json::object& m) {
  const auto* r = m.if_contains("repository");
  if (!r) return {};
  if (r->is_string()) return std::string(r->as_string());
  return r->is_object() ? string_member(r->as_object(), "url") : std::string();
}

}  // namespace

Result<PublishPlan> plan_publish(const PublishDocument& d, const NpmName& url_name) {
  PublishPlan p;
  p.name = url_name;
  std::string doc_name = string_member(d.doc, "name");
  if (doc_name.empty()) doc_name = string_member(d.doc, "_id");
  if (doc_name != url_name.full())
    return invalid_argument("The package name in the document (" + doc_name +
                            ") does not match the URL (" + url_name.full() + ")");
  ARCA_TRY(validate_new_name(url_name));
  const auto* versions_v = d.doc.if_contains("versions");
  const json::object* versions = versions_v ? versions_v->if_object() : nullptr;
  if (!versions || versions->size() != 1)
    return invalid_argument("A publish document must contain exactly one version (found " +
                            std::to_string(versions ? versions->size() : 0) + ")");
  p.version = std::string(versions->begin()->key());
  if (!versions->begin()->value().is_object())
    return invalid_argument("versions[\"" + p.version + "\"] must be an object");
  p.manifest = versions->begin()->value().as_object();
  if (p.version.size() > kMaxVersionLength || !parse_semver(p.version) ||
      p.version.starts_with('v') || p.version.starts_with('='))
    return invalid_argument("Invalid version \"" + p.version + "\": it must be valid SemVer");
  if (string_member(p.manifest, "version") != p.version)
    return invalid_argument("versions[\"" + p.version + "\"].version must be \"" + p.version +
                            "\"");
  if (auto n = string_member(p.manifest, "name"); !n.empty() && n != url_name.full())
    return invalid_argument("versions[\"" + p.version + "\"].name (" + n +
                            ") does not match the URL (" + url_name.full() + ")");
  ARCA_ASSIGN_OR_RETURN(const AttachmentInfo* a, single_attachment(d));
  ARCA_TRY(check_integrity(p.manifest, *a));
  p.attachment = *a;
  p.readme = string_member(d.doc, "readme");
  if (p.readme.empty()) p.readme = string_member(p.manifest, "readme");
  const auto* tags_v = d.doc.if_contains("dist-tags");
  if (const json::object* tags = tags_v ? tags_v->if_object() : nullptr) {
    for (const auto& kv : *tags)
      if (kv.value().is_string() && kv.value().as_string() == p.version)
        p.tags.emplace_back(kv.key());
  } else {
    p.tags.push_back("latest");
  }
  return p;
}

json::object stored_manifest(const PublishPlan& plan, const blob::BlobInfo& blob) {
  json::object m = plan.manifest;
  m.erase("readme");
  m["name"] = plan.name.full();
  m["_id"] = plan.name.full() + "@" + plan.version;
  json::object dist;
  if (const auto* d = m.if_contains("dist"); d && d->is_object()) dist = d->as_object();
  std::string raw;
  crypto::from_hex(blob.sha512, raw);
  dist["shasum"] = blob.sha1;
  dist["integrity"] = "sha512-" + crypto::base64_encode(raw);
  // Relative to the repository; rewritten to an absolute URL when rendered.
  dist["tarball"] = plan.name.full() + "/-/" + tarball_file_name(plan.name, plan.version);
  m["dist"] = std::move(dist);
  return m;
}

void describe_version(const json::object& m, store::PackageVersion& v) {
  v.summary = string_member(m, "description");
  v.home_page = string_member(m, "homepage");
  v.source_code_repository = repository_url_of(m);
  v.licenses = licenses_of(m);
  add_dependencies(m, "dependencies", "regular", v.dependencies);
  add_dependencies(m, "devDependencies", "dev", v.dependencies);
  add_dependencies(m, "peerDependencies", "peer", v.dependencies);
  add_dependencies(m, "optionalDependencies", "optional", v.dependencies);
}

store::PackageVersion build_version(const PublishPlan& plan, const blob::BlobInfo& blob) {
  const json::object& m = plan.manifest;
  store::PackageVersion v;
  v.version = plan.version;
  v.display_name = plan.name.full();
  describe_version(m, v);
  v.readme = plan.readme;
  v.format_metadata = json::serialize(stored_manifest(plan, blob));
  store::Asset asset;
  asset.name = tarball_file_name(plan.name, plan.version);
  asset.sha256 = blob.sha256;
  asset.size = blob.size;
  asset.md5 = blob.md5;
  asset.sha1 = blob.sha1;
  asset.sha512 = blob.sha512;
  v.assets.push_back(std::move(asset));
  return v;
}

std::string deprecation_of(const store::PackageVersion& v) {
  if (v.format_metadata.empty()) return {};
  json::error_code ec;
  json::value m = json::parse(v.format_metadata, ec);
  if (ec || !m.is_object()) return {};
  return string_member(m.as_object(), "deprecated");
}

Status set_deprecation(store::PackageVersion& v, const std::optional<std::string>& message) {
  json::object m;
  if (!v.format_metadata.empty()) {
    json::error_code ec;
    json::value parsed = json::parse(v.format_metadata, ec);
    if (ec || !parsed.is_object())
      return internal_error("stored npm manifest of " + v.version + " is not a JSON object");
    m = std::move(parsed.as_object());
  }
  if (message && !message->empty()) {
    m["deprecated"] = *message;
  } else {
    m.erase("deprecated");
  }
  v.format_metadata = json::serialize(m);
  return {};
}

Result<MetadataUpdate> plan_metadata_update(const json::object& doc,
                                            const store::PackageSnapshot& current,
                                            const NpmName& url_name) {
  std::string doc_name = string_member(doc, "name");
  if (doc_name.empty()) doc_name = string_member(doc, "_id");
  if (doc_name != url_name.full())
    return invalid_argument("The package name in the document (" + doc_name +
                            ") does not match the URL (" + url_name.full() + ")");
  const auto* versions_v = doc.if_contains("versions");
  const json::object* versions = versions_v ? versions_v->if_object() : nullptr;
  if (!versions) return invalid_argument("The document has no versions object");
  MetadataUpdate u;
  auto listable = listable_versions(current);
  std::set<std::string> kept;
  for (const auto* v : listable) {
    const auto* dv = versions->if_contains(v->version);
    if (!dv) {
      u.remove_versions.push_back(v->version);
      continue;
    }
    kept.insert(v->version);
    std::string wanted = dv->is_object() ? string_member(dv->as_object(), "deprecated") : "";
    if (wanted != deprecation_of(*v))
      u.deprecations[v->version] =
          wanted.empty() ? std::nullopt : std::optional<std::string>(wanted);
  }
  const auto* tags_v = doc.if_contains("dist-tags");
  const json::object* tags = tags_v ? tags_v->if_object() : nullptr;
  if (!tags) return u;
  auto shown = visible_dist_tags(current.package, listable);
  for (const auto& kv : *tags) {
    if (!kv.value().is_string()) continue;
    std::string tag(kv.key()), version(kv.value().as_string());
    if (!kept.contains(version)) continue;
    // Compared with what the client was shown, so an unchanged document changes nothing (a
    // fixed-up "latest" is not written back).
    auto was = shown.find(tag);
    if (was == shown.end() || was->second != version) u.tag_changes[tag] = version;
  }
  for (const auto& [tag, version] : shown)
    if (!tags->contains(tag) && tag != "latest" && kept.contains(version))
      u.tag_changes[tag] = std::nullopt;
  return u;
}

}  // namespace arca::formats::npm
