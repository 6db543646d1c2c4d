// Reads answered on an I/O thread from memory (FormatHandler::try_fast): a packument already in
// the packument cache, and a tarball of a package whose snapshot core::Packages has cached, when
// the blob is a local file (sent with sendfile). Everything else, including every error, returns
// nullopt so the blocking path (npm_reads.cc) answers; the responses come from the same builders
// (npm_read_responses.h), so both paths answer alike.
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
    if (!doc) return std::nullopt;
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
    if (!handle || !*handle || !(*handle)->local_path) return std::nullopt;
    const core::AssetLocation& h = **handle;
    http::Response r = tarball_response(request, h.asset);
    // Blob files are content-addressed: the server may keep them open between responses.
    if (r.status != 304) r.body = http::FileBody{*h.local_path, 0, h.asset.size, true};
    count(ctx, upstream::CacheResult::kHit, r.status == 304 ? 0 : h.asset.size);
    return r;
  }
  return std::nullopt;
}

}  // namespace arca::formats::npm
