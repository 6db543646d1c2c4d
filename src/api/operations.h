#pragma once
// The CodeArtifact operations, one handler each, and the table that routes (method, path) to
// them. Internal to api/.
#include <string_view>

#include "api/op_context.h"
#include "core/validate.h"

namespace arca::api {

struct Operation {
  std::string_view method;
  std::string_view path;
  std::string_view name;  // the model's operation name
  OpFn fn = nullptr;
  RawOpFn raw = nullptr;  // set instead of fn for raw-payload operations
};

// nullptr when no operation has this method and path.
const Operation* find_operation(std::string_view method, std::string_view path);
// True when some operation has this path (with another method).
bool known_path(std::string_view path);

OpResult create_domain(OpContext&);
OpResult describe_domain(OpContext&);
OpResult delete_domain(OpContext&);
OpResult list_domains(OpContext&);
OpResult get_authorization_token(OpContext&);
OpResult create_repository(OpContext&);
OpResult describe_repository(OpContext&);
OpResult update_repository(OpContext&);
OpResult delete_repository(OpContext&);
OpResult list_repositories(OpContext&);
OpResult list_repositories_in_domain(OpContext&);
OpResult get_repository_endpoint(OpContext&);
OpResult associate_external_connection(OpContext&);
OpResult disassociate_external_connection(OpContext&);
OpResult tag_resource(OpContext&);
OpResult untag_resource(OpContext&);
OpResult list_tags_for_resource(OpContext&);
OpResult list_packages(OpContext&);
OpResult describe_package(OpContext&);
OpResult delete_package(OpContext&);
OpResult put_package_origin_configuration(OpContext&);
OpResult list_package_versions(OpContext&);
OpResult describe_package_version(OpContext&);
OpResult list_package_version_assets(OpContext&);
OpResult get_package_version_readme(OpContext&);
OpResult list_package_version_dependencies(OpContext&);
OpResult update_package_versions_status(OpContext&);
OpResult delete_package_versions(OpContext&);
OpResult dispose_package_versions(OpContext&);
OpResult copy_package_versions(OpContext&);
Result<http::Response> get_package_version_asset(OpContext&);
OpResult create_package_group(OpContext&);
OpResult describe_package_group(OpContext&);
OpResult update_package_group(OpContext&);
OpResult delete_package_group(OpContext&);
OpResult update_package_group_origin_configuration(OpContext&);
OpResult list_package_groups(OpContext&);
OpResult list_sub_package_groups(OpContext&);
OpResult get_associated_package_group(OpContext&);
OpResult list_associated_packages(OpContext&);
OpResult list_allowed_repositories_for_group(OpContext&);

}  // namespace arca::api
