#pragma once
// The npm registry protocol (reference codeartifact.md §8.2, clients.md §3.1) over core::Packages:
// packuments, version manifests, tarballs, publish, deprecate/unpublish by document PUT,
// dist-tags, whoami, ping and search. Registered as format "npm" on PackageEndpoints.
//
// Thread safety: handle() runs concurrently on the blocking pool; the only shared state is the
// packument cache, which guards itself.
#include <memory>
#include <string>

#include "core/packages.h"
#include "core/pull_through.h"
#include "formats/format_handler.h"
#include "formats/npm/npm_names.h"
#include "formats/npm/npm_read_responses.h"
#include "formats/npm/npm_upstream.h"
#include "formats/npm/packument_cache.h"
#include "formats/npm/publish_document.h"
#include "formats/upstream_wait.h"

namespace arca::formats::npm {

struct NpmOptions {
  uint64_t max_publish_bytes = uint64_t(2) << 30;  // PUT {name} body (base64 tarball inside)
  // A PUT {name} body announced by Content-Length at most this big is read into memory;
  // larger or chunked ones are spooled to a temp file.
  uint64_t max_buffered_publish_bytes = 1u << 20;
  uint64_t max_small_body_bytes = 1u << 20;  // dist-tag and other writes
  uint64_t packument_cache_bytes = 64u << 20;
  ParseLimits parse_limits;
  size_t max_search_scan = 2000;  // packages examined by one search
};

class NpmFormat final : public FormatHandler {
 public:
  NpmFormat(core::Packages& packages, core::PullThrough& pull, NpmOptions options = {});

  http::BodyPolicy body_policy(const http::Request& head,
                               const EndpointRef& endpoint) const override;
  http::Response handle(http::Request& request, const RequestContext& context) override;
  // Packuments in the packument cache and tarballs of cached package snapshots with a local
  // blob file, answered on the I/O thread (npm_fast.cc).
  std::optional<http::Response> try_fast(const http::Request& request,
                                         const RequestContext& context) override;

 private:
  http::Response dispatch(http::Request& request, const RequestContext& ctx, const Route& route);

  // Reads (npm_reads.cc).
  http::Response get_packument(const http::Request& request, const RequestContext& ctx,
                               const NpmName& name);
  // The packument built (not in the packument cache): merged, rendered, cached.
  http::Response build_packument(const http::Request& request, const RequestContext& ctx,
                                 const NpmName& name, const store::PackageKey& key,
                                 const PackumentVariant& want);
  http::Response get_version(const http::Request& request, const RequestContext& ctx,
                             const NpmName& name, const std::string& version_or_tag);
  http::Response version_answer(const RequestContext& ctx, const NpmName& name,
                                const store::PackageKey& key, const std::string& version_or_tag);
  // `fn` here, or on the pull-through task pool when the repository reaches an external
  // connection (it may then wait on an upstream: formats/upstream_wait.h).
  http::Response upstream_answer(const http::Request& request, const RequestContext& ctx,
                                 Answer fn);
  http::Response get_tarball(const http::Request& request, const RequestContext& ctx,
                             const NpmName& name, const std::string& file);

  // Writes (npm_publish.cc).
  http::Response put_document(const http::Request& request, const RequestContext& ctx,
                              const NpmName& name);
  http::Response publish(const RequestContext& ctx, const NpmName& name, const PublishDocument& doc,
                         std::unique_ptr<blob::BlobWriter> writer);
  http::Response update_metadata(const RequestContext& ctx, const NpmName& name,
                                 const PublishDocument& doc);
  http::Response delete_package(const RequestContext& ctx, const NpmName& name);
  http::Response delete_tarball(const RequestContext& ctx, const NpmName& name,
                                const std::string& file);

  // dist-tags (npm_dist_tags.cc).
  http::Response dist_tags(const http::Request& request, const RequestContext& ctx,
                           const Route& route);
  http::Response dist_tags_answer(const RequestContext& ctx, const NpmName& name,
                                  const store::PackageKey& key);

  // whoami, ping, search, login (npm_misc.cc).
  http::Response search(const http::Request& request, const RequestContext& ctx);

  Result<store::PackageKey> key_of(const NpmName& name) const;

  // The package as `ctx.repository` offers it: its own versions merged with its upstreams'.
  Result<MergedPackument> merged(const RequestContext& ctx, const NpmName& name,
                                 const store::PackageKey& key);
  // Counts a package read in the cache metrics of the repository (bytes served from storage).
  void count(const RequestContext& ctx, upstream::CacheResult result, uint64_t bytes);
  // A tarball streamed in from an external connection as it arrives (deferred until the
  // upstream answered); `label` is the repository's metrics label.
  http::Response streamed_tarball(const std::string& label, const std::string& file,
                                  const std::string& version,
                                  std::shared_ptr<upstream::Transfer> transfer);
  // A tarball nobody could provide, in npm's terms; counted as a negative answer.
  http::Response tarball_failure(const std::string& label, const std::string& file, const Error& e);
  // try_fast() for a tarball that is not in the repository: a miss started from memory.
  std::optional<http::Response> fast_miss(const RequestContext& ctx, const NpmName& name,
                                          const store::PackageKey& key, const std::string& version,
                                          const std::string& file);
  // try_fast() for a read it cannot answer from memory, of a repository that reaches an
  // external connection (known from memory): `fn` on the pull-through task pool, else nullopt.
  std::optional<http::Response> to_task_pool(const http::Request& request,
                                             const RequestContext& ctx, Answer fn);
  // The answers handed to the task pool: a packument to build, a tarball read.
  Answer packument_builder(const NpmName& name, const store::PackageKey& key,
                           const PackumentVariant& want);
  Answer tarball_reader(const NpmName& name, const std::string& file);

  core::Packages& packages_;
  core::PullThrough& pull_;
  UpstreamPackuments upstream_;
  NpmOptions options_;
  std::shared_ptr<PackumentCache> cache_;
};

}  // namespace arca::formats::npm
