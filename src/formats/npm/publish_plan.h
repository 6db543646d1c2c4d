#pragma once
// What a parsed npm PUT document asks for: a new version (publish) or, without _attachments, an
// edit of the package's listed versions (deprecate, unpublish of single versions, dist-tags).
// Pure functions over parsed documents and snapshots; the format handler applies the result.
#include <boost/json/object.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "blob/blob_store.h"
#include "formats/npm/npm_names.h"
#include "formats/npm/publish_document.h"
#include "store/package_types.h"
#include "util/error.h"

namespace arca::formats::npm {

struct PublishPlan {
  NpmName name;
  std::string version;
  boost::json::object manifest;  // the version manifest as received
  std::string readme;
  std::vector<std::string> tags;  // dist-tags to point at `version`
  AttachmentInfo attachment;
};

// Checks a publish document against the package name in the URL: name, exactly one version and
// one gzip attachment whose decoded bytes match `length`, dist.shasum and dist.integrity.
// kInvalidArgument with a message for the npm client otherwise.
Result<PublishPlan> plan_publish(const PublishDocument& doc, const NpmName& url_name);

// Fills what the control plane shows of a version from its npm manifest: summary, home page,
// source repository, licenses and dependencies.
void describe_version(const boost::json::object& manifest, store::PackageVersion& v);

// The version record to store for a plan whose tarball was committed as `blob`.
store::PackageVersion build_version(const PublishPlan& plan, const blob::BlobInfo& blob);

// The manifest stored in format_metadata: as received, without readme, with a server-side dist.
boost::json::object stored_manifest(const PublishPlan& plan, const blob::BlobInfo& blob);

struct MetadataUpdate {
  std::vector<std::string> remove_versions;
  // version -> new deprecation message; nullopt clears it.
  std::map<std::string, std::optional<std::string>> deprecations;
  std::map<std::string, std::optional<std::string>> tag_changes;
  bool empty() const {
    return remove_versions.empty() && deprecations.empty() && tag_changes.empty();
  }
};

// Compares a whole packument sent back by npm (deprecate, unpublish of one version) with what the
// client was shown: listable versions missing from it are removed, `deprecated` changes are
// applied, and dist-tags follow the document. Versions the client was not shown are untouched.
Result<MetadataUpdate> plan_metadata_update(const boost::json::object& doc,
                                            const store::PackageSnapshot& current,
                                            const NpmName& url_name);

// The deprecation message stored in a version's format_metadata (empty when none).
std::string deprecation_of(const store::PackageVersion& v);

// Sets or clears "deprecated" in a version's format_metadata.
Status set_deprecation(store::PackageVersion& v, const std::optional<std::string>& message);

}  // namespace arca::formats::npm
