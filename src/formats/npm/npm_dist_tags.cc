// -/package/{name}/dist-tags[/{tag}]: npm dist-tag ls/add/rm.
#include <boost/json.hpp>

#include "formats/npm/npm_format.h"
#include "formats/npm/npm_responses.h"
#include "formats/npm/packument.h"
#include "formats/npm/semver.h"

namespace arca::formats::npm {

namespace json = boost::json;

namespace {

// The version in a dist-tag PUT body: a JSON string ("1.0.0"), or bare text from older clients.
std::optional<std::string> version_in_body(const std::string& body) {
  json::error_code ec;
  json::value v = json::parse(body, ec);
  if (!ec) {
    if (!v.is_string()) return std::nullopt;
    return std::string(v.as_string());
  }
  std::string_view s = body;
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  if (s.empty() || s.find_first_of("\"{}[] ") != std::string_view::npos) return std::nullopt;
  return std::string(s);
}

Status validate_tag(const std::string& tag) {
  if (tag.empty() || tag.size() > 255) return invalid_argument("Invalid tag name");
  if (parse_semver(tag))
    return invalid_argument("Tag name must not be a valid SemVer version: " + tag);
  for (char c : tag)
    if (static_cast<unsigned char>(c) <= ' ' || c == '/' || c == '%')
      return invalid_argument("Invalid tag name: " + tag);
  return {};
}

}  // namespace

http::Response NpmFormat::dist_tags_answer(const RequestContext& ctx, const NpmName& name,
                                           const store::PackageKey& key) {
  auto m = merged(ctx, name, key);
  if (!m) return error_response(m.error());
  json::object out;
  for (const auto& [tag, version] :
       visible_dist_tags(m->snapshot.package, listable_versions(m->snapshot)))
    out[tag] = version;
  http::Response r = json_response(200, out);
  r.headers.set(kCacheHeader, upstream::cache_result_name(m->result));
  return r;
}

http::Response NpmFormat::dist_tags(const http::Request& request, const RequestContext& ctx,
                                    const Route& route) {
  auto key = key_of(route.package);
  if (!key) return json_error(404, "not found");
  const std::string& m = request.method;
  if (route.kind == RouteKind::kDistTags) {
    if (m == "GET" || m == "HEAD") {
      // The tags the packument shows: merged along the chain, upstreams included (§5.2).
      return upstream_answer(
          request, ctx,
          [this, name = route.package, key = *key](const http::Request&, const RequestContext& c) {
            return dist_tags_answer(c, name, key);
          });
    }
    if (m != "PUT" && m != "POST") return json_error(405, "Method not supported");
    json::error_code ec;
    json::value body = json::parse(request.body, ec);
    if (ec || !body.is_object()) return json_error(400, "Expected a JSON object of tag: version");
    std::map<std::string, std::optional<std::string>> changes;
    for (const auto& kv : body.as_object()) {
      if (!kv.value().is_string()) return json_error(400, "Tag versions must be strings");
      if (auto st = validate_tag(std::string(kv.key())); !st) return error_response(st.error());
      changes[std::string(kv.key())] = std::string(kv.value().as_string());
    }
    if (m == "PUT") {  // replaces the whole map
      auto snapshot = packages_.read(ctx.repository, *key);
      if (!snapshot) return error_response(snapshot.error());
      for (const auto& [tag, version] : snapshot->package.dist_tags)
        if (!changes.contains(tag) && tag != "latest") changes[tag] = std::nullopt;
    }
    auto st = packages_.set_dist_tags(ctx.repository, *key, changes);
    if (!st) return error_response(st.error());
    return ok_response(201, "tags updated");
  }

  if (auto st = validate_tag(route.tag); !st && m != "DELETE") return error_response(st.error());
  if (m == "PUT" || m == "POST") {
    auto version = version_in_body(request.body);
    if (!version) return json_error(400, "Expected the version as a JSON string, e.g. \"1.0.0\"");
    auto st = packages_.set_dist_tags(ctx.repository, *key, {{route.tag, *version}});
    if (!st) return error_response(st.error());
    return ok_response(201, "package tagged");
  }
  if (m == "DELETE") {
    if (route.tag == "latest") return json_error(400, "The latest tag cannot be removed");
    auto snapshot = packages_.read(ctx.repository, *key);
    if (!snapshot) return error_response(snapshot.error());
    if (!snapshot->package.dist_tags.contains(route.tag))
      return json_error(404, "Tag " + route.tag + " is not set");
    auto st = packages_.set_dist_tags(ctx.repository, *key, {{route.tag, std::nullopt}});
    if (!st) return error_response(st.error());
    return ok_response(200, "tag removed");
  }
  return json_error(405, "Method " + m + " is not supported on dist-tags/" + route.tag);
}

}  // namespace arca::formats::npm
