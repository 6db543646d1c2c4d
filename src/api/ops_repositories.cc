// Repository operations, endpoints and external connections.
#include "api/operations.h"
#include "api/render.h"

namespace arca::api {

namespace json = boost::json;

namespace {
json::object repository_result(OpContext& c, const store::Repository& r) {
  return json::object{{"repository", repository_description(c.control, r)}};
}

json::object repository_page(OpContext& c, const core::PageOf<store::Repository>& page) {
  json::array items;
  for (const auto& r : page.items) items.push_back(repository_summary(c.control, r));
  json::object out{{"repositories", std::move(items)}};
  if (!page.next_token.empty()) out["nextToken"] = page.next_token;
  return out;
}
}  // namespace

OpResult create_repository(OpContext& c) {
  ARCA_ASSIGN_OR_RETURN(auto in, c.repository_input());
  ARCA_ASSIGN_OR_RETURN(auto description, c.body_string("description"));
  ARCA_ASSIGN_OR_RETURN(auto upstreams, c.body_string_list("upstreams", "repositoryName"));
  ARCA_ASSIGN_OR_RETURN(auto tags, c.body_tags("tags"));
  ARCA_ASSIGN_OR_RETURN(
      auto r, c.control.create_repository(c.caller, in, description.value_or(""),
                                          upstreams.value_or(std::vector<std::string>{}), tags));
  return repository_result(c, r);
}

OpResult describe_repository(OpContext& c) {
  ARCA_ASSIGN_OR_RETURN(auto in, c.repository_input());
  ARCA_ASSIGN_OR_RETURN(auto r, c.control.describe_repository(c.caller, in));
  return repository_result(c, r);
}

OpResult update_repository(OpContext& c) {
  ARCA_ASSIGN_OR_RETURN(auto in, c.repository_input());
  store::RepositoryUpdate u;
  ARCA_ASSIGN_OR_RETURN(u.description, c.body_string("description"));
  ARCA_ASSIGN_OR_RETURN(u.upstreams, c.body_string_list("upstreams", "repositoryName"));
  ARCA_ASSIGN_OR_RETURN(auto r, c.control.update_repository(c.caller, in, u));
  return repository_result(c, r);
}

OpResult delete_repository(OpContext& c) {
  ARCA_ASSIGN_OR_RETURN(auto in, c.repository_input());
  ARCA_ASSIGN_OR_RETURN(auto r, c.control.delete_repository(c.caller, in));
  return repository_result(c, r);
}

OpResult list_repositories(OpContext& c) {
  ARCA_ASSIGN_OR_RETURN(auto p, c.list_params());
  ARCA_ASSIGN_OR_RETURN(auto page, c.control.list_repositories(
                                       c.caller, c.query("repository-prefix").value_or(""), p));
  return repository_page(c, page);
}

OpResult list_repositories_in_domain(OpContext& c) {
  ARCA_ASSIGN_OR_RETURN(std::string domain, c.required_query("domain", "domain"));
  ARCA_ASSIGN_OR_RETURN(auto p, c.list_params());
  ARCA_ASSIGN_OR_RETURN(auto page,
                        c.control.list_repositories_in_domain(
                            c.caller, c.domain_owner(), domain, c.query("administrator-account"),
                            c.query("repository-prefix").value_or(""), p));
  return repository_page(c, page);
}

OpResult get_repository_endpoint(OpContext& c) {
  ARCA_ASSIGN_OR_RETURN(auto in, c.repository_input());
  ARCA_ASSIGN_OR_RETURN(std::string format, c.required_query("format", "format"));
  if (auto t = c.query("endpointType"); t && *t != "ipv4" && *t != "dualstack")
    return core::field_error("endpointType", *t,
                             "Member must satisfy enum value set: [dualstack, ipv4]");
  ARCA_ASSIGN_OR_RETURN(auto url,
                        c.control.repository_endpoint(c.caller, in, format, c.public_url));
  return json::object{{"repositoryEndpoint", url}};
}

OpResult associate_external_connection(OpContext& c) {
  ARCA_ASSIGN_OR_RETURN(auto in, c.repository_input());
  ARCA_ASSIGN_OR_RETURN(auto name, c.required_query("external-connection", "externalConnection"));
  ARCA_ASSIGN_OR_RETURN(auto r, c.control.associate_external_connection(c.caller, in, name));
  return repository_result(c, r);
}

OpResult disassociate_external_connection(OpContext& c) {
  ARCA_ASSIGN_OR_RETURN(auto in, c.repository_input());
  ARCA_ASSIGN_OR_RETURN(auto name, c.required_query("external-connection", "externalConnection"));
  ARCA_ASSIGN_OR_RETURN(auto r, c.control.disassociate_external_connection(c.caller, in, name));
  return repository_result(c, r);
}

}  // namespace arca::api
