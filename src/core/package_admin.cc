// Packages: control-plane reads and edits of packages and versions (reference §4.9, §6.1).
#include <algorithm>

#include "core/packages.h"
#include "core/pagination.h"
#include "core/validate.h"

namespace arca::core {

namespace {
Status validate_restriction(std::string_view field, const std::string& v) {
  if (v == "ALLOW" || v == "BLOCK") return {};
  return field_error(field, v, "Member must satisfy enum value set: [ALLOW, BLOCK]");
}

Result<size_t> page_start(const ListParams& p, size_t& limit) {
  limit = size_t(p.max_results.value_or(kDefaultMaxResults));
  ARCA_TRY(validate_max_results("maxResults", p.max_results.value_or(kDefaultMaxResults)));
  if (!p.next_token) return size_t(0);
  ARCA_ASSIGN_OR_RETURN(std::string cursor, decode_page_token("nextToken", *p.next_token));
  size_t offset = 0;
  for (char c : cursor) {
    if (c < '0' || c > '9' || offset > 1'000'000'000)
      return field_error("nextToken", *p.next_token,
                         "Member must be a token returned by a previous call");
    offset = offset * 10 + size_t(c - '0');
  }
  return offset;
}
}  // namespace

Result<std::pair<store::RepositoryRef, store::PackageKey>> Packages::resolve(
    const auth::Principal& caller, const PackageInput& in, const char* action) {
  ARCA_ASSIGN_OR_RETURN(auto key, make_package_key(in.format, in.namespace_, in.package));
  ARCA_ASSIGN_OR_RETURN(auto repo, control_.load_repository(caller, in.repository, action));
  return std::make_pair(store::RepositoryRef{repo.domain_owner, repo.domain_name, repo.name},
                        std::move(key));
}

Result<store::Package> Packages::describe_package(const auth::Principal& caller,
                                                  const PackageInput& in) {
  ARCA_ASSIGN_OR_RETURN(auto rk, resolve(caller, in, "DescribePackage"));
  ARCA_ASSIGN_OR_RETURN(auto snap, store_.get_package(rk.first, rk.second));
  return snap.package;
}

Result<PageOf<store::Package>> Packages::list_packages(const auth::Principal& caller,
                                                       const RepositoryInput& repo_in,
                                                       const store::PackageFilter& filter,
                                                       const ListParams& p) {
  if (filter.format) ARCA_TRY(validate_format("format", *filter.format));
  if (filter.publish) ARCA_TRY(validate_restriction("publish", *filter.publish));
  if (filter.upstream) ARCA_TRY(validate_restriction("upstream", *filter.upstream));
  ARCA_ASSIGN_OR_RETURN(auto repo, control_.load_repository(caller, repo_in, "ListPackages"));
  ARCA_ASSIGN_OR_RETURN(store::Page page, start_keyset_page(p));
  store::RepositoryRef ref{repo.domain_owner, repo.domain_name, repo.name};
  ARCA_ASSIGN_OR_RETURN(auto rows, store_.list_packages(ref, filter, page));
  return finish_keyset_page(std::move(rows), page, [](const store::Package& pkg) {
    return store::package_cursor(pkg.key);
  });
}

Result<store::Package> Packages::delete_package(const auth::Principal& caller,
                                                const PackageInput& in) {
  ARCA_ASSIGN_OR_RETURN(auto rk, resolve(caller, in, "DeletePackage"));
  store::Package deleted;
  ARCA_TRY(mutate(
      rk.first, rk.second,
      [&](const std::optional<store::PackageSnapshot>& snap) -> Result<store::PackageMutation> {
        if (!snap) return not_found("package", in.package, "Package not found");
        deleted = snap->package;
        store::PackageMutation m;
        m.delete_package = true;
        return m;
      }));
  return deleted;
}

Result<store::OriginRestrictions> Packages::put_origin_configuration(
    const auth::Principal& caller, const PackageInput& in,
    const store::OriginRestrictions& restrictions) {
  ARCA_TRY(validate_restriction("restrictions.publish", restrictions.publish));
  ARCA_TRY(validate_restriction("restrictions.upstream", restrictions.upstream));
  ARCA_ASSIGN_OR_RETURN(auto rk, resolve(caller, in, "PutPackageOriginConfiguration"));
  ARCA_TRY(
      mutate(rk.first, rk.second,
             [&](const std::optional<store::PackageSnapshot>&) -> Result<store::PackageMutation> {
               store::PackageMutation m;
               m.origin = restrictions;
               return m;
             }));
  return restrictions;
}

namespace {
// npm: the `latest` tag's target; otherwise the most recently published version (§4.9).
std::string default_display_version(const store::PackageSnapshot& snap) {
  auto it = snap.package.dist_tags.find("latest");
  if (snap.package.key.format == "npm" && it != snap.package.dist_tags.end()) return it->second;
  const store::PackageVersion* newest = nullptr;
  for (const auto& v : snap.versions)
    if (!newest || v.published_time >= newest->published_time) newest = &v;
  return newest ? newest->version : std::string();
}
}  // namespace

Result<VersionPage> Packages::list_versions(const auth::Principal& caller, const PackageInput& in,
                                            const VersionListFilter& filter, const ListParams& p) {
  size_t limit = 0;
  ARCA_ASSIGN_OR_RETURN(size_t offset, page_start(p, limit));
  ARCA_ASSIGN_OR_RETURN(auto rk, resolve(caller, in, "ListPackageVersions"));
  ARCA_ASSIGN_OR_RETURN(auto snap, store_.get_package(rk.first, rk.second));
  VersionPage out;
  out.key = snap.package.key;
  out.default_display_version = default_display_version(snap);
  std::vector<store::PackageVersion> all;
  for (auto& v : snap.versions) {
    if (filter.status && v.status != *filter.status) continue;
    if (filter.origin_type && v.origin_type != *filter.origin_type) continue;
    all.push_back(std::move(v));
  }
  if (filter.sort_by_published_time)
    std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
      return a.published_time > b.published_time;
    });
  for (size_t i = offset; i < all.size() && out.versions.size() < limit; ++i)
    out.versions.push_back(std::move(all[i]));
  if (offset + out.versions.size() < all.size())
    out.next_token = encode_page_token(std::to_string(offset + out.versions.size()));
  return out;
}

Result<store::PackageVersion> Packages::describe_version(const auth::Principal& caller,
                                                         const PackageInput& in,
                                                         const std::string& version) {
  ARCA_TRY(validate_version_string("packageVersion", version));
  ARCA_ASSIGN_OR_RETURN(auto rk, resolve(caller, in, "DescribePackageVersion"));
  ARCA_ASSIGN_OR_RETURN(auto snap, store_.get_package(rk.first, rk.second));
  const store::PackageVersion* v = find_version(snap, version);
  if (!v)
    return not_found("package-version", version,
                     "Package version " + version + " of " + in.package + " not found");
  return *v;
}

Result<AssetHandle> Packages::get_asset(const auth::Principal& caller, const PackageInput& in,
                                        const std::string& version, const std::string& asset,
                                        const std::optional<std::string>& revision) {
  ARCA_ASSIGN_OR_RETURN(auto v, describe_version(caller, in, version));
  if (v.status == status::kArchived || v.status == status::kDisposed)
    return not_found("asset", asset,
                     "Assets of version " + version + " cannot be read while it is " + v.status);
  if (revision && *revision != v.revision)
    return not_found("package-version", version,
                     "Revision " + *revision + " of version " + version + " not found");
  return asset_handle(v, asset);
}

}  // namespace arca::core
