// GET of packuments, version manifests and tarballs.
#include <boost/json.hpp>
#include <stdexcept>

#include "formats/miss_response.h"
#include "formats/npm/npm_format.h"
#include "formats/npm/npm_read_responses.h"
#include "formats/npm/npm_responses.h"
#include "formats/npm/packument.h"
#include "formats/upstream_wait.h"
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
  if (auto doc = cache_->get(want.cache_key, want.variant)) {
    count(ctx,
          doc->cache_state == "STALE" ? upstream::CacheResult::kStale : upstream::CacheResult::kHit,
          0);
    return packument_response(request, doc, want);
  }
  return upstream_answer(request, ctx, packument_builder(name, *key, want));
}

Answer NpmFormat::packument_builder(const NpmName& name, const store::PackageKey& key,
                                    const PackumentVariant& want) {
  return [this, name, key, want](const http::Request& r, const RequestContext& c) {
    return build_packument(r, c, name, key, want);
  };
}

Answer NpmFormat::tarball_reader(const NpmName& name, const std::string& file) {
  return [this, name, file](const http::Request& r, const RequestContext& c) {
    return get_tarball(r, c, name, file);
  };
}

http::Response NpmFormat::build_packument(const http::Request& request, const RequestContext& ctx,
                                          const NpmName& name, const store::PackageKey& key,
                                          const PackumentVariant& want) {
  uint64_t generation = cache_->generation();
  auto m = merged(ctx, name, key);
  if (!m) {
    count(ctx, upstream::CacheResult::kNegative, 0);
    return error_response(m.error());
  }
  auto body = render_packument(m->snapshot, name, {ctx.repository_url, want.abbreviated});
  if (!body) return package_not_found();
  auto fresh = std::make_shared<CachedDocument>();
  fresh->etag = "\"" + crypto::sha256_hex(*body).substr(0, 40) + (want.gzip ? "-gz" : "") + "\"";
  fresh->body = want.gzip ? gzip_compress(*body) : std::move(*body);
  fresh->expires_at = m->expires_at;
  if (m->result == upstream::CacheResult::kStale) fresh->cache_state = "STALE";
  cache_->put(want.cache_key, want.variant, generation, fresh);
  http::Response r = packument_response(request, fresh, want);
  const bool miss = m->result == upstream::CacheResult::kMiss;
  if (miss) r.headers.set(kCacheHeader, "MISS");
  count(ctx,
        miss                            ? upstream::CacheResult::kMiss
        : fresh->cache_state == "STALE" ? upstream::CacheResult::kStale
                                        : upstream::CacheResult::kHit,
        0);
  return r;
}

http::Response NpmFormat::upstream_answer(const http::Request& request, const RequestContext& ctx,
                                          Answer fn) {
  if (!pull_.reaches_upstream(ctx.repository)) return fn(request, ctx);
  return answer_on(pull_.tasks(), *this, request, ctx, std::move(fn));
}

void NpmFormat::count(const RequestContext& ctx, upstream::CacheResult result, uint64_t bytes) {
  std::string label = core::metrics_label(ctx.repository);
  pull_.metrics().request(label, result);
  if (bytes) pull_.metrics().served_bytes(label, bytes);
}

http::Response NpmFormat::get_version(const http::Request& request, const RequestContext& ctx,
                                      const NpmName& name, const std::string& version_or_tag) {
  auto key = key_of(name);
  if (!key) return package_not_found();
  return upstream_answer(
      request, ctx,
      [this, name, key = *key, version_or_tag](const http::Request&, const RequestContext& c) {
        return version_answer(c, name, key, version_or_tag);
      });
}

http::Response NpmFormat::version_answer(const RequestContext& ctx, const NpmName& name,
                                         const store::PackageKey& key,
                                         const std::string& version_or_tag) {
  auto m = merged(ctx, name, key);
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
  std::string label = core::metrics_label(ctx.repository);
  if (!resolved) return tarball_failure(label, file, resolved.error());
  if (resolved->transfer) return streamed_tarball(label, file, *version, resolved->transfer);
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

http::Response NpmFormat::tarball_failure(const std::string& label, const std::string& file,
                                          const Error& e) {
  pull_.metrics().request(label, upstream::CacheResult::kNegative);
  if (e.code == Code::kUnavailable)  // see merged(): fail fast, say why
    return json_error(
        404, file + " is not cached here and the upstream could not be asked: " + e.message);
  return error_response(e);
}

http::Response NpmFormat::streamed_tarball(const std::string& label, const std::string& file,
                                           const std::string& version,
                                           std::shared_ptr<upstream::Transfer> transfer) {
  http::Response head;
  head.headers.set("Content-Type", "application/octet-stream");
  head.headers.set(kCacheHeader, "MISS");
  upstream::CacheMetrics& metrics = pull_.metrics();
  return miss_response(
      std::move(transfer), std::move(head),
      [&metrics, label] { metrics.request(label, upstream::CacheResult::kMiss); },
      [this, label, file, version](const Error& e) {
        return tarball_failure(label, file, core::PullThrough::not_offered(version, e));
      });
}

}  // namespace arca::formats::npm
