#include "formats/npm/npm_names.h"

#include <vector>

#include "http/message.h"

namespace arca::formats::npm {

namespace {

constexpr size_t kMaxNameLength = 214;

// Structure only: publish applies validate_new_name, lookups the identity rules of core/, so a
// bad name still reaches the handler and gets a 400 that says what is wrong.
bool valid_part(std::string_view s) {
  return !s.empty() && s != "." && s != ".." && s.find('/') == std::string_view::npos;
}

bool url_safe_lower(std::string_view s) {
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
              c == '_' || c == '~';
    if (!ok) return false;
  }
  return true;
}

std::vector<std::string_view> split_segments(std::string_view raw) {
  std::vector<std::string_view> out;
  while (true) {
    size_t slash = raw.find('/');
    out.push_back(raw.substr(0, slash));
    if (slash == std::string_view::npos) break;
    raw.remove_prefix(slash + 1);
  }
  if (out.size() > 1 && out.back().empty()) out.pop_back();  // one trailing '/'
  return out;
}

// Reads a package name starting at segs[i] (one segment holding "%2f", or two segments when the
// scope separator is a plain '/'); advances i past it.
std::optional<NpmName> take_name(const std::vector<std::string_view>& segs, size_t& i) {
  if (i >= segs.size()) return std::nullopt;
  std::string first;
  if (!http::percent_decode(segs[i], first)) return std::nullopt;
  ++i;
  if (first.starts_with('@') && first.find('/') == std::string::npos) {
    if (i >= segs.size()) return std::nullopt;
    std::string second;
    if (!http::percent_decode(segs[i], second)) return std::nullopt;
    ++i;
    first += "/" + second;
  }
  return split_name(first);
}

bool decode_all(const std::vector<std::string_view>& segs, size_t from,
                std::vector<std::string>& out) {
  for (size_t k = from; k < segs.size(); ++k) {
    std::string d;
    if (!http::percent_decode(segs[k], d)) return false;
    out.push_back(std::move(d));
  }
  return true;
}

Route package_route(const std::vector<std::string_view>& segs) {
  Route r;
  size_t i = 0;
  auto name = take_name(segs, i);
  std::vector<std::string> rest;
  if (!name || !decode_all(segs, i, rest)) return r;
  r.package = std::move(*name);
  if (rest.empty()) {
    r.kind = RouteKind::kPackage;
  } else if (rest.size() == 2 && rest[0] == "-rev") {
    r.kind = RouteKind::kPackageRev;
    r.rev = rest[1];
  } else if (rest.size() == 1 && !rest[0].empty() && rest[0] != "-") {
    r.kind = RouteKind::kVersion;
    r.version_or_tag = rest[0];
  } else if (rest.size() >= 2 && rest[0] == "-") {
    size_t end = rest.size();
    if (end >= 4 && rest[end - 2] == "-rev") {
      r.rev = rest[end - 1];
      end -= 2;
    }
    // "name-1.0.0.tgz" or the client-side "@scope/name-1.0.0.tgz"
    if (end == 2) {
      r.file = rest[1];
    } else if (end == 3 && rest[1].starts_with('@')) {
      r.file = rest[1] + "/" + rest[2];
    } else {
      return r;
    }
    r.kind = r.rev.empty() ? RouteKind::kTarball : RouteKind::kTarballRev;
  }
  return r;
}

Route special_route(const std::vector<std::string_view>& segs) {
  Route r;
  auto is = [&](size_t i, std::string_view s) { return i < segs.size() && segs[i] == s; };
  if (segs.size() == 2 && is(1, "whoami")) {
    r.kind = RouteKind::kWhoami;
  } else if (segs.size() == 2 && is(1, "ping")) {
    r.kind = RouteKind::kPing;
  } else if (segs.size() == 3 && is(1, "v1") && is(2, "search")) {
    r.kind = RouteKind::kSearch;
  } else if (segs.size() == 3 && is(1, "user") && segs[2].starts_with("org.couchdb.user:")) {
    r.kind = RouteKind::kLogin;
  } else if (is(1, "package")) {
    size_t i = 2;
    auto name = take_name(segs, i);
    if (!name || !is(i, "dist-tags")) return r;
    r.package = std::move(*name);
    if (i + 1 == segs.size()) {
      r.kind = RouteKind::kDistTags;
    } else if (i + 2 == segs.size() && !segs[i + 1].empty()) {
      if (!http::percent_decode(segs[i + 1], r.tag)) return Route{};
      r.kind = RouteKind::kDistTag;
    }
  }
  return r;
}

}  // namespace

std::optional<NpmName> split_name(std::string_view full) {
  NpmName n;
  if (full.starts_with('@')) {
    size_t slash = full.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    n.scope = std::string(full.substr(1, slash - 1));
    n.name = std::string(full.substr(slash + 1));
    if (!valid_part(n.scope)) return std::nullopt;
  } else {
    n.name = std::string(full);
  }
  if (!valid_part(n.name)) return std::nullopt;
  return n;
}

Status validate_new_name(const NpmName& n) {
  std::string full = n.full();
  if (full.size() > kMaxNameLength)
    return invalid_argument("Invalid package name \"" + full +
                            "\": name can no longer contain more than 214 characters");
  for (std::string_view part : {std::string_view(n.scope), std::string_view(n.name)}) {
    if (part.empty()) continue;
    if (part.front() == '.' || part.front() == '_')
      return invalid_argument("Invalid package name \"" + full +
                              "\": name cannot start with a period or an underscore");
    if (!url_safe_lower(part))
      return invalid_argument("Invalid package name \"" + full +
                              "\": name can only contain lower-case URL-friendly characters");
  }
  if (n.scope.empty() && (n.name == "node_modules" || n.name == "favicon.ico"))
    return invalid_argument("Invalid package name \"" + full + "\": " + n.name +
                            " is not a valid package name");
  return {};
}

std::string tarball_file_name(const NpmName& n, std::string_view version) {
  return n.name + "-" + std::string(version) + ".tgz";
}

std::optional<std::string> version_from_tarball(const NpmName& n, std::string_view file) {
  if (!n.scope.empty()) {
    std::string prefix = "@" + n.scope + "/";
    if (file.starts_with(prefix)) file.remove_prefix(prefix.size());
  }
  std::string head = n.name + "-";
  if (!file.starts_with(head) || !file.ends_with(".tgz")) return std::nullopt;
  std::string_view v = file.substr(head.size(), file.size() - head.size() - 4);
  if (v.empty()) return std::nullopt;
  return std::string(v);
}

Route parse_route(std::string_view raw_rest) {
  if (raw_rest.empty()) return {};
  auto segs = split_segments(raw_rest);
  if (segs[0] == "-") return special_route(segs);
  return package_route(segs);
}

}  // namespace arca::formats::npm
