#include "formats/npm/semver.h"

#include <algorithm>
#include <charconv>

namespace arca::formats::npm {

namespace {

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

bool parse_number(std::string_view s, uint64_t& out) {
  if (!all_digits(s) || (s.size() > 1 && s[0] == '0')) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

bool valid_identifier(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok =
        (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
    if (!ok) return false;
  }
  return !(all_digits(s) && s.size() > 1 && s[0] == '0');
}

int compare_identifier(const std::string& a, const std::string& b) {
  bool na = all_digits(a), nb = all_digits(b);
  if (na && nb) {
    if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
    return a.compare(b) < 0 ? -1 : (a == b ? 0 : 1);
  }
  if (na != nb) return na ? -1 : 1;  // numeric identifiers have lower precedence
  return a.compare(b) < 0 ? -1 : (a == b ? 0 : 1);
}

}  // namespace

std::optional<SemVer> parse_semver(std::string_view s) {
  if (s.starts_with('v') || s.starts_with('=')) s.remove_prefix(1);
  if (size_t plus = s.find('+'); plus != std::string_view::npos) {
    std::string_view build = s.substr(plus + 1);
    if (build.empty()) return std::nullopt;
    s = s.substr(0, plus);
  }
  std::string_view core = s, pre;
  if (size_t dash = s.find('-'); dash != std::string_view::npos) {
    core = s.substr(0, dash);
    pre = s.substr(dash + 1);
    if (pre.empty()) return std::nullopt;
  }
  SemVer v;
  uint64_t* parts[] = {&v.major, &v.minor, &v.patch};
  for (int i = 0; i < 3; ++i) {
    size_t dot = core.find('.');
    if ((i < 2) == (dot == std::string_view::npos)) return std::nullopt;
    if (!parse_number(core.substr(0, dot), *parts[i])) return std::nullopt;
    core = i < 2 ? core.substr(dot + 1) : std::string_view();
  }
  while (!pre.empty()) {
    size_t dot = pre.find('.');
    std::string_view id = pre.substr(0, dot);
    if (!valid_identifier(id)) return std::nullopt;
    v.prerelease.emplace_back(id);
    if (dot == std::string_view::npos) break;
    pre.remove_prefix(dot + 1);
    if (pre.empty()) return std::nullopt;
  }
  return v;
}

int compare_semver(const SemVer& a, const SemVer& b) {
  if (a.major != b.major) return a.major < b.major ? -1 : 1;
  if (a.minor != b.minor) return a.minor < b.minor ? -1 : 1;
  if (a.patch != b.patch) return a.patch < b.patch ? -1 : 1;
  if (a.prerelease.empty() != b.prerelease.empty()) return a.prerelease.empty() ? 1 : -1;
  size_t n = std::min(a.prerelease.size(), b.prerelease.size());
  for (size_t i = 0; i < n; ++i)
    if (int c = compare_identifier(a.prerelease[i], b.prerelease[i]); c != 0) return c;
  if (a.prerelease.size() != b.prerelease.size())
    return a.prerelease.size() < b.prerelease.size() ? -1 : 1;
  return 0;
}

bool version_less(std::string_view a, std::string_view b) {
  auto va = parse_semver(a), vb = parse_semver(b);
  if (va && vb) {
    int c = compare_semver(*va, *vb);
    return c != 0 ? c < 0 : a < b;
  }
  if (va.has_value() != vb.has_value()) return !va.has_value();
  return a < b;
}

}  // namespace arca::formats::npm
