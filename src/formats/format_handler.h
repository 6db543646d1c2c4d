#pragma once
// One package manager's wire protocol behind the package-endpoint front door. Each format lives
// in formats/<fmt>/ and is registered explicitly on PackageEndpoints by the server.
#include <optional>
#include <string>

#include "auth/principal.h"
#include "formats/endpoint.h"
#include "http/message.h"
#include "store/package_types.h"

namespace arca::formats {

// What the front door established before calling the format.
struct RequestContext {
  const EndpointRef& endpoint;      // parsed path; endpoint.rest is the format-relative raw path
  const auth::Principal& caller;    // from the authorization token
  store::RepositoryRef repository;  // exists
  std::string repository_url;       // "{public_url}/{format}/d/{domain}-{owner}/{repo}/"
};

class FormatHandler {
 public:
  virtual ~FormatHandler() = default;
  // On an I/O thread, after the token was verified: how to read this request's body.
  virtual http::BodyPolicy body_policy(const http::Request& head,
                                       const EndpointRef& endpoint) const = 0;
  // On the blocking pool.
  virtual http::Response handle(http::Request& request, const RequestContext& context) = 0;
  // On an I/O thread, for a bodiless GET or HEAD whose token and repository were checked from
  // memory: handle's exact answer when it can be given without blocking (from in-memory caches;
  // opening a local file to send is fine), else nullopt and handle() runs on the blocking pool.
  virtual std::optional<http::Response> try_fast(const http::Request& request,
                                                 const RequestContext& context) {
    (void)request;
    (void)context;
    return std::nullopt;
  }
  // A front-door or transport error in this client's format (npm: {"error": ...}).
  virtual http::Response error(int status, std::string_view message) const {
    return json_error(status, message);
  }
};

}  // namespace arca::formats
