#pragma once
// The package-endpoint front door (`/{format}/d/{domain}-{owner}/{repository}/...`): parses the
// path-style address, authenticates the CodeArtifact authorization token however the client
// presents it, and hands the request to the format's handler. Formats are added by later issues;
// until one is registered its paths answer a JSON 404.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "auth/token.h"
#include "http/message.h"
#include "store/package_types.h"

namespace arca::core {
class Packages;
}  // namespace arca::core

namespace arca::formats {

struct EndpointRef {
  std::string format;
  std::string domain;
  std::string owner;
  std::string repository;
  std::string rest;  // the raw path after "{repository}/" (may be empty)
};

// nullopt when `raw_path` is not of the path-style shape. The domain-owner segment is split at
// its last '-' because domain names may contain '-' and owners are 12 digits.
std::optional<EndpointRef> parse_endpoint_path(std::string_view raw_path);

// The token in an Authorization header: "Bearer T", "Basic base64(any-user:T)", or a raw "T"
// (cargo). nullopt when the header holds none.
std::optional<std::string> token_from_authorization(std::string_view header);

class FormatHandler;

class PackageEndpoints {
 public:
  // Resolves the repository an endpoint names for the token's caller (core::Packages::repository).
  using RepositoryResolver =
      std::function<Result<store::RepositoryRef>(const auth::Principal&, const EndpointRef&)>;
  // The same answer from memory only, without blocking (core::Packages::peek_repository):
  // nullopt whenever it cannot say, and the request then takes the blocking path.
  using CachedRepositoryResolver = std::function<std::optional<store::RepositoryRef>(
      const auth::Principal&, const EndpointRef&)>;

  // Without `cached_resolver`, try_fast never answers past the token check.
  PackageEndpoints(const auth::TokenService& tokens, RepositoryResolver resolver,
                   std::string public_url, CachedRepositoryResolver cached_resolver = {});

  // Registers the handler of one format ("npm", ...); the handler must outlive this object.
  void add_format(std::string format, FormatHandler& handler);

  http::BodyPolicy body_policy(const http::Request& head) const;
  http::Response handle(http::Request& request);
  // On an I/O thread (http::Handler::try_fast): the same checks as handle, all from memory (the
  // token check is CPU only), then FormatHandler::try_fast. A missing or refused token is answered
  // here exactly as handle answers it; anything else it cannot settle from memory is nullopt.
  std::optional<http::Response> try_fast(http::Request& request);
  http::Response transport_error(const http::Request& head, int status, std::string message) const;

 private:
  FormatHandler* find(const std::string& format) const;
  std::string repository_url(const EndpointRef& ref) const;

  const auth::TokenService& tokens_;
  RepositoryResolver resolver_;
  CachedRepositoryResolver cached_resolver_;
  std::string public_url_;
  std::map<std::string, FormatHandler*> formats_;
};

// A JSON error body {"error": message} with `status`: the shape npm and most clients print.
http::Response json_error(int status, std::string_view message);

// The front door over core::Packages: repositories resolved by Packages::repository, and from
// memory by Packages::peek_repository for the fast path. `packages` must outlive it.
std::unique_ptr<PackageEndpoints> package_endpoints(const auth::TokenService& tokens,
                                                    core::Packages& packages,
                                                    std::string public_url);

}  // namespace arca::formats
