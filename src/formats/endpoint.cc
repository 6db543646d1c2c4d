#include "formats/endpoint.h"

#include <boost/json.hpp>

#include "core/packages.h"
#include "formats/format_handler.h"
#include "util/clock.h"
#include "util/crypto.h"

namespace arca::formats {

namespace {
bool all_digits(std::string_view s) {
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return !s.empty();
}

std::string_view next_segment(std::string_view& rest) {
  size_t slash = rest.find('/');
  std::string_view seg = rest.substr(0, slash);
  rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  return seg;
}
}  // namespace

std::optional<EndpointRef> parse_endpoint_path(std::string_view path) {
  if (!path.starts_with('/')) return std::nullopt;
  std::string_view rest = path.substr(1);
  EndpointRef ref;
  ref.format = std::string(next_segment(rest));
  if (ref.format.empty() || next_segment(rest) != "d") return std::nullopt;
  std::string_view domain_owner = next_segment(rest);
  size_t dash = domain_owner.rfind('-');
  if (dash == std::string_view::npos) return std::nullopt;
  ref.domain = std::string(domain_owner.substr(0, dash));
  ref.owner = std::string(domain_owner.substr(dash + 1));
  if (ref.domain.empty() || ref.owner.size() != 12 || !all_digits(ref.owner)) return std::nullopt;
  ref.repository = std::string(next_segment(rest));
  if (ref.repository.empty()) return std::nullopt;
  ref.rest = std::string(rest);
  return ref;
}

std::optional<std::string> token_from_authorization(std::string_view h) {
  while (!h.empty() && h.front() == ' ') h.remove_prefix(1);
  while (!h.empty() && h.back() == ' ') h.remove_suffix(1);
  auto starts_icase = [&](std::string_view p) {
    if (h.size() < p.size()) return false;
    for (size_t i = 0; i < p.size(); ++i)
      if (std::tolower(static_cast<unsigned char>(h[i])) != p[i]) return false;
    return true;
  };
  // A scheme word with no credentials after it ("Bearer ") is no token at all.
  if (h.size() <= 6 && (starts_icase("bearer") || starts_icase("basic"))) return std::nullopt;
  if (starts_icase("bearer ")) {
    std::string_view t = h.substr(7);
    while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
    if (t.empty()) return std::nullopt;
    return std::string(t);
  }
  if (starts_icase("basic ")) {
    std::string decoded;
    if (!crypto::base64_decode(h.substr(6), decoded)) return std::nullopt;
    size_t colon = decoded.find(':');
    if (colon == std::string::npos || colon + 1 == decoded.size()) return std::nullopt;
    return decoded.substr(colon + 1);
  }
  if (h.empty() || h.find(' ') != std::string_view::npos) return std::nullopt;
  return std::string(h);
}

http::Response json_error(int status, std::string_view message) {
  http::Response r;
  r.status = status;
  r.headers.set("Content-Type", "application/json");
  r.body = boost::json::serialize(boost::json::object{{"error", message}});
  return r;
}

PackageEndpoints::PackageEndpoints(const auth::TokenService& tokens, RepositoryResolver resolver,
                                   std::string public_url, CachedRepositoryResolver cached_resolver)
    : tokens_(tokens),
      resolver_(std::move(resolver)),
      cached_resolver_(std::move(cached_resolver)),
      public_url_(std::move(public_url)) {}

void PackageEndpoints::add_format(std::string format, FormatHandler& handler) {
  formats_[std::move(format)] = &handler;
}

FormatHandler* PackageEndpoints::find(const std::string& format) const {
  auto it = formats_.find(format);
  return it == formats_.end() ? nullptr : it->second;
}

namespace {
http::Response unauthorized(const FormatHandler* fmt, std::string_view message) {
  http::Response r = fmt ? fmt->error(401, message) : json_error(401, message);
  r.headers.set("WWW-Authenticate", "Basic realm=\"arca\"");
  return r;
}

// The token's claims when the request carries a valid token for the endpoint's domain.
Result<auth::TokenClaims> authenticate(const auth::TokenService& tokens, const http::Request& r,
                                       const EndpointRef& ref) {
  auto header = r.headers.get("Authorization");
  auto token = header ? token_from_authorization(*header) : std::nullopt;
  if (!token)
    return Error{Code::kUnauthenticated,
                 "Authentication required: present a token from GetAuthorizationToken as "
                 "Bearer or as the Basic password"};
  ARCA_ASSIGN_OR_RETURN(auto claims, tokens.verify(*token, now_epoch_seconds()));
  if (claims.domain_name != ref.domain || claims.domain_owner != ref.owner)
    return Error{Code::kPermissionDenied, "The authorization token was issued for domain " +
                                              claims.domain_name + "-" + claims.domain_owner +
                                              ", not " + ref.domain + "-" + ref.owner};
  return claims;
}

// What the front door answers when authenticate() refused the request.
http::Response auth_failure(const FormatHandler* fmt, const Error& e) {
  if (e.code == Code::kUnauthenticated) return unauthorized(fmt, e.message);
  return fmt ? fmt->error(403, e.message) : json_error(403, e.message);
}
}  // namespace

std::string PackageEndpoints::repository_url(const EndpointRef& ref) const {
  return public_url_ + "/" + ref.format + "/d/" + ref.domain + "-" + ref.owner + "/" +
         ref.repository + "/";
}

// Token checks cost microseconds, so unauthenticated uploads are refused before their body is read.
http::BodyPolicy PackageEndpoints::body_policy(const http::Request& head) const {
  auto ref = parse_endpoint_path(head.path);
  FormatHandler* fmt = ref ? find(ref->format) : nullptr;
  if (!fmt || !authenticate(tokens_, head, *ref)) return {http::BodyMode::kSkip, 0};
  return fmt->body_policy(head, *ref);
}

http::Response PackageEndpoints::handle(http::Request& request) {
  auto ref = parse_endpoint_path(request.path);
  if (!ref) return json_error(404, "Not found: " + request.path);
  FormatHandler* fmt = find(ref->format);
  auto claims = authenticate(tokens_, request, *ref);
  if (!claims) return auth_failure(fmt, claims.error());
  if (!fmt) return json_error(404, "Package format '" + ref->format + "' is not served");
  auto repo = resolver_(claims->principal, *ref);
  if (!repo) return fmt->error(http_status(repo.error().code), repo.error().message);
  RequestContext ctx{*ref, claims->principal, *repo, repository_url(*ref)};
  return fmt->handle(request, ctx);
}

std::optional<http::Response> PackageEndpoints::try_fast(http::Request& request) {
  auto ref = parse_endpoint_path(request.path);
  if (!ref) return std::nullopt;
  FormatHandler* fmt = find(ref->format);
  if (!fmt) return std::nullopt;
  auto claims = authenticate(tokens_, request, *ref);
  if (!claims) return auth_failure(fmt, claims.error());
  if (!cached_resolver_) return std::nullopt;
  auto repo = cached_resolver_(claims->principal, *ref);
  if (!repo) return std::nullopt;
  RequestContext ctx{*ref, claims->principal, *repo, repository_url(*ref)};
  return fmt->try_fast(request, ctx);
}

http::Response PackageEndpoints::transport_error(const http::Request& head, int status,
                                                 std::string message) const {
  auto ref = parse_endpoint_path(head.path);
  FormatHandler* fmt = ref ? find(ref->format) : nullptr;
  return fmt ? fmt->error(status, message) : json_error(status, message);
}

std::unique_ptr<PackageEndpoints> package_endpoints(const auth::TokenService& tokens,
                                                    core::Packages& packages,
                                                    std::string public_url) {
  return std::make_unique<PackageEndpoints>(
      tokens,
      [&packages](const auth::Principal& caller, const EndpointRef& ref) {
        return packages.repository(caller, ref.owner, ref.domain, ref.repository);
      },
      std::move(public_url),
      [&packages](const auth::Principal& caller, const EndpointRef& ref) {
        return packages.peek_repository(caller, ref.owner, ref.domain, ref.repository);
      });
}

}  // namespace arca::formats
