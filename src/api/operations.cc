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
