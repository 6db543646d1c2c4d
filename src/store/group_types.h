#pragma once
// Package-group records the metadata store persists (reference §6.2–6.5). No behaviour: pattern
// syntax, matching, hierarchy and the root group `/*` are core/'s (src/core/package_groups/).
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "store/types.h"

namespace arca::store {

// Origin restriction types and modes, as CodeArtifact spells them on the wire.
inline constexpr char kRestrictionPublish[] = "PUBLISH";
inline constexpr char kRestrictionExternalUpstream[] = "EXTERNAL_UPSTREAM";
inline constexpr char kRestrictionInternalUpstream[] = "INTERNAL_UPSTREAM";
inline constexpr char kModeAllow[] = "ALLOW";
inline constexpr char kModeBlock[] = "BLOCK";
inline constexpr char kModeAllowSpecificRepositories[] = "ALLOW_SPECIFIC_REPOSITORIES";
inline constexpr char kModeInherit[] = "INHERIT";

struct PackageGroup {
  std::string domain_owner, domain_name;
  std::string pattern;  // canonical text, the group's identity within its domain
  std::string description, contact_info;
  Timestamp created_time = 0;  // set by the store on create (system clock, seconds, ms precision)
  // Origin restriction modes by type: "PUBLISH", "EXTERNAL_UPSTREAM", "INTERNAL_UPSTREAM" ->
  // "ALLOW" | "BLOCK" | "ALLOW_SPECIFIC_REPOSITORIES" | "INHERIT". All three always present in
  // what the store returns; on create a missing type is "INHERIT".
  std::map<std::string, std::string> restrictions;
  // Allowed repository names by restriction type (only types with entries appear).
  std::map<std::string, std::set<std::string>> allowed_repositories;
};

// Partial update of a package group; unset / empty members leave it as it is.
struct PackageGroupUpdate {
  std::optional<std::string> description, contact_info;
  std::map<std::string, std::string> restrictions;                  // type -> new mode
  std::vector<std::pair<std::string, std::string>> add_allowed;     // (type, repository)
  std::vector<std::pair<std::string, std::string>> remove_allowed;  // (type, repository)
};

}  // namespace arca::store
