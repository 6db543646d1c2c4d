#pragma once
// ARNs of CodeArtifact resources. The account in every ARN is the domain owner.
#include <optional>
#include <string>
#include <string_view>

namespace arca::core {

std::string domain_arn(std::string_view region, std::string_view owner, std::string_view domain);
std::string repository_arn(std::string_view region, std::string_view owner, std::string_view domain,
                           std::string_view repository);

// A parsed domain or repository ARN (the taggable resources of this issue).
struct ResourceRef {
  enum class Kind { kDomain, kRepository } kind = Kind::kDomain;
  std::string region, owner, domain, repository;
};
// nullopt when `arn` is not a codeartifact domain/repository ARN.
std::optional<ResourceRef> parse_resource_arn(std::string_view arn);

}  // namespace arca::core
