#pragma once
// Builders shared by the package conformance tests.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "conformance/store/metadata_store_conformance.h"

namespace arca::store::conformance {

inline constexpr char kOwner[] = "111111111111";

inline std::string sha(char c) { return std::string(64, c); }

inline Asset make_asset(const std::string& name, const std::string& sha256, uint64_t size) {
  return Asset{
      name, sha256, size, std::string(32, 'm'), std::string(40, 's'), std::string(128, 'x')};
}

inline PackageVersion make_version(const std::string& version, std::vector<Asset> assets = {}) {
  PackageVersion v;
  v.version = version;
  v.display_name = "@scope/pkg";
  v.status = "Published";
  v.revision = "rev-" + version;
  v.published_time = 1700000200.25;
  v.entry_repository = "r";
  v.assets = std::move(assets);
  return v;
}

inline PackageKey npm_key(const std::string& name = "pkg", const std::string& ns = "scope") {
  return PackageKey{"npm", ns, name};
}

// A mutator that ignores the snapshot and returns `m`.
inline MetadataStore::PackageMutator set(PackageMutation m) {
  return [m = std::move(m)](const std::optional<PackageSnapshot>&) -> Result<PackageMutation> {
    return m;
  };
}

inline PackageMutation create(std::vector<PackageVersion> versions = {}) {
  PackageMutation m;
  m.origin = OriginRestrictions{};
  m.upsert_versions = std::move(versions);
  return m;
}

inline std::vector<std::string> versions_of(const PackageSnapshot& s) {
  std::vector<std::string> out;
  for (const auto& v : s.versions) out.push_back(v.version);
  return out;
}

inline std::vector<std::string> names_of(const std::vector<Package>& packages) {
  std::vector<std::string> out;
  for (const auto& p : packages) out.push_back(p.key.namespace_ + "/" + p.key.name);
  return out;
}

}  // namespace arca::store::conformance
