#include "store/metadata_store.h"

#include <algorithm>

namespace arca::store {

std::string repository_cursor(const Repository& repo) {
  // '\x1f' (unit separator) cannot occur in account ids, domain or repository names.
  return repo.domain_owner + '\x1f' + repo.domain_name + '\x1f' + repo.name;
}

std::string package_cursor(const PackageKey& key) {
  return key.format + '\x1f' + key.namespace_ + '\x1f' + key.name;
}

std::string repository_key(const RepositoryRef& ref) {
  return ref.domain_owner + '\x1f' + ref.domain_name + '\x1f' + ref.repository;
}

std::string package_display(const PackageKey& key) {
  return key.namespace_.empty() ? key.name : key.namespace_ + "/" + key.name;
}

Error package_not_found(const RepositoryRef& repo, const PackageKey& key) {
  return not_found("package", key.name,
                   "Package " + package_display(key) + " of format " + key.format +
                       " does not exist in repository " + repo.repository + " in domain " +
                       repo.domain_name + " owned by account " + repo.domain_owner);
}

bool is_absent_package(const Error& e) {
  return e.code == Code::kNotFound && e.resource_type == "package";
}

Status check_version_scope(const PackageMutation& m, const std::vector<std::string>& versions) {
  auto in_scope = [&](const std::string& v) {
    return std::find(versions.begin(), versions.end(), v) != versions.end();
  };
  if (m.delete_package) return internal_error("mutate_versions: a package delete is out of scope");
  for (const auto& v : m.upsert_versions)
    if (!in_scope(v.version))
      return internal_error("mutate_versions: version " + v.version + " is out of scope");
  for (const auto& v : m.delete_versions)
    if (!in_scope(v)) return internal_error("mutate_versions: version " + v + " is out of scope");
  return {};
}

Result<MutationOutcome> MetadataStore::mutate_versions(const RepositoryRef& repo,
                                                       const PackageKey& key,
                                                       const std::vector<std::string>& versions,
                                                       const PackageMutator& fn) {
  return mutate_package(
      repo, key, [&](const std::optional<PackageSnapshot>& snapshot) -> Result<PackageMutation> {
        std::optional<PackageSnapshot> scoped;
        if (snapshot) {
          scoped.emplace();
          scoped->package = snapshot->package;
          for (const auto& v : snapshot->versions)
            if (std::find(versions.begin(), versions.end(), v.version) != versions.end())
              scoped->versions.push_back(v);
        }
        ARCA_ASSIGN_OR_RETURN(PackageMutation m, fn(scoped));
        ARCA_TRY(check_version_scope(m, versions));
        return m;
      });
}

Result<PackageSnapshot> MetadataStore::get_package_versions(
    const RepositoryRef& repo, const PackageKey& key, const std::vector<std::string>& versions) {
  ARCA_ASSIGN_OR_RETURN(PackageSnapshot snapshot, get_package(repo, key));
  std::erase_if(snapshot.versions, [&](const PackageVersion& v) {
    return std::find(versions.begin(), versions.end(), v.version) == versions.end();
  });
  return snapshot;
}

Result<bool> MetadataStore::has_version(const RepositoryRef& repo, const PackageKey& key,
                                        const std::string& version) {
  auto snapshot = get_package(repo, key);
  if (!snapshot) {
    if (snapshot.error().code == Code::kNotFound && snapshot.error().resource_type == "package")
      return false;
    return snapshot.error();
  }
  for (const auto& v : snapshot->versions)
    if (v.version == version) return true;
  return false;
}

}  // namespace arca::store
