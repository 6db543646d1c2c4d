// TagResource, UntagResource, ListTagsForResource.
#include "api/operations.h"

namespace arca::api {

namespace json = boost::json;

OpResult tag_resource(OpContext& c) {
  ARCA_ASSIGN_OR_RETURN(std::string arn, c.required_query("resourceArn", "resourceArn"));
  if (!c.body.contains("tags")) return core::missing_field("tags");
  ARCA_ASSIGN_OR_RETURN(auto tags, c.body_tags("tags"));
  ARCA_TRY(c.control.tag_resource(c.caller, arn, tags));
  return json::object{};
}

OpResult untag_resource(OpContext& c) {
  ARCA_ASSIGN_OR_RETURN(std::string arn, c.required_query("resourceArn", "resourceArn"));
  ARCA_ASSIGN_OR_RETURN(auto keys, c.body_string_list("tagKeys"));
  if (!keys) return core::missing_field("tagKeys");
  ARCA_TRY(c.control.untag_resource(c.caller, arn, *keys));
  return json::object{};
}

OpResult list_tags_for_resource(OpContext& c) {
  ARCA_ASSIGN_OR_RETURN(std::string arn, c.required_query("resourceArn", "resourceArn"));
  ARCA_ASSIGN_OR_RETURN(auto tags, c.control.list_tags(c.caller, arn));
  json::array out;
  for (const auto& [k, v] : tags) out.push_back(json::object{{"key", k}, {"value", v}});
  return json::object{{"tags", std::move(out)}};
}

}  // namespace arca::api
