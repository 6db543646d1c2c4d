#include "formats/npm/npm_format.h"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <charconv>

#include "formats/npm/npm_responses.h"

namespace arca::formats::npm {

namespace {

bool is_read(const std::string& method) { return method == "GET" || method == "HEAD"; }

http::Response not_found(std::string_view what) { return json_error(404, what); }

}  // namespace

NpmFormat::NpmFormat(core::Packages& packages, core::PullThrough& pull, NpmOptions options)
    : packages_(packages),
      pull_(pull),
      upstream_(pull),
      options_(options),
      cache_(std::make_shared<PackumentCache>(options.packument_cache_bytes)) {
  std::weak_ptr<PackumentCache> weak = cache_;
  packages_.add_listener([weak](const store::RepositoryRef& repo, const store::PackageKey& key) {
    auto cache = weak.lock();
    if (!cache) return;
    if (key.format.empty()) return cache->clear();  // a repository or the upstream graph changed
    if (key.format == "npm") cache->invalidate(PackumentCache::key(repo, key));
  });
}

http::BodyPolicy NpmFormat::body_policy(const http::Request& head,
                                        const EndpointRef& endpoint) const {
  if (is_read(head.method) || head.method == "DELETE") return {http::BodyMode::kReject, 0};
  Route route = parse_route(endpoint.rest);
  bool document = route.kind == RouteKind::kPackage || route.kind == RouteKind::kPackageRev;
  if (head.method == "PUT" && document) {
    // A small document announced by Content-Length is parsed from memory: spooling it to a temp
    // file and reading it back cost more than the parse.
    if (auto cl = head.headers.get("Content-Length")) {
      uint64_t n = 0;
      auto [end, ec] = std::from_chars(cl->data(), cl->data() + cl->size(), n);
      if (ec == std::errc() && end == cl->data() + cl->size() &&
          n <= options_.max_buffered_publish_bytes)
        return {http::BodyMode::kBuffer, options_.max_buffered_publish_bytes};
    }
    return {http::BodyMode::kSpool, options_.max_publish_bytes};
  }
  return {http::BodyMode::kBuffer, options_.max_small_body_bytes};
}

http::Response NpmFormat::handle(http::Request& request, const RequestContext& ctx) {
  try {
    return dispatch(request, ctx, parse_route(ctx.endpoint.rest));
  } catch (const std::exception& e) {
    spdlog::error("npm {} {}: {}", request.method, request.path, e.what());
    return json_error(500, "internal error");
  }
}

Result<store::PackageKey> NpmFormat::key_of(const NpmName& name) const {
  return core::make_package_key("npm", name.scope, name.name);
}

http::Response NpmFormat::dispatch(http::Request& request, const RequestContext& ctx,
                                   const Route& route) {
  const std::string& m = request.method;
  switch (route.kind) {
    case RouteKind::kPackage:
      if (is_read(m)) return get_packument(request, ctx, route.package);
      if (m == "PUT") return put_document(request, ctx, route.package);
      break;
    case RouteKind::kVersion:
      if (is_read(m)) return get_version(request, ctx, route.package, route.version_or_tag);
      break;
    case RouteKind::kPackageRev:
      if (m == "PUT") return put_document(request, ctx, route.package);
      if (m == "DELETE") return delete_package(ctx, route.package);
      break;
    case RouteKind::kTarball:
      if (is_read(m))  // resolving a version may fetch its upstream packument first
        return upstream_answer(request, ctx, tarball_reader(route.package, route.file));
      break;
    case RouteKind::kTarballRev:
      if (m == "DELETE") return delete_tarball(ctx, route.package, route.file);
      break;
    case RouteKind::kDistTags:
    case RouteKind::kDistTag:
      return dist_tags(request, ctx, route);
    case RouteKind::kWhoami:
      if (is_read(m))
        return json_response(200, boost::json::object{{"username", ctx.caller.user_name}});
      break;
    case RouteKind::kPing:
      if (is_read(m)) return json_response(200, boost::json::object{});
      break;
    case RouteKind::kSearch:
      if (is_read(m)) return search(request, ctx);
      break;
    case RouteKind::kLogin:
      return json_error(400,
                        "This registry does not create users or sessions. Get a token with "
                        "`aws codeartifact login --tool npm` (or GetAuthorizationToken) and set "
                        "it as _authToken in .npmrc");
    case RouteKind::kNotFound:
      return not_found("Not found: " + request.path);
  }
  return json_error(405, "Method " + m + " is not supported on " + request.path);
}

}  // namespace arca::formats::npm
