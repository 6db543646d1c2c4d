#include "core/arn.h"

#include <vector>

namespace arca::core {

std::string domain_arn(std::string_view region, std::string_view owner, std::string_view domain) {
  return "arn:aws:codeartifact:" + std::string(region) + ":" + std::string(owner) + ":domain/" +
         std::string(domain);
}

std::string repository_arn(std::string_view region, std::string_view owner, std::string_view domain,
                           std::string_view repository) {
  return "arn:aws:codeartifact:" + std::string(region) + ":" + std::string(owner) + ":repository/" +
         std::string(domain) + "/" + std::string(repository);
}

std::optional<ResourceRef> parse_resource_arn(std::string_view arn) {
  // arn:PARTITION:codeartifact:REGION:ACCOUNT:RESOURCE
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (int i = 0; i < 5; ++i) {
    size_t colon = arn.find(':', start);
    if (colon == std::string_view::npos) return std::nullopt;
    parts.push_back(arn.substr(start, colon - start));
    start = colon + 1;
  }
  std::string_view resource = arn.substr(start);
  if (parts[0] != "arn" || parts[2] != "codeartifact" || parts[4].empty()) return std::nullopt;
  ResourceRef ref;
  ref.region = std::string(parts[3]);
  ref.owner = std::string(parts[4]);
  if (resource.starts_with("domain/")) {
    ref.kind = ResourceRef::Kind::kDomain;
    ref.domain = std::string(resource.substr(7));
    if (ref.domain.empty() || ref.domain.find('/') != std::string::npos) return std::nullopt;
    return ref;
  }
  if (resource.starts_with("repository/")) {
    std::string_view rest = resource.substr(11);
    size_t slash = rest.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    ref.kind = ResourceRef::Kind::kRepository;
    ref.domain = std::string(rest.substr(0, slash));
    ref.repository = std::string(rest.substr(slash + 1));
    if (ref.domain.empty() || ref.repository.empty() ||
        ref.repository.find('/') != std::string::npos)
      return std::nullopt;
    return ref;
  }
  return std::nullopt;
}

}  // namespace arca::core
