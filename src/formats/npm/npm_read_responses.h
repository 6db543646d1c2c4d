#pragma once
// The answers to npm reads, shared by the blocking path (npm_reads.cc) and the I/O-thread fast
// path (npm_fast.cc) so that both give the same response: which cached packument variant a
// request wants, the packument response for a cached document, and the head of a tarball
// response. Responses for content served from the repository's own store carry
// "X-Arca-Cache: HIT", set here and nowhere else on these paths.
#include <memory>
#include <string>
#include <string_view>

#include "formats/format_handler.h"
#include "formats/npm/packument_cache.h"
#include "http/message.h"
#include "store/package_types.h"

namespace arca::formats::npm {

inline constexpr const char* kCacheHeader = "X-Arca-Cache";

// Marks a response as content served from the repository's own store.
void mark_served_from_store(http::Response& r);

// The packument document a request asks for: full or abbreviated (Accept), plain or gzip
// (Accept-Encoding; compressed variants are cached too), for this repository URL.
struct PackumentVariant {
  std::string cache_key;  // PackumentCache::key
  std::string variant;    // PackumentCache variant: form, encoding and repository URL
  bool abbreviated = false;
  bool gzip = false;
};
PackumentVariant packument_variant(const http::Request& request, const RequestContext& ctx,
                                   const store::PackageKey& key);

// 304 when If-None-Match names the document's ETag, else 200 with the document. The body shares
// the cached buffer instead of copying it.
http::Response packument_response(const http::Request& request,
                                  const std::shared_ptr<const CachedDocument>& doc,
                                  const PackumentVariant& variant);

// 304 when If-None-Match names the asset's ETag (its SHA-256), else a 200 carrying the tarball
// headers, whose body the caller sets.
http::Response tarball_response(const http::Request& request, const store::Asset& asset);

}  // namespace arca::formats::npm
