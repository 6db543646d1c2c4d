#include "store/metadata_store.h"

namespace arca::store {

std::string repository_cursor(const Repository& repo) {
  // '\x1f' (unit separator) cannot occur in account ids, domain or repository names.
  return repo.domain_owner + '\x1f' + repo.domain_name + '\x1f' + repo.name;
}

std::string package_cursor(const PackageKey& key) {
  return key.format + '\x1f' + key.namespace_ + '\x1f' + key.name;
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
