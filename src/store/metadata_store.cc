#include "store/metadata_store.h"

namespace arca::store {

std::string repository_cursor(const Repository& repo) {
  // '\x1f' (unit separator) cannot occur in account ids, domain or repository names.
  return repo.domain_owner + '\x1f' + repo.domain_name + '\x1f' + repo.name;
}

std::string package_cursor(const PackageKey& key) {
  return key.format + '\x1f' + key.namespace_ + '\x1f' + key.name;
}

}  // namespace arca::store
