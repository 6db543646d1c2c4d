#include "core/validate.h"

#include <array>

namespace arca::core {
namespace {

bool lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool alnum(char c) { return lower_alnum(c) || (c >= 'A' && c <= 'Z'); }

std::string shown(std::string_view v) {
  // Keep messages bounded even for megabyte-long values.
  if (v.size() > 120) return std::string(v.substr(0, 120)) + "...";
  return std::string(v);
}

}  // namespace

Error field_error(std::string_view field, std::string_view value, std::string_view constraint) {
  return invalid_argument("1 validation error detected: Value '" + shown(value) + "' at '" +
                          std::string(field) +
                          "' failed to satisfy constraint: " + std::string(constraint));
}

Error missing_field(std::string_view field) {
  return invalid_argument("1 validation error detected: Value null at '" + std::string(field) +
                          "' failed to satisfy constraint: Member must not be null");
}

bool has_control_chars(std::string_view v) {
  for (size_t i = 0; i < v.size(); ++i) {
    auto c = static_cast<unsigned char>(v[i]);
    if (c < 0x20 || c == 0x7f) return true;
    // C1 controls U+0080..U+009F are encoded as 0xC2 0x80..0x9F in UTF-8.
    if (c == 0xc2 && i + 1 < v.size() && static_cast<unsigned char>(v[i + 1]) >= 0x80 &&
        static_cast<unsigned char>(v[i + 1]) <= 0x9f)
      return true;
  }
  return false;
}

Status validate_domain_name(std::string_view field, std::string_view v) {
  if (v.size() < 2 || v.size() > 50)
    return field_error(field, v, "Member must have length between 2 and 50");
  bool ok = v.front() >= 'a' && v.front() <= 'z' && lower_alnum(v.back());
  for (char c : v) ok = ok && (lower_alnum(c) || c == '-');
  if (!ok)
    return field_error(
        field, v, "Member must satisfy regular expression pattern: [a-z][a-z0-9\\-]{0,48}[a-z0-9]");
  return {};
}

Status validate_account_id(std::string_view field, std::string_view v) {
  bool ok = v.size() == 12;
  for (char c : v) ok = ok && c >= '0' && c <= '9';
  if (!ok)
    return field_error(field, v, "Member must satisfy regular expression pattern: [0-9]{12}");
  return {};
}

Status validate_repository_name(std::string_view field, std::string_view v) {
  if (v.size() < 2 || v.size() > 100)
    return field_error(field, v, "Member must have length between 2 and 100");
  bool ok = alnum(v.front());
  for (char c : v) ok = ok && (alnum(c) || c == '.' || c == '_' || c == '-');
  if (!ok)
    return field_error(
        field, v,
        "Member must satisfy regular expression pattern: [A-Za-z0-9][A-Za-z0-9._\\-]{1,99}");
  return {};
}

Status validate_external_connection_name(std::string_view field, std::string_view v) {
  if (v.size() < 2 || v.size() > 100)
    return field_error(field, v, "Member must have length between 2 and 100");
  bool ok = alnum(v.front());
  for (char c : v) ok = ok && (alnum(c) || c == '.' || c == '_' || c == '-' || c == ':');
  if (!ok)
    return field_error(
        field, v,
        "Member must satisfy regular expression pattern: [A-Za-z0-9][A-Za-z0-9._\\-:]{1,99}");
  return {};
}

Status validate_description(std::string_view field, std::string_view v) {
  if (v.size() > 1000)
    return field_error(field, v, "Member must have length less than or equal to 1000");
  if (has_control_chars(v))
    return field_error(field, v, "Member must satisfy regular expression pattern: \\P{C}*");
  return {};
}

Status validate_tag_key(std::string_view field, std::string_view v) {
  if (v.empty() || v.size() > 128)
    return field_error(field, v, "Member must have length between 1 and 128");
  if (has_control_chars(v))
    return field_error(field, v, "Member must satisfy regular expression pattern: \\P{C}+");
  return {};
}

Status validate_tag_value(std::string_view field, std::string_view v) {
  if (v.size() > 256)
    return field_error(field, v, "Member must have length less than or equal to 256");
  if (has_control_chars(v))
    return field_error(field, v, "Member must satisfy regular expression pattern: \\P{C}*");
  return {};
}

Status validate_arn(std::string_view field, std::string_view v) {
  if (v.empty() || v.size() > 1011)
    return field_error(field, v, "Member must have length between 1 and 1011");
  for (char c : v)
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v')
      return field_error(field, v, "Member must satisfy regular expression pattern: \\S+");
  return {};
}

bool is_package_format(std::string_view v) {
  static constexpr std::array<std::string_view, 8> kFormats = {"npm",     "pypi", "maven", "nuget",
                                                               "generic", "ruby", "swift", "cargo"};
  for (auto f : kFormats)
    if (f == v) return true;
  return false;
}

Status validate_format(std::string_view field, std::string_view v) {
  if (is_package_format(v)) return {};
  return field_error(field, v,
                     "Member must satisfy enum value set: [npm, pypi, maven, nuget, generic, ruby, "
                     "swift, cargo]");
}

Status validate_max_results(std::string_view field, int64_t v) {
  if (v < 1)
    return field_error(field, std::to_string(v),
                       "Member must have value greater than or equal to 1");
  if (v > 1000)
    return field_error(field, std::to_string(v),
                       "Member must have value less than or equal to 1000");
  return {};
}

}  // namespace arca::core
