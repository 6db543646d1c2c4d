// GET of packuments, version manifests and tarballs.
#include <boost/json.hpp>
#include <stdexcept>

#include "formats/npm/npm_format.h"
#include "formats/npm/npm_read_responses.h"
#include "formats/npm/npm_responses.h"
#include "formats/npm/packument.h"
#include "util/crypto.h"
#include "util/gzip.h"

namespace arca::formats::npm {

namespace {

constexpr size_t kChunkBytes = 64 * 1024;

http::Response package_not_found() { return json_error(404, "not found"); }

}  // namespace

Result<MergedPackument> NpmFormat::merged(const RequestContext& ctx, const NpmName& name,
                                          const store::PackageKey& key) {
  ARCA_ASSIGN_OR_RETURN(std::vector<core::ChainEntry> chain, pull_.chain(ctx.repository, key));
  auto merged = upstream_.merge(chain, name);
  if (!merged && merged.error().code == Code::kUnavailable) {
    // Nothing cached and the upstream cannot be asked: a 404 that says why, because npm retries
    // 5xx answers for minutes while the build waits.
    return not_found("package", name.full(),
                     name.full() + " is not cached here and the upstream could not be asked: " +
                         merged.error().message);
  }
  return merged;
}

http::Response NpmFormat::get_packument(const http::Request& request, const RequestContext& ctx,
                                        const NpmName& name) {
  auto key = key_of(name);
  if (!key) return package_not_found();
  // Compressed variants are cached too, so gzip costs one compression per package change.
  PackumentVariant want = packument_variant(request, ctx, *key);
  auto doc = cache_->get(want.cache_key, want.variant);
  const char* state = nullptr;  // this answer's X-Arca-Cache when it differs from the entry's
  if (!doc) {
    uint64_t generation = cache_->generation();
    auto m = merged(ctx, name, *key);
    if (!m) {
      count(ctx, upstream::CacheResult::kNegative, 0);
      return error_response(m.error());
    }
    auto body = render_packument(m->snapshot, name, {ctx.repository_url, want.abbreviated});
    if (!body) return package_not_found();
    auto fresh = std::make_shared<CachedDocument>();
    fresh->etag =
        "\"" + crypto::sha256_hex(*body).substr(0, 40) + (want.gzip ? "-gz" : "") + "\"";
    fresh->body = want.gzip ? gzip_compress(*body) : std::move(*body);
    fresh->expires_at = m->expires_at;
    if (m->result == upstream::CacheResult::kStale) fresh->cache_state = "STALE";
    if (m->result == upstream::CacheResult::kMiss) state = "MISS";
    cache_->put(want.cache_key, want.variant, generation, fresh);
    doc = std::move(fresh);
  }
  http::Response r = packument_response(request, doc, want);
  if (state) r.headers.set(kCacheHeader, state);
  count(ctx,
        state                           ? upstream::CacheResult::kMiss
        : doc->cache_state == "STALE" ? upstream::CacheResult::kStale
                                      : upstream::CacheResult::kHit,
        0);
  return r;
}

void NpmFormat::count(const RequestContext& ctx, upstream::CacheResult result, uint64_t bytes) {
  std::string label = core::metrics_label(ctx.repository);
  pull_.metrics().request(label, result);
  if (bytes) pull_.metrics().served_bytes(label, bytes);
}

http::Response NpmFormat::get_version(const RequestContext& ctx, const NpmName& name,
                                      const std::string& version_or_tag) {
  auto key = key_of(name);
  if (!key) return package_not_found();
  auto m = merged(ctx, name, *key);
  if (!m) return error_response(m.error());
  auto listable = listable_versions(m->snapshot);
  auto tags = visible_dist_tags(m->snapshot.package, listable);
  std::string version = version_or_tag;
  if (auto t = tags.find(version_or_tag); t != tags.end()) version = t->second;
  for (const auto* v : listable)
    if (v->version == version) {
      http::Response r = json_response(200, version_manifest(*v, name, ctx.repository_url));
      r.headers.set(kCacheHeader, upstream::cache_result_name(m->result));
      return r;
    }
  return json_error(404, "version not found: " + version_or_tag);
}

http::Response NpmFormat::get_tarball(const http::Request& request, const RequestContext& ctx,
                                      const NpmName& name, const std::string& file) {
  auto key = key_of(name);
  auto version = version_from_tarball(name, file);
  if (!key || !version) return json_error(404, "not found: " + file);
  auto resolved = pull_.asset(ctx.repository, *key, *version, tarball_file_name(name, *version),
                              upstream_.lookup_version(name, *version));
  if (!resolved) {
    count(ctx, upstream::CacheResult::kNegative, 0);
    if (resolved.error().code == Code::kUnavailable)  // see merged(): fail fast, say why
      return json_error(404, file + " is not cached here and the upstream could not be asked: " +
                                 resolved.error().message);
    return error_response(resolved.error());
  }
  if (resolved->transfer) {
    count(ctx, resolved->result, 0);
    return streamed_tarball(*resolved);
  }
  const core::AssetHandle* handle = &*resolved->stored;
  const store::Asset& asset = handle->asset;
  count(ctx, resolved->result, asset.size);
  http::Response r = tarball_response(request, asset);
  if (r.status == 304) return r;
  if (handle->local_path) {
    r.body = http::FileBody{*handle->local_path, 0, asset.size, true};  // content-addressed
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

http::Response NpmFormat::streamed_tarball(const core::ResolvedAsset& resolved) {
  http::Response r;
  r.headers.set("Content-Type", "application/octet-stream");
  r.headers.set(kCacheHeader, "MISS");
  r.content_length = resolved.length;
  // Read as it arrives; a failed transfer throws, which cuts the connection so that the client
  // never takes a partial or unverified body for a whole one.
  r.body = http::ChunkSource([transfer = resolved.transfer, offset = uint64_t(0)](
                                 std::string& out) mutable {
    out.resize(kChunkBytes);
    auto n = transfer->read(offset, out.data(), out.size());
    if (!n) throw std::runtime_error("upstream transfer failed: " + n.error().message);
    out.resize(*n);
    offset += *n;
    return *n != 0;
  });
  return r;
}

}  // namespace arca::formats::npm
