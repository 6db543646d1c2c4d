#pragma once
// The package-endpoint front door (`/{format}/d/{domain}-{owner}/{repository}/...`): parses the
// path-style address, authenticates the CodeArtifact authorization token however the client
// presents it, and hands the request to the format's handler. Formats are added by later issues;
// until one is registered its paths answer a JSON 404.
#include <optional>
#include <string>
#include <string_view>

#include "auth/token.h"
#include "http/message.h"

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

class PackageEndpoints {
 public:
  static constexpr uint64_t kMaxBodyBytes = 1 << 20;

  explicit PackageEndpoints(const auth::TokenService& tokens);

  http::BodyPolicy body_policy(const http::Request& head) const;
  http::Response handle(http::Request& request);
  http::Response transport_error(const http::Request& head, int status, std::string message) const;

 private:
  const auth::TokenService& tokens_;
};

// A JSON error body {"error": message} with `status`: the shape npm and most clients print.
http::Response json_error(int status, std::string_view message);

}  // namespace arca::formats
