// Retention of upstream versions (reference §5.3): a reference, never a copy of the bytes.
#include "core/packages.h"

namespace arca::core {

Status Packages::retain(const store::RepositoryRef& repo, const store::PackageKey& key,
                        store::PackageVersion v) {
  ARCA_TRY(validate_version_string("version", v.version));
  v.status = status::kPublished;
  if (v.revision.empty()) v.revision = compute_revision(v);
  bool added = false;
  {
    std::lock_guard gc(blob_gc_mu_);  // the blobs must not be reclaimed under this commit
    for (const auto& a : v.assets)
      if (!blobs_.stat(a.sha256)) return unavailable("Asset " + a.name + " is no longer stored");
    // Only this version is loaded, not every version the repository caches of the package.
    auto outcome = store_.mutate_versions(
        repo, key, {v.version},
        [&](const std::optional<store::PackageSnapshot>& snap) -> Result<store::PackageMutation> {
          store::PackageMutation m;
          if (snap && find_version(*snap, v.version)) return m;  // already here: keep it
          if (!snap) m.origin = store::OriginRestrictions{"BLOCK", "ALLOW"};
          m.upsert_versions.push_back(v);
          added = true;
          return m;
        });
    if (!outcome) return outcome.error();
  }
  if (added) notify(repo, key, &v);
  return {};
}

}  // namespace arca::core
