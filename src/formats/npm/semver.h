#pragma once
// SemVer 2.0 precedence, as npm orders versions (for "latest" fix-ups and search results).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace arca::formats::npm {

struct SemVer {
  uint64_t major = 0, minor = 0, patch = 0;
  std::vector<std::string> prerelease;  // dot-separated identifiers; empty for a release
  // Build metadata is ignored for precedence.
};

// Parses "1.2.3", "1.2.3-beta.1", "1.2.3+build", "v1.2.3" (a leading 'v' as npm's loose parse).
std::optional<SemVer> parse_semver(std::string_view s);

// <0, 0, >0 by SemVer precedence.
int compare_semver(const SemVer& a, const SemVer& b);

// Orders version strings: valid SemVer by precedence, invalid ones before all valid ones (by
// string). True when a < b.
bool version_less(std::string_view a, std::string_view b);

}  // namespace arca::formats::npm
