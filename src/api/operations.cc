#include "api/operations.h"

#include <array>

namespace arca::api {

namespace {
// Paths and methods exactly as the model's HTTP bindings (reference §1.6).
constexpr std::array kOperations = {
    Operation{"POST", "/v1/domain", "CreateDomain", create_domain},
    Operation{"GET", "/v1/domain", "DescribeDomain", describe_domain},
    Operation{"DELETE", "/v1/domain", "DeleteDomain", delete_domain},
    Operation{"POST", "/v1/domains", "ListDomains", list_domains},
    Operation{"POST", "/v1/authorization-token", "GetAuthorizationToken", get_authorization_token},
    Operation{"POST", "/v1/repository", "CreateRepository", create_repository},
    Operation{"GET", "/v1/repository", "DescribeRepository", describe_repository},
    Operation{"PUT", "/v1/repository", "UpdateRepository", update_repository},
    Operation{"DELETE", "/v1/repository", "DeleteRepository", delete_repository},
    Operation{"POST", "/v1/repositories", "ListRepositories", list_repositories},
    Operation{"POST", "/v1/domain/repositories", "ListRepositoriesInDomain",
              list_repositories_in_domain},
    Operation{"GET", "/v1/repository/endpoint", "GetRepositoryEndpoint", get_repository_endpoint},
    Operation{"POST", "/v1/repository/external-connection", "AssociateExternalConnection",
              associate_external_connection},
    Operation{"DELETE", "/v1/repository/external-connection", "DisassociateExternalConnection",
              disassociate_external_connection},
    Operation{"POST", "/v1/tag", "TagResource", tag_resource},
    Operation{"POST", "/v1/untag", "UntagResource", untag_resource},
    Operation{"POST", "/v1/tags", "ListTagsForResource", list_tags_for_resource},
    Operation{"POST", "/v1/packages", "ListPackages", list_packages},
    Operation{"GET", "/v1/package", "DescribePackage", describe_package},
    Operation{"DELETE", "/v1/package", "DeletePackage", delete_package},
    Operation{"POST", "/v1/package", "PutPackageOriginConfiguration",
              put_package_origin_configuration},
    Operation{"POST", "/v1/package/versions", "ListPackageVersions", list_package_versions},
    Operation{"GET", "/v1/package/version", "DescribePackageVersion", describe_package_version},
    Operation{"POST", "/v1/package/version/assets", "ListPackageVersionAssets",
              list_package_version_assets},
    Operation{"GET", "/v1/package/version/asset", "GetPackageVersionAsset", nullptr,
              get_package_version_asset},
    Operation{"POST", "/v1/package-group", "CreatePackageGroup", create_package_group},
    Operation{"GET", "/v1/package-group", "DescribePackageGroup", describe_package_group},
    Operation{"PUT", "/v1/package-group", "UpdatePackageGroup", update_package_group},
    Operation{"DELETE", "/v1/package-group", "DeletePackageGroup", delete_package_group},
    Operation{"PUT", "/v1/package-group-origin-configuration",
              "UpdatePackageGroupOriginConfiguration", update_package_group_origin_configuration},
    Operation{"POST", "/v1/package-groups", "ListPackageGroups", list_package_groups},
    Operation{"POST", "/v1/package-groups/sub-groups", "ListSubPackageGroups",
              list_sub_package_groups},
    Operation{"GET", "/v1/get-associated-package-group", "GetAssociatedPackageGroup",
              get_associated_package_group},
    Operation{"GET", "/v1/list-associated-packages", "ListAssociatedPackages",
              list_associated_packages},
    Operation{"GET", "/v1/package-group-allowed-repositories", "ListAllowedRepositoriesForGroup",
              list_allowed_repositories_for_group},
    Operation{"GET", "/v1/package/version/readme", "GetPackageVersionReadme",
              get_package_version_readme},
    Operation{"POST", "/v1/package/version/dependencies", "ListPackageVersionDependencies",
              list_package_version_dependencies},
    Operation{"POST", "/v1/package/versions/update_status", "UpdatePackageVersionsStatus",
              update_package_versions_status},
    Operation{"POST", "/v1/package/versions/delete", "DeletePackageVersions",
              delete_package_versions},
    Operation{"POST", "/v1/package/versions/dispose", "DisposePackageVersions",
              dispose_package_versions},
    Operation{"POST", "/v1/package/versions/copy", "CopyPackageVersions", copy_package_versions},
};
}  // namespace

const Operation* find_operation(std::string_view method, std::string_view path) {
  for (const auto& op : kOperations)
    if (op.method == method && op.path == path) return &op;
  return nullptr;
}

bool known_path(std::string_view path) {
  for (const auto& op : kOperations)
    if (op.path == path) return true;
  return false;
}

}  // namespace arca::api
