#include "formats/npm/npm_read_responses.h"

#include "formats/npm/npm_responses.h"
#include "formats/npm/packument.h"
#include "util/gzip.h"

namespace arca::formats::npm {

namespace {

bool wants_abbreviated(const http::Request& r) {
  if (auto w = r.query_param("write"); w && *w == "true") return false;  // edit-then-PUT flows
  auto accept = r.headers.get("Accept");
  return accept && accept->find(kAbbreviatedType) != std::string_view::npos;
}

bool wants_gzip(const http::Request& r) {
  auto ae = r.headers.get("Accept-Encoding");
  return ae && accepts_gzip(*ae);
}

}  // namespace

void mark_served_from_store(http::Response& r) { r.headers.set(kCacheHeader, "HIT"); }

PackumentVariant packument_variant(const http::Request& request, const RequestContext& ctx,
                                   const store::PackageKey& key) {
  PackumentVariant v;
  v.abbreviated = wants_abbreviated(request);
  v.gzip = wants_gzip(request);
  v.cache_key = PackumentCache::key(ctx.repository, key);
  v.variant = std::string(v.abbreviated ? "a" : "f") + (v.gzip ? "g " : " ") + ctx.repository_url;
  return v;
}

http::Response packument_response(const http::Request& request,
                                  const std::shared_ptr<const CachedDocument>& doc,
                                  const PackumentVariant& variant) {
  if (etag_matches(request, doc->etag)) {
    http::Response r = not_modified(doc->etag);
    r.headers.set(kCacheHeader, doc->cache_state);
    return r;
  }
  http::Response r;
  r.headers.set("Content-Type", variant.abbreviated ? kAbbreviatedType : "application/json");
  r.headers.set("ETag", doc->etag);
  r.headers.set("Vary", "Accept, Accept-Encoding");
  if (variant.gzip) r.headers.set("Content-Encoding", "gzip");
  r.headers.set(kCacheHeader, doc->cache_state);
  r.body = http::SharedText(doc, &doc->body);
  return r;
}

http::Response tarball_response(const http::Request& request, const store::Asset& asset) {
  std::string etag = "\"" + asset.sha256 + "\"";
  http::Response r;
  if (etag_matches(request, etag)) {
    r = not_modified(etag);
  } else {
    r.headers.set("Content-Type", "application/octet-stream");
    r.headers.set("ETag", std::move(etag));
  }
  mark_served_from_store(r);
  return r;
}

}  // namespace arca::formats::npm
