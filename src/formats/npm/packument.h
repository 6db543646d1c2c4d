#pragma once
// Renders the documents npm reads from a package's stored versions: the packument (full, or the
// abbreviated "corgi" form for Accept: application/vnd.npm.install-v1+json), one version
// manifest, and the dist-tags map. Only listable (Published) versions appear; dist.tarball always
// points back at this repository and dist.shasum/integrity come from the stored asset.
#include <boost/json/object.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "formats/npm/npm_names.h"
#include "store/package_types.h"

namespace arca::formats::npm {

inline constexpr const char* kAbbreviatedType = "application/vnd.npm.install-v1+json";

// Listable versions in SemVer order (lowest first).
std::vector<const store::PackageVersion*> listable_versions(const store::PackageSnapshot& s);

// The package's dist-tags restricted to listable versions; "latest" falls back to the highest
// listable release (or pre-release when there is no release) when missing or hidden.
std::map<std::string, std::string> visible_dist_tags(
    const store::Package& p, const std::vector<const store::PackageVersion*>& listable);

// "{repository_url}{name}/-/{unscoped}-{version}.tgz"; scoped names keep their '/'.
std::string tarball_url(const std::string& repository_url, const NpmName& name,
                        std::string_view version);

// One version's manifest as npm expects it, with dist rewritten for this repository.
boost::json::object version_manifest(const store::PackageVersion& v, const NpmName& name,
                                     const std::string& repository_url);

// CouchDB-style "{count}-{hex}" revision of what a packument shows; changes whenever it does.
std::string package_rev(const store::PackageSnapshot& s);

// "2024-01-02T03:04:05.678Z"
std::string iso8601(store::Timestamp t);

struct RenderOptions {
  std::string repository_url;
  bool abbreviated = false;
};

// The packument as JSON text; nullopt when the package has no listable version.
std::optional<std::string> render_packument(const store::PackageSnapshot& s, const NpmName& name,
                                            const RenderOptions& options);

}  // namespace arca::formats::npm
