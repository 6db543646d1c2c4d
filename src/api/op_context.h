#pragma once
// What an operation handler sees: the request, the authenticated caller, the parsed JSON body, and
// typed accessors that turn wire members into values or ValidationExceptions naming the member.
// Internal to api/ (includes Boost.JSON).
#include <boost/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "auth/principal.h"
#include "core/control_plane.h"
#include "core/package_groups/package_groups.h"
#include "core/packages.h"
#include "http/message.h"
#include "util/error.h"

namespace arca::api {

struct OpContext {
  const http::Request& request;
  const auth::Principal& caller;
  core::ControlPlane& control;
  core::Packages& packages;
  core::PackageGroups& groups;
  const std::string& public_url;
  boost::json::object body;

  // Query members (bound as `wire` on the wire; errors name `member`).
  std::optional<std::string> query(std::string_view wire) const;
  Result<std::string> required_query(std::string_view wire, std::string_view member) const;
  Result<std::optional<int64_t>> query_int(std::string_view wire, std::string_view member) const;

  // JSON body members.
  Result<std::optional<std::string>> body_string(std::string_view member) const;
  Result<std::optional<int64_t>> body_int(std::string_view member) const;
  // The restJson1 TagList: [{"key": .., "value": ..}, ...].
  Result<store::Tags> body_tags(std::string_view member) const;
  // A list of strings, or of objects whose `field` is a string (e.g. upstreams' repositoryName).
  Result<std::optional<std::vector<std::string>>> body_string_list(
      std::string_view member, std::string_view field = {}) const;

  // Common bindings: domain + domain-owner (+ repository).
  Result<core::RepositoryInput> repository_input() const;
  std::optional<std::string> domain_owner() const { return query("domain-owner"); }
  Result<core::ListParams> list_params() const;  // from query, validated types
};

using OpResult = Result<boost::json::object>;
using OpFn = OpResult (*)(OpContext&);
// An operation whose success is not a JSON document (GetPackageVersionAsset's raw payload).
using RawOpFn = Result<http::Response> (*)(OpContext&);

// Renders timestamps as restJson1 epoch seconds.
inline boost::json::value epoch(double seconds) { return boost::json::value(seconds); }

}  // namespace arca::api
