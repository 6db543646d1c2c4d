// ControlPlane: tags on domains and repositories.
#include "core/access.h"
#include "core/arn.h"
#include "core/control_plane.h"
#include "core/validate.h"

namespace arca::core {

// Resolves a taggable ARN to the canonical ARN key after checking it exists and the caller's
// account owns it. Unknown or foreign-region ARNs are ResourceNotFoundException.
Result<std::string> ControlPlane::tag_target(const auth::Principal& caller, const std::string& arn,
                                             const char* action) {
  ARCA_TRY(validate_arn("resourceArn", arn));
  auto ref = parse_resource_arn(arn);
  if (!ref || ref->region != config_.region)
    return not_found("", arn, "Resource " + arn + " not found");
  if (ref->owner != caller.account_id) return access_denied(caller, action, arn);
  if (ref->kind == ResourceRef::Kind::kDomain) {
    ARCA_ASSIGN_OR_RETURN(store::Domain d, store_.get_domain(ref->owner, ref->domain));
    return domain_arn(d);
  }
  ARCA_ASSIGN_OR_RETURN(store::Repository r,
                        store_.get_repository(ref->owner, ref->domain, ref->repository));
  return repository_arn(r);
}

Status ControlPlane::tag_resource(const auth::Principal& caller, const std::string& arn,
                                  const store::Tags& tags) {
  ARCA_TRY(validate_tags(tags));
  ARCA_ASSIGN_OR_RETURN(std::string key, tag_target(caller, arn, "TagResource"));
  return store_.put_tags(key, tags, 200);
}

Status ControlPlane::untag_resource(const auth::Principal& caller, const std::string& arn,
                                    const std::vector<std::string>& keys) {
  if (keys.size() > 200)
    return field_error("tagKeys", std::to_string(keys.size()) + " keys",
                       "Member must have length less than or equal to 200");
  for (const auto& k : keys) ARCA_TRY(validate_tag_key("tagKeys.member", k));
  ARCA_ASSIGN_OR_RETURN(std::string key, tag_target(caller, arn, "UntagResource"));
  return store_.remove_tags(key, keys);
}

Result<store::Tags> ControlPlane::list_tags(const auth::Principal& caller, const std::string& arn) {
  ARCA_ASSIGN_OR_RETURN(std::string key, tag_target(caller, arn, "ListTagsForResource"));
  return store_.get_tags(key);
}

}  // namespace arca::core
