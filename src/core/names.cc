#include "core/names.h"

namespace arca::core {

namespace {
char lower_char(char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; }
}  // namespace

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = lower_char(c);
  return out;
}

std::string pep503_normalize(std::string_view s) {
  std::string out;
  bool in_run = false;
  for (char c : s) {
    if (c == '.' || c == '-' || c == '_') {
      if (!in_run) out += '-';
      in_run = true;
    } else {
      out += lower_char(c);
      in_run = false;
    }
  }
  return out;
}

NamespaceRule namespace_rule(std::string_view format) {
  if (format == "maven" || format == "swift" || format == "generic")
    return NamespaceRule::kRequired;
  if (format == "npm") return NamespaceRule::kOptional;
  return NamespaceRule::kForbidden;
}

}  // namespace arca::core
