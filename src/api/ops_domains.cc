// Domain operations and GetAuthorizationToken.
#include "api/operations.h"
#include "api/render.h"

namespace arca::api {

namespace json = boost::json;

OpResult create_domain(OpContext& c) {
  ARCA_ASSIGN_OR_RETURN(std::string name, c.required_query("domain", "domain"));
  ARCA_ASSIGN_OR_RETURN(auto key, c.body_string("encryptionKey"));
  ARCA_ASSIGN_OR_RETURN(auto tags, c.body_tags("tags"));
  ARCA_ASSIGN_OR_RETURN(auto d, c.control.create_domain(c.caller, name, key.value_or(""), tags));
  return json::object{{"domain", domain_description(c.control, d)}};
}

OpResult describe_domain(OpContext& c) {
  ARCA_ASSIGN_OR_RETURN(std::string name, c.required_query("domain", "domain"));
  ARCA_ASSIGN_OR_RETURN(auto d, c.control.describe_domain(c.caller, c.domain_owner(), name));
  return json::object{{"domain", domain_description(c.control, d)}};
}

OpResult delete_domain(OpContext& c) {
  ARCA_ASSIGN_OR_RETURN(std::string name, c.required_query("domain", "domain"));
  ARCA_ASSIGN_OR_RETURN(auto d, c.control.delete_domain(c.caller, c.domain_owner(), name));
  return json::object{{"domain", domain_description(c.control, d)}};
}

// ListDomains is the one list operation whose paging members are in the JSON body.
OpResult list_domains(OpContext& c) {
  core::ListParams p;
  ARCA_ASSIGN_OR_RETURN(p.max_results, c.body_int("maxResults"));
  ARCA_ASSIGN_OR_RETURN(p.next_token, c.body_string("nextToken"));
  ARCA_ASSIGN_OR_RETURN(auto page, c.control.list_domains(c.caller, p));
  json::array items;
  for (const auto& d : page.items) items.push_back(domain_summary(c.control, d));
  json::object out{{"domains", std::move(items)}};
  if (!page.next_token.empty()) out["nextToken"] = page.next_token;
  return out;
}

OpResult get_authorization_token(OpContext& c) {
  ARCA_ASSIGN_OR_RETURN(std::string name, c.required_query("domain", "domain"));
  ARCA_ASSIGN_OR_RETURN(auto duration, c.query_int("duration", "durationSeconds"));
  ARCA_ASSIGN_OR_RETURN(
      auto t, c.control.get_authorization_token(c.caller, c.domain_owner(), name, duration));
  return json::object{{"authorizationToken", t.token}, {"expiration", t.expiration}};
}

}  // namespace arca::api
