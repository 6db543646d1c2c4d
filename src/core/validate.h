#pragma once
// Field validation with the CodeArtifact model's patterns and lengths. Each check returns a
// ValidationException-shaped error (kInvalidArgument, reason FIELD_VALIDATION_FAILED) whose
// message names the field the way AWS does:
//   "1 validation error detected: Value 'X' at 'domain' failed to satisfy constraint: ..."
#include <optional>
#include <string>
#include <string_view>

#include "util/error.h"

namespace arca::core {

Status validate_domain_name(std::string_view field, std::string_view v);
Status validate_account_id(std::string_view field, std::string_view v);
Status validate_repository_name(std::string_view field, std::string_view v);
Status validate_external_connection_name(std::string_view field, std::string_view v);
Status validate_description(std::string_view field, std::string_view v);  // <= 1000, no controls
Status validate_tag_key(std::string_view field, std::string_view v);
Status validate_tag_value(std::string_view field, std::string_view v);
Status validate_arn(std::string_view field, std::string_view v);
// One of the eight package formats (npm pypi maven nuget generic ruby swift cargo).
bool is_package_format(std::string_view v);
Status validate_format(std::string_view field, std::string_view v);  // npm pypi maven ...
// maxResults 1..1000 (default applied by the caller when absent).
Status validate_max_results(std::string_view field, int64_t v);

// The AWS-style message for a value that failed `constraint`.
Error field_error(std::string_view field, std::string_view value, std::string_view constraint);
// "Member must not be null" for a missing required member.
Error missing_field(std::string_view field);

// True when `v` contains a Unicode control character (C0, DEL, C1) — the model's \P{C} rule
// restricted to what matters on the wire.
bool has_control_chars(std::string_view v);

}  // namespace arca::core
