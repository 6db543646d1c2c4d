// Packages: batch version operations (reference §4.2, §4.3, §4.7, §4.8). All-or-nothing: when
// any requested version fails, the others are reported SKIPPED and nothing changes.
#include <set>

#include "core/packages.h"
#include "core/validate.h"

namespace arca::core {

Result<std::vector<std::string>> requested_versions(const BatchRequest& req) {
  std::vector<std::string> out = req.versions;
  if (out.empty())
    for (const auto& [v, rev] : req.version_revisions) out.push_back(v);
  if (out.empty()) return missing_field("versions");
  if (out.size() > 100)
    return field_error("versions", std::to_string(out.size()) + " versions",
                       "Member must have length less than or equal to 100");
  std::set<std::string> seen;
  for (const auto& v : out) {
    ARCA_TRY(validate_version_string("versions.member", v));
    if (!seen.insert(v).second) return invalid_argument("Version " + v + " is listed twice");
  }
  return out;
}

namespace {

Status validate_status_enum(std::string_view field, const std::string& s) {
  for (auto ok : {"Published", "Unfinished", "Unlisted", "Archived", "Disposed", "Deleted"})
    if (s == ok) return {};
  return field_error(field, s,
                     "Member must satisfy enum value set: [Published, Unfinished, Unlisted, "
                     "Archived, Disposed, Deleted]");
}

// The common per-version checks; nullopt when the version may proceed.
std::optional<VersionError> check_version(const store::PackageSnapshot& snap,
                                          const std::string& version, const BatchRequest& req) {
  const store::PackageVersion* v = find_version(snap, version);
  if (!v) return VersionError{"NOT_FOUND", "version " + version + " not found"};
  if (req.expected_status && v->status != *req.expected_status)
    return VersionError{"MISMATCHED_STATUS", "current status: " + v->status +
                                                 ", expected status: " + *req.expected_status};
  auto rev = req.version_revisions.find(version);
  if (rev != req.version_revisions.end() && rev->second != v->revision)
    return VersionError{"MISMATCHED_REVISION",
                        "current revision: " + v->revision + ", expected revision: " + rev->second};
  return std::nullopt;
}

// Marks every version without a result as SKIPPED and drops the successes.
void fail_all(BatchResult& r, const std::vector<std::string>& versions) {
  r.successful.clear();
  for (const auto& v : versions)
    if (!r.failed.count(v)) r.failed[v] = VersionError{"SKIPPED", "version " + v + " is skipped"};
}

}  // namespace

// Runs `decide` for each requested version inside the package's write transaction.
Result<BatchResult> Packages::run_batch(const auth::Principal& caller, const PackageInput& in,
                                        const BatchRequest& req, const char* action,
                                        const VersionDecider& decide) {
  if (req.expected_status) ARCA_TRY(validate_status_enum("expectedStatus", *req.expected_status));
  ARCA_ASSIGN_OR_RETURN(auto versions, requested_versions(req));
  ARCA_ASSIGN_OR_RETURN(auto rk, resolve(caller, in, action));
  BatchResult result;
  ARCA_TRY(mutate(
      rk.first, rk.second,
      [&](const std::optional<store::PackageSnapshot>& snap) -> Result<store::PackageMutation> {
        if (!snap) return not_found("package", in.package, "Package " + in.package + " not found");
        result = {};
        store::PackageMutation m;
        for (const auto& v : versions) {
          if (auto err = check_version(*snap, v, req)) {
            result.failed[v] = *err;
            continue;
          }
          decide(*snap, *find_version(*snap, v), m, result);
        }
        if (!result.failed.empty()) {
          fail_all(result, versions);
          return store::PackageMutation{};
        }
        return m;
      }));
  return result;
}

Result<BatchResult> Packages::update_status(const auth::Principal& caller, const PackageInput& in,
                                            const BatchRequest& req,
                                            const std::string& target_status) {
  if (target_status != status::kPublished && target_status != status::kUnlisted &&
      target_status != status::kArchived)
    return field_error("targetStatus", target_status,
                       "Member must satisfy enum value set: [Published, Unlisted, Archived]");
  return run_batch(caller, in, req, "UpdatePackageVersionsStatus",
                   [&](const store::PackageSnapshot&, const store::PackageVersion& v,
                       store::PackageMutation& m, BatchResult& r) {
                     if (v.status == status::kDisposed) {
                       r.failed[v.version] = {
                           "NOT_ALLOWED",
                           "version " + v.version + " is Disposed and cannot change status"};
                       return;
                     }
                     store::PackageVersion changed = v;
                     changed.status = target_status;  // a status change keeps the revision
                     m.upsert_versions.push_back(changed);
                     r.successful[v.version] = {v.revision, target_status};
                   });
}

Result<BatchResult> Packages::delete_versions(const auth::Principal& caller, const PackageInput& in,
                                              const BatchRequest& req) {
  return run_batch(caller, in, req, "DeletePackageVersions",
                   [&](const store::PackageSnapshot& snap, const store::PackageVersion& v,
                       store::PackageMutation& m, BatchResult& r) {
                     m.delete_versions.push_back(v.version);
                     for (const auto& [tag, target] : snap.package.dist_tags)
                       if (target == v.version) m.dist_tags[tag] = std::nullopt;
                     r.successful[v.version] = {v.revision, status::kDeleted};
                   });
}

Result<BatchResult> Packages::dispose_versions(const auth::Principal& caller,
                                               const PackageInput& in, const BatchRequest& req) {
  return run_batch(caller, in, req, "DisposePackageVersions",
                   [&](const store::PackageSnapshot&, const store::PackageVersion& v,
                       store::PackageMutation& m, BatchResult& r) {
                     store::PackageVersion changed = v;
                     changed.status = status::kDisposed;
                     changed.assets.clear();  // bytes reclaimed once unreferenced
                     m.upsert_versions.push_back(changed);
                     r.successful[v.version] = {v.revision, status::kDisposed};
                   });
}

}  // namespace arca::core
