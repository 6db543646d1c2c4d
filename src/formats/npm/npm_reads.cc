// GET of packuments, version manifests and tarballs.
#include <boost/json.hpp>

#include "formats/npm/npm_format.h"
#include "formats/npm/npm_responses.h"
#include "formats/npm/packument.h"
#include "util/crypto.h"
#include "util/gzip.h"

namespace arca::formats::npm {

namespace {

constexpr size_t kChunkBytes = 64 * 1024;

bool wants_abbreviated(const http::Request& r) {
  if (auto w = r.query_param("write"); w && *w == "true") return false;  // edit-then-PUT flows
  auto accept = r.headers.get("Accept");
  return accept && accept->find(kAbbreviatedType) != std::string_view::npos;
}

bool wants_gzip(const http::Request& r) {
  auto ae = r.headers.get("Accept-Encoding");
  return ae && accepts_gzip(*ae);
}

// The cached document is sent as is: the response shares its buffer instead of copying it.
http::Response document_response(const std::shared_ptr<const CachedDocument>& doc, bool abbreviated,
                                 bool gzip) {
  http::Response r;
  r.headers.set("Content-Type", abbreviated ? kAbbreviatedType : "application/json");
  r.headers.set("ETag", doc->etag);
  r.headers.set("Vary", "Accept, Accept-Encoding");
  if (gzip) r.headers.set("Content-Encoding", "gzip");
  r.body = http::SharedText(doc, &doc->body);
  return r;
}

http::Response package_not_found() { return json_error(404, "not found"); }

}  // namespace

http::Response NpmFormat::get_packument(const http::Request& request, const RequestContext& ctx,
                                        const NpmName& name) {
  auto key = key_of(name);
  if (!key) return package_not_found();
  bool abbreviated = wants_abbreviated(request);
  // Compressed variants are cached too, so gzip costs one compression per package change.
  bool gzip = wants_gzip(request);
  std::string cache_key = PackumentCache::key(ctx.repository, *key);
  std::string variant =
      std::string(abbreviated ? "a" : "f") + (gzip ? "g " : " ") + ctx.repository_url;
  auto doc = cache_->get(cache_key, variant);
  if (!doc) {
    uint64_t generation = cache_->generation();
    auto snapshot = packages_.read(ctx.repository, *key);
    if (!snapshot) {
      if (snapshot.error().code == Code::kNotFound) return package_not_found();
      return error_response(snapshot.error());
    }
    auto body = render_packument(*snapshot, name, {ctx.repository_url, abbreviated});
    if (!body) return package_not_found();
    auto fresh = std::make_shared<CachedDocument>();
    fresh->etag = "\"" + crypto::sha256_hex(*body).substr(0, 40) + (gzip ? "-gz" : "") + "\"";
    fresh->body = gzip ? gzip_compress(*body) : std::move(*body);
    cache_->put(cache_key, variant, generation, fresh);
    doc = std::move(fresh);
  }
  if (etag_matches(request, doc->etag)) return not_modified(doc->etag);
  return document_response(doc, abbreviated, gzip);
}

http::Response NpmFormat::get_version(const RequestContext& ctx, const NpmName& name,
                                      const std::string& version_or_tag) {
  auto key = key_of(name);
  if (!key) return package_not_found();
  auto snapshot = packages_.read(ctx.repository, *key);
  if (!snapshot) {
    if (snapshot.error().code == Code::kNotFound) return package_not_found();
    return error_response(snapshot.error());
  }
  auto listable = listable_versions(*snapshot);
  auto tags = visible_dist_tags(snapshot->package, listable);
  std::string version = version_or_tag;
  if (auto t = tags.find(version_or_tag); t != tags.end()) version = t->second;
  for (const auto* v : listable)
    if (v->version == version)
      return json_response(200, version_manifest(*v, name, ctx.repository_url));
  return json_error(404, "version not found: " + version_or_tag);
}

http::Response NpmFormat::get_tarball(const http::Request& request, const RequestContext& ctx,
                                      const NpmName& name, const std::string& file) {
  auto key = key_of(name);
  auto version = version_from_tarball(name, file);
  if (!key || !version) return json_error(404, "not found: " + file);
  auto handle =
      packages_.open_asset(ctx.repository, *key, *version, tarball_file_name(name, *version));
  if (!handle) return error_response(handle.error());
  const store::Asset& asset = handle->asset;
  std::string etag = "\"" + asset.sha256 + "\"";
  if (etag_matches(request, etag)) return not_modified(etag);

  http::Response r;
  r.headers.set("Content-Type", "application/octet-stream");
  r.headers.set("ETag", etag);
  if (handle->local_path) {
    r.body = http::FileBody{*handle->local_path, 0, asset.size};
    return r;
  }
  auto reader = packages_.open_blob(asset.sha256, 0);
  if (!reader) return error_response(reader.error());
  std::shared_ptr<blob::BlobReader> shared(std::move(*reader));
  r.content_length = asset.size;
  r.body = http::ChunkSource([shared](std::string& out) {
    out.resize(kChunkBytes);
    auto n = shared->read(out.data(), out.size());
    if (!n || *n == 0) {
      out.clear();
      return false;
    }
    out.resize(*n);
    return true;
  });
  return r;
}

}  // namespace arca::formats::npm
