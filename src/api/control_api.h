#pragma once
// The CodeArtifact control-plane front door (`/v1/...`): authenticates SigV4, routes to the
// operation, parses the JSON body, and renders results and errors in restJson1.
#include <string>

#include "auth/key_cache.h"
#include "core/control_plane.h"
#include "core/package_groups/package_groups.h"
#include "core/packages.h"
#include "http/message.h"

namespace arca::api {

class ControlApi {
 public:
  // Control-plane bodies are small JSON documents; anything larger is refused before reading.
  static constexpr uint64_t kMaxBodyBytes = 1 << 20;

  ControlApi(core::ControlPlane& control, core::Packages& packages, core::PackageGroups& groups,
             const auth::KeyCache& keys, std::string public_url);

  http::BodyPolicy body_policy(const http::Request& head) const;
  http::Response handle(http::Request& request);
  // A transport-level failure (413, 400, 431) rendered as a CodeArtifact error.
  http::Response transport_error(const http::Request& head, int status, std::string message) const;

 private:
  core::ControlPlane& control_;
  core::Packages& packages_;
  core::PackageGroups& groups_;
  const auth::KeyCache& keys_;
  std::string public_url_;
};

}  // namespace arca::api
