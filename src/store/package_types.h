#pragma once
// Records of packages, package versions and their assets. Plain data: the rules (statuses,
// transitions, origin defaults, revisions) live in core/.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "store/types.h"

namespace arca::store {

// A repository, by its natural key.
struct RepositoryRef {
  std::string domain_owner;
  std::string domain_name;
  std::string repository;
  friend bool operator==(const RepositoryRef&, const RepositoryRef&) = default;
};

// A package within a repository. `namespace_` is empty when the format has none (CodeArtifact's
// "no namespace"); names are stored already normalized by core/.
struct PackageKey {
  std::string format;
  std::string namespace_;
  std::string name;
  friend bool operator==(const PackageKey&, const PackageKey&) = default;
  friend auto operator<=>(const PackageKey&, const PackageKey&) = default;
};

struct OriginRestrictions {
  std::string publish = "ALLOW";   // ALLOW | BLOCK
  std::string upstream = "BLOCK";  // ALLOW | BLOCK
  friend bool operator==(const OriginRestrictions&, const OriginRestrictions&) = default;
};

struct Package {
  PackageKey key;
  OriginRestrictions origin;
  Timestamp created_time = 0;  // set by the store when mutate_package creates the package
  // Format-owned named pointers to versions (npm dist-tags): tag -> version.
  std::map<std::string, std::string> dist_tags;
};

struct Asset {
  std::string name;
  std::string sha256;  // blob key
  uint64_t size = 0;
  std::string md5, sha1, sha512;  // lowercase hex
  friend bool operator==(const Asset&, const Asset&) = default;
};

struct Dependency {
  std::string namespace_;
  std::string package;
  std::string dependency_type;
  std::string version_requirement;
  friend bool operator==(const Dependency&, const Dependency&) = default;
};

struct License {
  std::string name;
  std::string url;
  friend bool operator==(const License&, const License&) = default;
};

struct PackageVersion {
  std::string version;
  std::string display_name;  // format-native name, e.g. "@scope/name"
  std::string status;        // Published | Unfinished | Unlisted | Archived | Disposed
  std::string revision;
  Timestamp published_time = 0;
  std::string origin_type = "INTERNAL";  // INTERNAL | EXTERNAL | UNKNOWN
  // Where the version first entered the domain: exactly one of these is set.
  std::string entry_repository;
  std::string entry_external_connection;
  std::string summary;
  std::string home_page;
  std::string source_code_repository;
  std::vector<License> licenses;
  std::string readme;
  // Format-owned document for this version (npm: the version manifest as JSON text).
  std::string format_metadata;
  std::vector<Asset> assets;
  std::vector<Dependency> dependencies;
};

// Everything stored about one package in one repository, read in one transaction.
struct PackageSnapshot {
  Package package;
  std::vector<PackageVersion> versions;  // ordered by version string
};

// The writes a mutate_package callback asks for; applied atomically after it returns.
// The order in which the members apply is documented at MetadataStore::mutate_package.
struct PackageMutation {
  bool delete_package = false;               // removes the package, its versions, tags and assets
  std::optional<OriginRestrictions> origin;  // creates the package if it is missing
  std::vector<PackageVersion> upsert_versions;  // insert or replace (assets and deps replaced)
  std::vector<std::string> delete_versions;
  std::map<std::string, std::optional<std::string>> dist_tags;  // tag -> version, nullopt removes
};

// What a mutation did to blob references: keys no asset row references any more (anywhere in
// the store) after the transaction, so their bytes may be reclaimed.
struct MutationOutcome {
  bool package_existed = false;
  std::vector<std::string> unreferenced_blobs;
};

// Filters of ListPackages (prefix filters, as CodeArtifact's `namespace` and `package-prefix`).
struct PackageFilter {
  std::optional<std::string> format;
  std::optional<std::string> namespace_prefix;  // literal prefix; "" filters nothing
  std::string name_prefix;                      // literal prefix; "" filters nothing
  std::optional<std::string> publish;           // ALLOW | BLOCK
  std::optional<std::string> upstream;          // ALLOW | BLOCK
};

// One entry of the external-connection metadata cache (a packument, a simple page, ...), shared by
// every node through the store. A 404 answer is kept as a negative entry (status 404, no body).
struct UpstreamDocument {
  std::string connection;  // external connection name, e.g. "public:npmjs"
  std::string key;         // chosen by the format, e.g. "npm/@scope/name"
  int status = 200;        // 200 (body is the document) or 404 (negative entry)
  std::string etag;            // validators of the upstream answer, for revalidation
  std::string last_modified;
  Timestamp fetched_time = 0;  // when it was fetched or last revalidated (seconds)
  std::string body;            // bytes exactly as fetched
  friend bool operator==(const UpstreamDocument&, const UpstreamDocument&) = default;
};

}  // namespace arca::store
