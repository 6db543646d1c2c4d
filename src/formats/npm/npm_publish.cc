// PUT of npm documents (publish, deprecate, unpublish of versions) and the DELETEs of unpublish.
#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "formats/npm/npm_format.h"
#include "formats/npm/npm_responses.h"
#include "formats/npm/packument.h"
#include "formats/npm/publish_plan.h"

namespace arca::formats::npm {

namespace {

// Opens a blob writer when the first decoded tarball byte arrives, so metadata-only documents
// (deprecate, unpublish) never touch the blob store. Dropping it uncommitted discards the bytes.
class LazyBlobSink final : public TarballSink {
 public:
  explicit LazyBlobSink(core::Packages& packages) : packages_(packages) {}
  Status write(std::string_view bytes) override {
    if (!writer_) {
      ARCA_ASSIGN_OR_RETURN(writer_, packages_.begin_blob());
    }
    return writer_->write(bytes);
  }
  std::unique_ptr<blob::BlobWriter> take() { return std::move(writer_); }

 private:
  core::Packages& packages_;
  std::unique_ptr<blob::BlobWriter> writer_;
};

Result<PublishDocument> parse_body(const http::Request& request, TarballSink& sink,
                                   const ParseLimits& limits) {
  if (request.spooled) return parse_publish_file(request.spooled->path, &sink, limits);
  PublishDocumentParser parser(&sink, limits);
  ARCA_TRY(parser.write(request.body));
  return parser.finish();
}

std::string republish_message(const std::string& version) {
  return "You cannot publish over the previously published versions: " + version + ".";
}

}  // namespace

http::Response NpmFormat::put_document(const http::Request& request, const RequestContext& ctx,
                                       const NpmName& name) {
  auto key = key_of(name);
  if (!key) return json_error(400, key.error().message);
  LazyBlobSink sink(packages_);
  auto doc = parse_body(request, sink, options_.parse_limits);
  if (!doc) return error_response(doc.error());
  if (doc->has_attachments) return publish(ctx, name, *doc, sink.take());
  return update_metadata(ctx, name, *doc);
}

http::Response NpmFormat::publish(const RequestContext& ctx, const NpmName& name,
                                  const PublishDocument& doc,
                                  std::unique_ptr<blob::BlobWriter> writer) {
  auto plan = plan_publish(doc, name);
  if (!plan) return error_response(plan.error());
  if (!writer) return json_error(400, "The attachment holds no tarball bytes");
  auto key = key_of(name);
  if (!key) return json_error(400, key.error().message);
  // Refused before the blob is committed, so a plain re-publish leaves no orphan behind. A
  // concurrent publish of the same version still loses in Packages::publish below. One indexed
  // lookup: loading the package here made publishing slower as packages grew.
  if (auto exists = packages_.has_version(ctx.repository, *key, plan->version); exists && *exists)
    return json_error(403, republish_message(plan->version));
  // A blob committed here but never referenced (the publish below fails) is an orphan that the
  // blob store's collector reclaims; it is never visible as a version.
  auto info = writer->commit({.sha256 = std::nullopt, .size = plan->attachment.size});
  if (!info) return error_response(info.error());
  if (info->sha1 != plan->attachment.sha1_hex)
    return json_error(500, "internal error: stored tarball digest differs from the upload");

  core::NewVersion input;
  input.version = build_version(*plan, *info);
  for (const auto& tag : plan->tags) input.dist_tags[tag] = plan->version;
  auto published = packages_.publish(ctx.repository, *key, std::move(input));
  if (!published) {
    if (published.error().code == Code::kAlreadyExists)
      return json_error(403, republish_message(plan->version));
    return error_response(published.error());
  }
  return ok_response(201, "created new package version");
}

http::Response NpmFormat::update_metadata(const RequestContext& ctx, const NpmName& name,
                                          const PublishDocument& doc) {
  auto key = key_of(name);
  if (!key) return json_error(400, key.error().message);
  auto snapshot = packages_.read(ctx.repository, *key);
  if (!snapshot) {
    if (snapshot.error().code == Code::kNotFound)
      return json_error(404, "not found: publish a version with a tarball first");
    return error_response(snapshot.error());
  }
  auto update = plan_metadata_update(doc.doc, *snapshot, name);
  if (!update) return error_response(update.error());
  if (!update->remove_versions.empty()) {
    auto st = packages_.remove_versions(ctx.repository, *key, update->remove_versions);
    if (!st) return error_response(st.error());
  }
  if (!update->tag_changes.empty()) {
    auto st = packages_.set_dist_tags(ctx.repository, *key, update->tag_changes);
    if (!st) return error_response(st.error());
  }
  for (const auto& [version, message] : update->deprecations) {
    auto st = packages_.update_version(
        ctx.repository, *key, version,
        [&message](store::PackageVersion& v) { return set_deprecation(v, message); });
    if (!st) return error_response(st.error());
  }
  return ok_response(200, "package changed");
}

http::Response NpmFormat::delete_package(const RequestContext& ctx, const NpmName& name) {
  auto key = key_of(name);
  if (!key) return json_error(404, "not found");
  auto st = packages_.remove_package(ctx.repository, *key);
  if (!st) return error_response(st.error());
  return ok_response(200, "package removed");
}

// npm unpublish sends this after its PUT already dropped the version, so a version that is gone
// is success. A version the client could see that is still there is removed now.
http::Response NpmFormat::delete_tarball(const RequestContext& ctx, const NpmName& name,
                                         const std::string& file) {
  auto key = key_of(name);
  auto version = version_from_tarball(name, file);
  if (!key || !version) return json_error(404, "not found: " + file);
  auto snapshot = packages_.read(ctx.repository, *key);
  if (!snapshot) {
    if (snapshot.error().code == Code::kNotFound) return ok_response(200, "tarball removed");
    return error_response(snapshot.error());
  }
  for (const auto* v : listable_versions(*snapshot)) {
    if (v->version != *version) continue;
    auto st = packages_.remove_versions(ctx.repository, *key, {*version});
    if (!st) return error_response(st.error());
    break;
  }
  return ok_response(200, "tarball removed");
}

}  // namespace arca::formats::npm
