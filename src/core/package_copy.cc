// Packages: CopyPackageVersions (reference §4.8). Copies metadata references only, never bytes.
#include "core/packages.h"
#include "core/validate.h"

namespace arca::core {

Result<BatchResult> Packages::copy_versions(const auth::Principal& caller,
                                            const PackageInput& source,
                                            const std::string& destination_repository,
                                            const BatchRequest& req, bool allow_overwrite,
                                            bool include_from_upstream) {
  // Upstream resolution arrives with issue C; until then includeFromUpstream adds nothing.
  (void)include_from_upstream;
  if (!req.versions.empty() && !req.version_revisions.empty())
    return invalid_argument("Specify either versions or versionRevisions, not both");
  ARCA_TRY(validate_repository_name("destinationRepository", destination_repository));
  PackageInput dest_in = source;
  dest_in.repository.repository = destination_repository;
  ARCA_ASSIGN_OR_RETURN(auto src, resolve(caller, source, "CopyPackageVersions"));
  ARCA_ASSIGN_OR_RETURN(auto dst, resolve(caller, dest_in, "CopyPackageVersions"));
  ARCA_ASSIGN_OR_RETURN(auto snap, store_.get_package(src.first, src.second));

  // Source-side checks decide the outcome before the destination is touched.
  std::vector<const store::PackageVersion*> chosen;
  BatchResult pre;
  ARCA_ASSIGN_OR_RETURN(std::vector<std::string> names, requested_versions(req));
  for (const auto& name : names) {
    const store::PackageVersion* v = find_version(snap, name);
    auto rev = req.version_revisions.find(name);
    if (!v)
      pre.failed[name] = {"NOT_FOUND", "version " + name + " not found"};
    else if (rev != req.version_revisions.end() && rev->second != v->revision)
      pre.failed[name] = {"MISMATCHED_REVISION", "current revision: " + v->revision +
                                                     ", expected revision: " + rev->second};
    else if (v->status == status::kDisposed)
      pre.failed[name] = {"NOT_ALLOWED", "version " + name + " is Disposed and cannot be copied"};
    else
      chosen.push_back(v);
  }

  BatchResult result;
  ARCA_TRY(mutate(
      dst.first, dst.second,
      [&](const std::optional<store::PackageSnapshot>& dest) -> Result<store::PackageMutation> {
        result = pre;
        store::PackageMutation m;
        if (!dest) m.origin = store::OriginRestrictions{"ALLOW", "BLOCK"};
        for (const auto* v : chosen) {
          const store::PackageVersion* existing = dest ? find_version(*dest, v->version) : nullptr;
          if (existing && existing->revision == v->revision) continue;  // idempotent
          if (existing && !allow_overwrite) {
            result.failed[v->version] = {
                "ALREADY_EXISTS",
                "version " + v->version + " already exists in " + destination_repository};
            continue;
          }
          m.upsert_versions.push_back(*v);
          result.successful[v->version] = {v->revision, v->status};
          for (const auto& [tag, target] : snap.package.dist_tags)
            if (target == v->version) m.dist_tags[tag] = target;
        }
        if (!result.failed.empty()) {
          result.successful.clear();
          for (const auto& n : names)
            if (!result.failed.count(n))
              result.failed[n] = {"SKIPPED", "version " + n + " is skipped"};
          return store::PackageMutation{};
        }
        return m;
      }));
  return result;
}

}  // namespace arca::core
