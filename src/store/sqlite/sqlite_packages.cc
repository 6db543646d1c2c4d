// SqliteMetadataStore: packages, versions, assets.
#include "store/sqlite/sqlite_metadata_store.h"
#include "store/sqlite/sqlite_rows.h"

namespace arca::store {

namespace {
Error not_implemented() { return internal_error("metadata store: packages not implemented yet"); }
}  // namespace

Result<PackageSnapshot> SqliteMetadataStore::get_package(const RepositoryRef&, const PackageKey&) {
  return not_implemented();
}

Result<std::vector<Package>> SqliteMetadataStore::list_packages(const RepositoryRef&,
                                                                const PackageFilter&,
                                                                const Page&) {
  return not_implemented();
}

Result<MutationOutcome> SqliteMetadataStore::mutate_package(const RepositoryRef&,
                                                            const PackageKey&,
                                                            const PackageMutator&) {
  return not_implemented();
}

Result<size_t> SqliteMetadataStore::count_blob_references(const std::string&) {
  return not_implemented();
}

Result<uint64_t> SqliteMetadataStore::domain_asset_bytes(const std::string&, const std::string&) {
  return not_implemented();
}

}  // namespace arca::store
