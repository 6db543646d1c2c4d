#include "core/package_groups/pattern.h"

#include <cstdio>
#include <optional>
#include <tuple>
#include <vector>

#include "core/names.h"
#include "core/validate.h"

namespace arca::core::package_groups {
namespace {

constexpr size_t kMinLength = 2;
constexpr size_t kMaxLength = 520;
constexpr size_t kMaxComponent = 255;  // §1.5: namespace and name are 1–255 characters

// Decodes the UTF-8 code point at s[i], advancing i; nullopt for malformed, overlong or
// surrogate encodings.
std::optional<char32_t> next_code_point(std::string_view s, size_t& i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char b0 = byte(i);
  size_t len = b0 < 0x80           ? 1
               : (b0 >> 5) == 0x6  ? 2
               : (b0 >> 4) == 0xe  ? 3
               : (b0 >> 3) == 0x1e ? 4
                                   : 0;
  if (len == 0 || i + len > s.size()) return std::nullopt;
  char32_t cp = len == 1 ? b0 : len == 2 ? (b0 & 0x1f) : len == 3 ? (b0 & 0x0f) : (b0 & 0x07);
  for (size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (byte(i + k) & 0x3f);
  }
  static constexpr char32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMinForLength[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
    return std::nullopt;
  i += len;
  return cp;
}

// Unicode White_Space (the model's \p{IsWhitespace}).
bool is_whitespace(char32_t c) {
  return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 || c == 0xa0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f ||
         c == 0x3000;
}

// General category C (the model's \p{C}): controls (Cc), format characters (Cf), private use
// (Co) and noncharacters. Other unassigned code points (Cn) would need the Unicode tables and
// are let through; surrogates never decode.
bool is_other(char32_t c) {
  struct Range {
    char32_t lo, hi;
  };
  static constexpr Range kRanges[] = {
      {0x0000, 0x001f},   {0x007f, 0x009f},   {0x00ad, 0x00ad},   {0x0600, 0x0605},
      {0x061c, 0x061c},   {0x06dd, 0x06dd},   {0x070f, 0x070f},   {0x0890, 0x0891},
      {0x08e2, 0x08e2},   {0x180e, 0x180e},   {0x200b, 0x200f},   {0x202a, 0x202e},
      {0x2060, 0x2064},   {0x2066, 0x206f},   {0xe000, 0xf8ff},   {0xfdd0, 0xfdef},
      {0xfeff, 0xfeff},   {0xfff9, 0xfffb},   {0x110bd, 0x110bd}, {0x110cd, 0x110cd},
      {0x13430, 0x1343f}, {0x1bca0, 0x1bca3}, {0x1d173, 0x1d17a}, {0xe0001, 0xe0001},
      {0xe0020, 0xe007f}, {0xf0000, 0x10ffff}};
  if ((c & 0xfffe) == 0xfffe) return true;  // U+xFFFE and U+xFFFF in every plane
  for (const auto& r : kRanges)
    if (c >= r.lo && c <= r.hi) return true;
  return false;
}

std::string code_point_name(char32_t c) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(c));
  return buf;
}

// The pattern as shown in messages: at most 120 bytes, cut on a UTF-8 boundary.
std::string shown(std::string_view v) {
  if (v.size() <= 120) return std::string(v);
  size_t cut = 120;
  while (cut > 0 && (static_cast<unsigned char>(v[cut]) & 0xc0) == 0x80) --cut;
  return std::string(v.substr(0, cut)) + "...";
}

// Each check below returns what is wrong with the pattern, or an empty string.

// §1.5: 2–520 characters of [^\p{C}\p{IsWhitespace}].
std::string check_characters(std::string_view text) {
  size_t count = 0;
  for (size_t i = 0; i < text.size(); ++count) {
    auto cp = next_code_point(text, i);
    if (!cp) return "it is not valid UTF-8";
    if (is_whitespace(*cp)) return "it must not contain whitespace (" + code_point_name(*cp) + ")";
    if (is_other(*cp))
      return "it must not contain control or format characters (" + code_point_name(*cp) + ")";
  }
  if (count < kMinLength || count > kMaxLength)
    return "it must be between 2 and 520 characters long, not " + std::to_string(count);
  return {};
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    size_t end = s.find(sep, start);
    parts.push_back(s.substr(start, end == std::string_view::npos ? s.npos : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

// Where '*', '~' and '$' may stand: '*' only as a whole last component, '~' and '$' only as the
// pattern's last character.
std::string check_specials(const std::vector<std::string_view>& parts) {
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string_view part = parts[i];
    bool last = i + 1 == parts.size();
    if (part.find('*') != part.npos) {
      if (part != "*") return "'*' must be a whole component, directly after a '/'";
      if (!last) return "'*' must be the last component";
    }
    size_t special = part.find_first_of("~$");
    if (special != part.npos && !(last && special + 1 == part.size()))
      return std::string("'") + part[special] + "' may only end the pattern";
  }
  return {};
}

// Splits `text` into one of the six shapes (§6.3), filling `p` with its raw components.
std::string parse_shape(std::string_view text, Pattern& p) {
  if (text.front() != '/') return "it must start with '/'";
  std::vector<std::string_view> parts = split(text.substr(1), '/');
  if (auto problem = check_specials(parts); !problem.empty()) return problem;
  std::string_view last = parts.back();
  char suffix = last.empty() ? '\0' : last.back();
  if (suffix != '*' && suffix != '~' && suffix != '$') return "it must end with '/*', '~' or '$'";
  if (parts.size() > 3) return "it has too many components (at most /{format}/{namespace}/{name})";
  if (parts.size() == 1) {
    if (suffix == '*') {
      p.kind = PatternKind::kRoot;
      return {};
    }
    return std::string("'") + suffix + "' must follow a namespace or a name, not a format";
  }
  if (parts[0].empty()) return "the format component is empty";
  if (!is_package_format(parts[0]))
    return "unknown package format '" + std::string(parts[0]) +
           "' (expected one of npm, pypi, maven, nuget, generic, ruby, swift, cargo)";
  p.format = std::string(parts[0]);
  std::string_view body = last.substr(0, last.size() - 1);
  if (parts.size() == 2) {
    if (suffix == '*') {
      p.kind = PatternKind::kFormat;
    } else if (suffix == '~') {
      if (body.empty()) return "'~' needs a namespace prefix before it";
      p.kind = PatternKind::kNamespacePrefix;
      p.namespace_ = std::string(body);
    } else {
      return "'$' must follow a package name, and a name needs a namespace segment before it "
             "(empty when the package has none, as in '/npm//react$')";
    }
    return {};
  }
  p.namespace_ = std::string(parts[1]);
  if (suffix == '*') {
    p.kind = PatternKind::kNamespace;
  } else {
    if (body.empty())
      return suffix == '~' ? "'~' needs a name prefix before it" : "'$' needs a name before it";
    p.kind = suffix == '~' ? PatternKind::kNamePrefix : PatternKind::kExact;
    p.name = std::string(body);
  }
  return {};
}

size_t count_code_points(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  return n;
}

// §1.5 for one namespace or name component: at most 255 characters of [^#/\s].
std::string check_component(std::string_view what, std::string_view v) {
  if (count_code_points(v) > kMaxComponent)
    return "the " + std::string(what) + " must be at most 255 characters long";
  if (v.find('#') != v.npos)
    return "the " + std::string(what) + " '" + std::string(v) + "' must not contain '#'";
  return {};
}

bool has_namespace_segment(PatternKind k) {
  return k == PatternKind::kNamespace || k == PatternKind::kNamePrefix || k == PatternKind::kExact;
}

// §6.3: namespaces per format, npm scopes without '@', swift namespaces lowercase.
std::string check_namespace(const Pattern& p) {
  const std::string& f = p.format;
  const std::string& ns = p.namespace_;
  switch (namespace_rule(f)) {
    case NamespaceRule::kForbidden:
      if (p.kind == PatternKind::kNamespacePrefix || !ns.empty())
        return f + " packages have no namespace: leave the namespace segment empty, as in '/" + f +
               "//name$'";
      return {};
    case NamespaceRule::kRequired:
      if (has_namespace_segment(p.kind) && ns.empty())
        return f + " packages always have a namespace: it must be given whenever a name is";
      break;
    case NamespaceRule::kOptional:
      if (!ns.empty() && ns.front() == '@')
        return "npm scopes are written without '@' ('" + ns.substr(1) + "', not '" + ns + "')";
      break;
  }
  if (f == "swift" && ascii_lower(ns) != ns)
    return "swift namespaces must be written normalized (lowercase): '" + ascii_lower(ns) +
           "', not '" + ns + "'";
  return {};
}

// §3, §6.3: pypi, nuget and swift names are matched normalized, so patterns must spell them so.
std::string check_name(const Pattern& p) {
  if (p.name.empty()) return {};
  std::string normalized = p.name;
  const char* rule = nullptr;
  if (p.format == "pypi") {
    normalized = pep503_normalize(p.name);
    rule = "PEP 503";
  } else if (p.format == "nuget" || p.format == "swift") {
    normalized = ascii_lower(p.name);
    rule = "lowercase";
  }
  if (normalized == p.name) return {};
  return p.format + " package names must be written normalized (" + rule + "): '" + normalized +
         "', not '" + p.name + "'";
}

std::string validate(std::string_view text, Pattern& p) {
  if (auto problem = check_characters(text); !problem.empty()) return problem;
  if (auto problem = parse_shape(text, p); !problem.empty()) return problem;
  if (!p.namespace_.empty()) {
    auto what = p.kind == PatternKind::kNamespacePrefix ? "namespace prefix" : "namespace";
    if (auto problem = check_component(what, p.namespace_); !problem.empty()) return problem;
  }
  if (!p.name.empty()) {
    auto what = p.kind == PatternKind::kNamePrefix ? "name prefix" : "name";
    if (auto problem = check_component(what, p.name); !problem.empty()) return problem;
  }
  if (p.kind == PatternKind::kRoot || p.kind == PatternKind::kFormat) return {};
  if (auto problem = check_namespace(p); !problem.empty()) return problem;
  return check_name(p);
}

}  // namespace

std::string Pattern::text() const {
  switch (kind) {
    case PatternKind::kRoot:
      return "/*";
    case PatternKind::kFormat:
      return "/" + format + "/*";
    case PatternKind::kNamespacePrefix:
      return "/" + format + "/" + namespace_ + "~";
    case PatternKind::kNamespace:
      return "/" + format + "/" + namespace_ + "/*";
    case PatternKind::kNamePrefix:
      return "/" + format + "/" + namespace_ + "/" + name + "~";
    case PatternKind::kExact:
      return "/" + format + "/" + namespace_ + "/" + name + "$";
  }
  return {};
}

Result<Pattern> parse_pattern(std::string_view text) {
  Pattern p;
  if (auto problem = validate(text, p); !problem.empty())
    return invalid_argument("Invalid package group pattern '" + shown(text) + "': " + problem);
  return p;
}

bool matches(const Pattern& p, const store::PackageKey& key) {
  switch (p.kind) {
    case PatternKind::kRoot:
      return true;
    case PatternKind::kFormat:
      return key.format == p.format;
    case PatternKind::kNamespacePrefix:
      return key.format == p.format && key.namespace_.starts_with(p.namespace_);
    case PatternKind::kNamespace:
      return key.format == p.format && key.namespace_ == p.namespace_;
    case PatternKind::kNamePrefix:
      return key.format == p.format && key.namespace_ == p.namespace_ &&
             key.name.starts_with(p.name);
    case PatternKind::kExact:
      return key.format == p.format && key.namespace_ == p.namespace_ && key.name == p.name;
  }
  return false;
}

bool covers(const Pattern& parent, const Pattern& child) {
  if (parent.kind == PatternKind::kRoot) return true;
  if (child.kind == PatternKind::kRoot || child.format != parent.format) return false;
  switch (parent.kind) {
    case PatternKind::kRoot:
    case PatternKind::kFormat:
      return true;
    case PatternKind::kNamespacePrefix:
      // A namespace prefix child extends the prefix; any other child's namespace starts with it.
      return child.kind != PatternKind::kFormat && child.namespace_.starts_with(parent.namespace_);
    case PatternKind::kNamespace:
      return has_namespace_segment(child.kind) && child.namespace_ == parent.namespace_;
    case PatternKind::kNamePrefix:
      return (child.kind == PatternKind::kNamePrefix || child.kind == PatternKind::kExact) &&
             child.namespace_ == parent.namespace_ && child.name.starts_with(parent.name);
    case PatternKind::kExact:
      return child == parent;
  }
  return false;
}

std::strong_ordering compare_specificity(const Pattern& a, const Pattern& b) {
  if (a.kind != b.kind) return a.kind <=> b.kind;
  if (a.kind == PatternKind::kNamePrefix && a.name.size() != b.name.size())
    return b.name.size() <=> a.name.size();
  if (a.kind == PatternKind::kNamespacePrefix && a.namespace_.size() != b.namespace_.size())
    return b.namespace_.size() <=> a.namespace_.size();
  return std::tie(a.format, a.namespace_, a.name) <=> std::tie(b.format, b.namespace_, b.name);
}

}  // namespace arca::core::package_groups
