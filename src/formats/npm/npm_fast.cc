// Reads answered on an I/O thread from memory (FormatHandler::try_fast): a packument already in
// the packument cache (one not yet built, of a repository that reaches an external connection,
// is handed to the pull-through task pool, as the blocking path would); a tarball of a package
// whose snapshot core::Packages has cached, when the blob is a local file (sent with sendfile); and
// a pull-through miss whose whole resolution is in memory (core::PullThrough::peek_miss), answered
// by a deferred response that no thread waits for (one that is not, of a repository that reaches
// an external connection, goes to the task pool too). Everything else, including every error,
// returns nullopt so the blocking path (npm_reads.cc) answers; the responses come from the same
// builders, so both paths answer alike.
#include "formats/npm/npm_format.h"
#include "formats/npm/npm_read_responses.h"

namespace arca::formats::npm {

std::optional<http::Response> NpmFormat::try_fast(const http::Request& request,
                                                  const RequestContext& ctx) {
  if (request.method != "GET" && request.method != "HEAD") return std::nullopt;
  Route route = parse_route(ctx.endpoint.rest);
  if (route.kind == RouteKind::kPackage) {
    auto key = key_of(route.package);
    if (!key) return std::nullopt;
    PackumentVariant want = packument_variant(request, ctx, *key);
    auto doc = cache_->get(want.cache_key, want.variant);
    if (!doc) {
      // To be built, perhaps waiting on an upstream: straight to the pull-through task pool, as
      // the blocking path would send it (one thread hand-off, not two).
      return to_task_pool(request, ctx, packument_builder(route.package, *key, want));
    }
    count(ctx,
          doc->cache_state == "STALE" ? upstream::CacheResult::kStale : upstream::CacheResult::kHit,
          0);
    return packument_response(request, doc, want);
  }
  if (route.kind == RouteKind::kTarball) {
    auto key = key_of(route.package);
    auto version = version_from_tarball(route.package, route.file);
    if (!key || !version) return std::nullopt;
    auto handle = packages_.peek_asset(ctx.repository, *key, *version,
                                       tarball_file_name(route.package, *version));
    if (!handle) return to_task_pool(request, ctx, tarball_reader(route.package, route.file));
    if (!*handle) {
      if (handle->error().code != Code::kNotFound) return std::nullopt;
      if (auto r = fast_miss(ctx, route.package, *key, *version, route.file)) return r;
      // E.g. the upstream packument is not in memory.
      return to_task_pool(request, ctx, tarball_reader(route.package, route.file));
    }
    if (!(*handle)->local_path) return std::nullopt;
    const core::AssetLocation& h = **handle;
    http::Response r = tarball_response(request, h.asset);
    // Blob files are content-addressed: the server may keep them open between responses.
    if (r.status != 304) r.body = http::FileBody{*h.local_path, 0, h.asset.size, true};
    count(ctx, upstream::CacheResult::kHit, r.status == 304 ? 0 : h.asset.size);
    return r;
  }
  return std::nullopt;
}

std::optional<http::Response> NpmFormat::to_task_pool(const http::Request& request,
                                                      const RequestContext& ctx, Answer fn) {
  if (pull_.peek_reaches_upstream(ctx.repository) != true) return std::nullopt;
  return answer_on(pull_.tasks(), *this, request, ctx, std::move(fn));
}

std::optional<http::Response> NpmFormat::fast_miss(const RequestContext& ctx, const NpmName& name,
                                                   const store::PackageKey& key,
                                                   const std::string& version,
                                                   const std::string& file) {
  auto transfer = pull_.peek_miss(ctx.repository, key, version, tarball_file_name(name, version),
                                  upstream_.peek_version(name, version));
  if (!transfer) return std::nullopt;
  std::string label = core::metrics_label(ctx.repository);
  if (!*transfer) return tarball_failure(label, file, transfer->error());
  return streamed_tarball(label, file, version, std::move(**transfer));
}

}  // namespace arca::formats::npm
