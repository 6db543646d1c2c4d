#include "store/metadata_store.h"

namespace arca::store {

std::string repository_cursor(const Repository& repo) {
  // '\x1f' (unit separator) cannot occur in account ids, domain or repository names.
  return repo.domain_owner + '\x1f' + repo.domain_name + '\x1f' + repo.name;
}

}  // namespace arca::store
