// Package and package-version operations (reference §4, §4.9).
#include "api/operations.h"
#include "api/render.h"
#include "core/packages.h"

namespace arca::api {

namespace json = boost::json;

namespace {

Result<core::PackageInput> package_input(OpContext& c, const char* repo_param = "repository") {
  core::PackageInput in;
  in.repository.domain_owner = c.domain_owner();
  ARCA_ASSIGN_OR_RETURN(in.repository.domain, c.required_query("domain", "domain"));
  ARCA_ASSIGN_OR_RETURN(in.repository.repository, c.required_query(repo_param, "repository"));
  ARCA_ASSIGN_OR_RETURN(in.format, c.required_query("format", "format"));
  in.namespace_ = c.query("namespace").value_or("");
  ARCA_ASSIGN_OR_RETURN(in.package, c.required_query("package", "package"));
  return in;
}

void put_identity(json::object& o, const store::PackageKey& key, const char* name_field) {
  o["format"] = key.format;
  if (!key.namespace_.empty()) o["namespace"] = key.namespace_;
  o[name_field] = key.name;
}

json::object origin_configuration(const store::OriginRestrictions& r) {
  return json::object{
      {"restrictions", json::object{{"publish", r.publish}, {"upstream", r.upstream}}}};
}

json::object package_summary(const store::Package& p) {
  json::object o;
  put_identity(o, p.key, "package");
  o["originConfiguration"] = origin_configuration(p.origin);
  return o;
}

json::object version_origin(const store::PackageVersion& v) {
  json::object entry;
  if (!v.entry_repository.empty()) entry["repositoryName"] = v.entry_repository;
  if (!v.entry_external_connection.empty())
    entry["externalConnectionName"] = v.entry_external_connection;
  return json::object{{"domainEntryPoint", std::move(entry)}, {"originType", v.origin_type}};
}

json::object version_description(const store::PackageKey& key, const store::PackageVersion& v) {
  json::object o;
  put_identity(o, key, "packageName");
  o["displayName"] = v.display_name.empty() ? key.name : v.display_name;
  o["version"] = v.version;
  if (!v.summary.empty()) o["summary"] = v.summary;
  if (!v.home_page.empty()) o["homePage"] = v.home_page;
  if (!v.source_code_repository.empty()) o["sourceCodeRepository"] = v.source_code_repository;
  o["publishedTime"] = v.published_time;
  json::array licenses;
  for (const auto& l : v.licenses) {
    json::object lo{{"name", l.name}};
    if (!l.url.empty()) lo["url"] = l.url;
    licenses.push_back(std::move(lo));
  }
  o["licenses"] = std::move(licenses);
  o["revision"] = v.revision;
  o["status"] = v.status;
  o["origin"] = version_origin(v);
  return o;
}

json::object asset_summary(const store::Asset& a) {
  json::object hashes;
  if (!a.md5.empty()) hashes["MD5"] = a.md5;
  if (!a.sha1.empty()) hashes["SHA-1"] = a.sha1;
  hashes["SHA-256"] = a.sha256;
  if (!a.sha512.empty()) hashes["SHA-512"] = a.sha512;
  return json::object{{"name", a.name}, {"size", a.size}, {"hashes", std::move(hashes)}};
}

json::object version_header(const store::PackageKey& key, const store::PackageVersion& v) {
  json::object o;
  put_identity(o, key, "package");
  o["version"] = v.version;
  o["versionRevision"] = v.revision;
  return o;
}

Result<core::BatchRequest> batch_request(OpContext& c) {
  core::BatchRequest req;
  ARCA_ASSIGN_OR_RETURN(auto versions, c.body_string_list("versions"));
  if (versions) req.versions = std::move(*versions);
  if (auto* vr = c.body.if_contains("versionRevisions"); vr && !vr->is_null()) {
    if (!vr->is_object())
      return core::field_error("versionRevisions", json::serialize(*vr), "Member must be a map");
    for (const auto& [k, v] : vr->get_object()) {
      if (!v.is_string())
        return core::field_error("versionRevisions", json::serialize(v),
                                 "Member values must be strings");
      req.version_revisions[std::string(k)] = std::string(v.get_string());
    }
  }
  ARCA_ASSIGN_OR_RETURN(req.expected_status, c.body_string("expectedStatus"));
  return req;
}

json::object batch_result(const core::BatchResult& r) {
  json::object ok, failed;
  for (const auto& [v, s] : r.successful)
    ok[v] = json::object{{"revision", s.revision}, {"status", s.status}};
  for (const auto& [v, e] : r.failed)
    failed[v] = json::object{{"errorCode", e.code}, {"errorMessage", e.message}};
  return json::object{{"successfulVersions", std::move(ok)}, {"failedVersions", std::move(failed)}};
}

Result<std::optional<bool>> body_bool(OpContext& c, std::string_view member) {
  auto* v = c.body.if_contains(member);
  if (!v || v->is_null()) return std::optional<bool>();
  if (!v->is_bool())
    return core::field_error(member, json::serialize(*v), "Member must be a boolean");
  return std::optional<bool>(v->get_bool());
}

}  // namespace

OpResult list_packages(OpContext& c) {
  ARCA_ASSIGN_OR_RETURN(auto repo, c.repository_input());
  ARCA_ASSIGN_OR_RETURN(auto p, c.list_params());
  store::PackageFilter f;
  f.format = c.query("format");
  f.namespace_prefix = c.query("namespace");
  f.name_prefix = c.query("package-prefix").value_or("");
  f.publish = c.query("publish");
  f.upstream = c.query("upstream");
  ARCA_ASSIGN_OR_RETURN(auto page, c.packages.list_packages(c.caller, repo, f, p));
  json::array items;
  for (const auto& pkg : page.items) items.push_back(package_summary(pkg));
  json::object out{{"packages", std::move(items)}};
  if (!page.next_token.empty()) out["nextToken"] = page.next_token;
  return out;
}

OpResult describe_package(OpContext& c) {
  ARCA_ASSIGN_OR_RETURN(auto in, package_input(c));
  ARCA_ASSIGN_OR_RETURN(auto pkg, c.packages.describe_package(c.caller, in));
  json::object o;
  put_identity(o, pkg.key, "name");
  o["originConfiguration"] = origin_configuration(pkg.origin);
  return json::object{{"package", std::move(o)}};
}

OpResult delete_package(OpContext& c) {
  ARCA_ASSIGN_OR_RETURN(auto in, package_input(c));
  ARCA_ASSIGN_OR_RETURN(auto pkg, c.packages.delete_package(c.caller, in));
  return json::object{{"deletedPackage", package_summary(pkg)}};
}

OpResult put_package_origin_configuration(OpContext& c) {
  ARCA_ASSIGN_OR_RETURN(auto in, package_input(c));
  auto* r = c.body.if_contains("restrictions");
  if (!r || !r->is_object()) return core::missing_field("restrictions");
  store::OriginRestrictions want;
  for (auto [field, target] : {std::pair{"publish", &want.publish}, {"upstream", &want.upstream}}) {
    auto* v = r->get_object().if_contains(field);
    if (!v || !v->is_string()) return core::missing_field(std::string("restrictions.") + field);
    *target = std::string(v->get_string());
  }
  ARCA_ASSIGN_OR_RETURN(auto got, c.packages.put_origin_configuration(c.caller, in, want));
  return json::object{{"originConfiguration", origin_configuration(got)}};
}

OpResult list_package_versions(OpContext& c) {
  ARCA_ASSIGN_OR_RETURN(auto in, package_input(c));
  ARCA_ASSIGN_OR_RETURN(auto p, c.list_params());
  core::VersionListFilter f;
  f.status = c.query("status");
  f.origin_type = c.query("originType");
  if (auto s = c.query("sortBy")) {
    if (*s != "PUBLISHED_TIME")
      return core::field_error("sortBy", *s,
                               "Member must satisfy enum value set: [PUBLISHED_TIME]");
    f.sort_by_published_time = true;
  }
  ARCA_ASSIGN_OR_RETURN(auto page, c.packages.list_versions(c.caller, in, f, p));
  json::object out;
  put_identity(out, page.key, "package");
  if (!page.default_display_version.empty())
    out["defaultDisplayVersion"] = page.default_display_version;
  json::array versions;
  for (const auto& v : page.versions)
    versions.push_back(json::object{{"version", v.version},
                                    {"revision", v.revision},
                                    {"status", v.status},
                                    {"origin", version_origin(v)}});
  out["versions"] = std::move(versions);
  if (!page.next_token.empty()) out["nextToken"] = page.next_token;
  return out;
}

OpResult describe_package_version(OpContext& c) {
  ARCA_ASSIGN_OR_RETURN(auto in, package_input(c));
  ARCA_ASSIGN_OR_RETURN(auto version, c.required_query("version", "packageVersion"));
  ARCA_ASSIGN_OR_RETURN(auto v, c.packages.describe_version(c.caller, in, version));
  ARCA_ASSIGN_OR_RETURN(auto key, core::make_package_key(in.format, in.namespace_, in.package));
  return json::object{{"packageVersion", version_description(key, v)}};
}

OpResult list_package_version_assets(OpContext& c) {
  ARCA_ASSIGN_OR_RETURN(auto in, package_input(c));
  ARCA_ASSIGN_OR_RETURN(auto version, c.required_query("version", "packageVersion"));
  ARCA_ASSIGN_OR_RETURN(auto p, c.list_params());
  if (p.max_results) ARCA_TRY(core::validate_max_results("maxResults", *p.max_results));
  ARCA_ASSIGN_OR_RETURN(auto v, c.packages.describe_version(c.caller, in, version));
  ARCA_ASSIGN_OR_RETURN(auto key, core::make_package_key(in.format, in.namespace_, in.package));
  json::object out = version_header(key, v);
  json::array assets;
  for (const auto& a : v.assets) assets.push_back(asset_summary(a));
  out["assets"] = std::move(assets);  // ≤150 assets per version: one page
  return out;
}

OpResult get_package_version_readme(OpContext& c) {
  ARCA_ASSIGN_OR_RETURN(auto in, package_input(c));
  ARCA_ASSIGN_OR_RETURN(auto version, c.required_query("version", "packageVersion"));
  ARCA_ASSIGN_OR_RETURN(auto v, c.packages.describe_version(c.caller, in, version));
  ARCA_ASSIGN_OR_RETURN(auto key, core::make_package_key(in.format, in.namespace_, in.package));
  json::object out = version_header(key, v);
  out["readme"] = v.readme;
  return out;
}

OpResult list_package_version_dependencies(OpContext& c) {
  ARCA_ASSIGN_OR_RETURN(auto in, package_input(c));
  ARCA_ASSIGN_OR_RETURN(auto version, c.required_query("version", "packageVersion"));
  ARCA_ASSIGN_OR_RETURN(auto v, c.packages.describe_version(c.caller, in, version));
  ARCA_ASSIGN_OR_RETURN(auto key, core::make_package_key(in.format, in.namespace_, in.package));
  json::object out = version_header(key, v);
  json::array deps;
  for (const auto& d : v.dependencies) {
    json::object o{{"package", d.package}};
    if (!d.namespace_.empty()) o["namespace"] = d.namespace_;
    if (!d.dependency_type.empty()) o["dependencyType"] = d.dependency_type;
    if (!d.version_requirement.empty()) o["versionRequirement"] = d.version_requirement;
    deps.push_back(std::move(o));
  }
  out["dependencies"] = std::move(deps);
  return out;
}

OpResult update_package_versions_status(OpContext& c) {
  ARCA_ASSIGN_OR_RETURN(auto in, package_input(c));
  ARCA_ASSIGN_OR_RETURN(auto req, batch_request(c));
  ARCA_ASSIGN_OR_RETURN(auto target, c.body_string("targetStatus"));
  if (!target) return core::missing_field("targetStatus");
  ARCA_ASSIGN_OR_RETURN(auto r, c.packages.update_status(c.caller, in, req, *target));
  return batch_result(r);
}

OpResult delete_package_versions(OpContext& c) {
  ARCA_ASSIGN_OR_RETURN(auto in, package_input(c));
  ARCA_ASSIGN_OR_RETURN(auto req, batch_request(c));
  ARCA_ASSIGN_OR_RETURN(auto r, c.packages.delete_versions(c.caller, in, req));
  return batch_result(r);
}

OpResult dispose_package_versions(OpContext& c) {
  ARCA_ASSIGN_OR_RETURN(auto in, package_input(c));
  ARCA_ASSIGN_OR_RETURN(auto req, batch_request(c));
  ARCA_ASSIGN_OR_RETURN(auto r, c.packages.dispose_versions(c.caller, in, req));
  return batch_result(r);
}

OpResult copy_package_versions(OpContext& c) {
  ARCA_ASSIGN_OR_RETURN(auto in, package_input(c, "source-repository"));
  ARCA_ASSIGN_OR_RETURN(auto dest,
                        c.required_query("destination-repository", "destinationRepository"));
  ARCA_ASSIGN_OR_RETURN(auto req, batch_request(c));
  ARCA_ASSIGN_OR_RETURN(auto overwrite, body_bool(c, "allowOverwrite"));
  ARCA_ASSIGN_OR_RETURN(auto upstream, body_bool(c, "includeFromUpstream"));
  ARCA_ASSIGN_OR_RETURN(auto r,
                        c.packages.copy_versions(c.caller, in, dest, req, overwrite.value_or(false),
                                                 upstream.value_or(false)));
  return batch_result(r);
}

Result<http::Response> get_package_version_asset(OpContext& c) {
  ARCA_ASSIGN_OR_RETURN(auto in, package_input(c));
  ARCA_ASSIGN_OR_RETURN(auto version, c.required_query("version", "packageVersion"));
  ARCA_ASSIGN_OR_RETURN(auto asset, c.required_query("asset", "asset"));
  ARCA_ASSIGN_OR_RETURN(auto h,
                        c.packages.get_asset(c.caller, in, version, asset, c.query("revision")));
  http::Response r;
  r.headers.set("Content-Type", "application/octet-stream");
  r.headers.set("X-AssetName", h.asset.name);
  r.headers.set("X-PackageVersion", h.version.version);
  r.headers.set("X-PackageVersionRevision", h.version.revision);
  if (h.local_path) {
    r.body = http::FileBody{*h.local_path, 0, h.asset.size};
    return r;
  }
  ARCA_ASSIGN_OR_RETURN(auto reader, c.packages.open_blob(h.asset.sha256, 0));
  auto shared = std::shared_ptr<blob::BlobReader>(std::move(reader));
  r.content_length = h.asset.size;
  r.body = http::ChunkSource([shared](std::string& out) {
    out.resize(64 * 1024);
    auto n = shared->read(out.data(), out.size());
    out.resize(n ? *n : 0);
    return n && *n > 0;
  });
  return r;
}

}  // namespace arca::api
