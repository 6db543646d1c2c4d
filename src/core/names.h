#pragma once
// Name normalization shared by package identities (make_package_key) and package-group
// patterns, which must match them (reference §3, §6.3).
#include <string>
#include <string_view>

namespace arca::core {

// ASCII lowercase (nuget, swift, and the case-insensitive parts of other formats).
std::string ascii_lower(std::string_view s);
// PEP 503: lowercase, and runs of '.', '-', '_' become a single '-'.
std::string pep503_normalize(std::string_view s);

// §3: whether a format's packages carry a namespace (maven group, swift scope, generic
// namespace: required; npm scope: optional; every other format: none).
enum class NamespaceRule { kOptional, kRequired, kForbidden };
NamespaceRule namespace_rule(std::string_view format);

}  // namespace arca::core
