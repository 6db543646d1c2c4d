#pragma once
// npm through upstreams (reference §5.2): an external connection's packument parsed into
// versions, the merge of the search chain into the one packument a repository serves, and the
// lookup of one version's tarball for core::PullThrough::asset.
//
// Merge rules: versions are taken in search order and the first repository that has a version
// (in any status) decides it — a version Archived in the calling repository hides the upstream's
// copy; only Published versions are listed. Dist-tags are merged with the later repository in
// search order winning (the upstream's value wins, as CodeArtifact documents for one level).
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/pull_through.h"
#include "formats/npm/npm_names.h"
#include "store/package_types.h"

namespace arca::formats::npm {

// An external connection's packument, parsed.
struct UpstreamPackument {
  std::vector<store::PackageVersion> versions;  // Published, with EXTERNAL origin left to set
  std::map<std::string, std::string> dist_tags;
  std::map<std::string, std::string> tarball_urls;  // version -> absolute URL
};

// Versions whose version string is invalid, or that carry no integrity or tarball URL, are
// skipped. kInvalidArgument when the body is not a packument of `name`.
Result<UpstreamPackument> parse_upstream_packument(std::string_view body, const NpmName& name,
                                                   const std::string& base_url);

struct MergedPackument {
  store::PackageSnapshot snapshot;  // what render_packument shows; no versions when none found
  upstream::CacheResult result = upstream::CacheResult::kHit;
  double expires_at = 0;  // epoch seconds after which external content is looked up again; 0 never
};

// Parsed upstream packuments, shared by the packument and tarball paths.
class UpstreamPackuments {
 public:
  explicit UpstreamPackuments(core::PullThrough& pull) : pull_(pull) {}

  struct Lookup {
    std::shared_ptr<const UpstreamPackument> doc;
    upstream::CacheResult result;
    double fetched_time;
  };
  // kNotFound when the connection does not have the package; kUnavailable when it failed and
  // nothing is cached.
  Result<Lookup> get(const upstream::Connection& connection, const NpmName& name);
  // get()'s HIT from memory alone (the document known fresh and already parsed), else nullopt.
  // Never blocks; counts nothing (the caller counts the lookup if it uses the answer).
  std::optional<Lookup> peek(const upstream::Connection& connection, const NpmName& name);

  // kNotFound (saying why) when no repository or connection offers a listable version.
  Result<MergedPackument> merge(const std::vector<core::ChainEntry>& chain, const NpmName& name);
  core::ExternalLookup lookup_version(const NpmName& name, const std::string& version);
  // lookup_version() from memory alone (peek), for core::PullThrough::peek_miss.
  core::PeekLookup peek_version(const NpmName& name, const std::string& version);

 private:
  // The parsed document of `key` if it was parsed from the fetch at `fetched_time`.
  std::shared_ptr<const UpstreamPackument> parsed(const std::string& key, double fetched_time);
  // The same, for a document a 304 confirmed: parsed from the fetch at `from`, now known by the
  // revalidation time `to`.
  std::shared_ptr<const UpstreamPackument> renewed(const std::string& key, double from, double to);
  core::PullThrough& pull_;
  std::mutex mu_;  // guards parsed_
  // (connection, name) -> parsed document and the fetch time it was parsed from.
  std::unordered_map<std::string, std::pair<double, std::shared_ptr<const UpstreamPackument>>>
      parsed_;
};

// The upstream path of a package's packument: "name" or "@scope%2fname".
std::string upstream_packument_path(const NpmName& name);

// Parses "2024-01-02T03:04:05.678Z" (fraction optional) into epoch seconds; 0 when malformed.
double parse_iso8601(std::string_view text);

}  // namespace arca::formats::npm
