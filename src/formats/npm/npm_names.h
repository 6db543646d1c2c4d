#pragma once
// npm package names and the registry paths package managers send (reference clients.md §3.1):
// scoped names arrive as "@scope%2fname" (npm, yarn), "@scope%2Fname" (pnpm) or "@scope/name";
// tarballs as "{name}/-/{file}.tgz" in either form (yarn 4 builds its own "%2f" URL).
#include <optional>
#include <string>
#include <string_view>

#include "util/error.h"

namespace arca::formats::npm {

struct NpmName {
  std::string scope;  // without '@'; empty when unscoped
  std::string name;   // the unscoped part
  std::string full() const { return scope.empty() ? name : "@" + scope + "/" + name; }
  friend bool operator==(const NpmName&, const NpmName&) = default;
};

// Splits "name" or "@scope/name" (already percent-decoded); nullopt when it is neither.
std::optional<NpmName> split_name(std::string_view full);

// The rules a new package name must follow (validate-npm-package-name for new packages):
// at most 214 characters, lower case, no leading '.' or '_', only URL-safe characters.
Status validate_new_name(const NpmName& n);

// The tarball file name the server stores and serves: "{unscoped}-{version}.tgz".
std::string tarball_file_name(const NpmName& n, std::string_view version);
// The version inside a tarball file name of package `n`; also accepts npm's client-side
// "@scope/name-1.0.0.tgz" form. nullopt when the file is not one of `n`'s tarballs.
std::optional<std::string> version_from_tarball(const NpmName& n, std::string_view file);

enum class RouteKind {
  kNotFound,
  kPackage,     // {name}
  kVersion,     // {name}/{version-or-tag}
  kPackageRev,  // {name}/-rev/{rev}
  kTarball,     // {name}/-/{file}
  kTarballRev,  // {name}/-/{file}/-rev/{rev}
  kDistTags,    // -/package/{name}/dist-tags
  kDistTag,     // -/package/{name}/dist-tags/{tag}
  kWhoami,      // -/whoami
  kPing,        // -/ping
  kSearch,      // -/v1/search
  kLogin,       // -/user/org.couchdb.user:{user}
};

struct Route {
  RouteKind kind = RouteKind::kNotFound;
  NpmName package;
  std::string version_or_tag;  // kVersion
  std::string file;            // kTarball, kTarballRev: the file name as sent (decoded)
  std::string rev;             // kPackageRev, kTarballRev
  std::string tag;             // kDistTag
};

// Routes the raw (percent-encoded) path after the repository prefix.
Route parse_route(std::string_view raw_rest);

}  // namespace arca::formats::npm
