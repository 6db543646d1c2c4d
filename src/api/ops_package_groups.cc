// The package-group operations: shapes of reference §1.7 (PackageGroupDescription/Summary).
#include "api/operations.h"

namespace arca::api {

namespace json = boost::json;

namespace {

json::object reference(const std::string& arn, const std::string& pattern) {
  return json::object{{"arn", arn}, {"pattern", pattern}};
}

json::object group_json(const core::ControlPlane& cp, const core::GroupView& v) {
  json::object restrictions;
  for (const auto& [type, r] : v.restrictions) {
    json::object o{{"mode", r.mode},
                   {"effectiveMode", r.effective_mode},
                   {"repositoriesCount", int64_t(r.repositories_count)}};
    if (r.inherited_from)
      o["inheritedFrom"] =
          reference(core::package_group_arn(cp.region(), v.group.domain_owner, v.group.domain_name,
                                            *r.inherited_from),
                    *r.inherited_from);
    restrictions[type] = std::move(o);
  }
  json::object g{{"arn", v.arn},
                 {"pattern", v.group.pattern},
                 {"domainName", v.group.domain_name},
                 {"domainOwner", v.group.domain_owner},
                 {"createdTime", epoch(v.group.created_time)},
                 {"originConfiguration", json::object{{"restrictions", std::move(restrictions)}}}};
  if (!v.group.contact_info.empty()) g["contactInfo"] = v.group.contact_info;
  if (!v.group.description.empty()) g["description"] = v.group.description;
  if (v.parent) g["parent"] = reference(v.parent_arn, *v.parent);
  return g;
}

core::DomainInput domain_input(const OpContext& c, const std::string& domain) {
  return core::DomainInput{c.domain_owner(), domain};
}

Result<core::DomainInput> domain_of(const OpContext& c) {
  ARCA_ASSIGN_OR_RETURN(std::string domain, c.required_query("domain", "domain"));
  return domain_input(c, domain);
}

Result<std::string> group_query(const OpContext& c) {
  return c.required_query("package-group", "packageGroup");
}

template <class T, class Fn>
json::object page_json(const core::PageOf<T>& page, const char* member, Fn render) {
  json::array items;
  for (const auto& item : page.items) items.push_back(render(item));
  json::object out{{member, std::move(items)}};
  if (!page.next_token.empty()) out["nextToken"] = page.next_token;
  return out;
}

// restrictions: {"PUBLISH": "BLOCK", ...}
Result<std::map<std::string, std::string>> restrictions_of(const json::object& body) {
  std::map<std::string, std::string> out;
  const auto* r = body.if_contains("restrictions");
  if (!r) return out;
  if (!r->is_object()) return invalid_argument("restrictions must be a map of type to mode");
  for (const auto& kv : r->as_object()) {
    if (!kv.value().is_string()) return invalid_argument("restrictions values must be strings");
    out[std::string(kv.key())] = std::string(kv.value().as_string());
  }
  return out;
}

// [{"repositoryName": .., "originRestrictionType": ..}, ...] as (repository, type) pairs.
Result<std::vector<std::pair<std::string, std::string>>> allowed_list(const json::object& body,
                                                                      std::string_view member) {
  std::vector<std::pair<std::string, std::string>> out;
  const auto* v = body.if_contains(member);
  if (!v) return out;
  if (!v->is_array()) return invalid_argument(std::string(member) + " must be a list");
  for (const auto& item : v->as_array()) {
    const auto* o = item.if_object();
    const auto* repo = o ? o->if_contains("repositoryName") : nullptr;
    const auto* type = o ? o->if_contains("originRestrictionType") : nullptr;
    if (!repo || !repo->is_string() || !type || !type->is_string())
      return invalid_argument(std::string(member) +
                              " entries need repositoryName and originRestrictionType");
    out.emplace_back(std::string(repo->as_string()), std::string(type->as_string()));
  }
  return out;
}

}  // namespace

// The body CreatePackageGroup and UpdatePackageGroup share.
struct GroupBody {
  std::string pattern;
  std::optional<std::string> description, contact;
};

Result<GroupBody> group_body(const OpContext& c) {
  ARCA_ASSIGN_OR_RETURN(auto pattern, c.body_string("packageGroup"));
  if (!pattern) return core::missing_field("packageGroup");
  ARCA_ASSIGN_OR_RETURN(auto description, c.body_string("description"));
  ARCA_ASSIGN_OR_RETURN(auto contact, c.body_string("contactInfo"));
  return GroupBody{std::move(*pattern), std::move(description), std::move(contact)};
}

OpResult create_package_group(OpContext& c) {
  ARCA_ASSIGN_OR_RETURN(core::DomainInput d, domain_of(c));
  ARCA_ASSIGN_OR_RETURN(GroupBody b, group_body(c));
  ARCA_ASSIGN_OR_RETURN(core::GroupView v,
                        c.groups.create(c.caller, d, b.pattern, b.description, b.contact));
  if (c.body.contains("tags")) {
    ARCA_ASSIGN_OR_RETURN(auto tags, c.body_tags("tags"));
    ARCA_TRY(c.control.tag_resource(c.caller, v.arn, tags));
  }
  return json::object{{"packageGroup", group_json(c.control, v)}};
}

OpResult describe_package_group(OpContext& c) {
  ARCA_ASSIGN_OR_RETURN(core::DomainInput d, domain_of(c));
  ARCA_ASSIGN_OR_RETURN(std::string pattern, group_query(c));
  ARCA_ASSIGN_OR_RETURN(core::GroupView v, c.groups.describe(c.caller, d, pattern));
  return json::object{{"packageGroup", group_json(c.control, v)}};
}

OpResult update_package_group(OpContext& c) {
  ARCA_ASSIGN_OR_RETURN(core::DomainInput d, domain_of(c));
  ARCA_ASSIGN_OR_RETURN(GroupBody b, group_body(c));
  ARCA_ASSIGN_OR_RETURN(core::GroupView v,
                        c.groups.update(c.caller, d, b.pattern, b.description, b.contact));
  return json::object{{"packageGroup", group_json(c.control, v)}};
}

OpResult delete_package_group(OpContext& c) {
  ARCA_ASSIGN_OR_RETURN(core::DomainInput d, domain_of(c));
  ARCA_ASSIGN_OR_RETURN(std::string pattern, group_query(c));
  ARCA_ASSIGN_OR_RETURN(core::GroupView v, c.groups.remove(c.caller, d, pattern));
  return json::object{{"packageGroup", group_json(c.control, v)}};
}

OpResult update_package_group_origin_configuration(OpContext& c) {
  ARCA_ASSIGN_OR_RETURN(core::DomainInput d, domain_of(c));
  ARCA_ASSIGN_OR_RETURN(std::string pattern, group_query(c));
  core::GroupOriginUpdate u;
  ARCA_ASSIGN_OR_RETURN(u.restrictions, restrictions_of(c.body));
  ARCA_ASSIGN_OR_RETURN(u.add_allowed, allowed_list(c.body, "addAllowedRepositories"));
  ARCA_ASSIGN_OR_RETURN(u.remove_allowed, allowed_list(c.body, "removeAllowedRepositories"));
  ARCA_ASSIGN_OR_RETURN(auto result, c.groups.update_origin(c.caller, d, pattern, u));
  json::object updates;
  for (const auto& [type, kinds] : result.second) {
    json::object per;
    for (const auto& [kind, names] : kinds) {
      json::array a;
      for (const auto& n : names) a.push_back(json::value(n));
      per[kind] = std::move(a);
    }
    updates[type] = std::move(per);
  }
  return json::object{{"packageGroup", group_json(c.control, result.first)},
                      {"allowedRepositoryUpdates", std::move(updates)}};
}

OpResult list_package_groups(OpContext& c) {
  ARCA_ASSIGN_OR_RETURN(core::DomainInput d, domain_of(c));
  ARCA_ASSIGN_OR_RETURN(auto p, c.list_params());
  auto prefix = c.query("prefix").value_or("");
  if (prefix.size() > 520) return invalid_argument("prefix must be at most 520 characters");
  ARCA_ASSIGN_OR_RETURN(auto page, c.groups.list(c.caller, d, prefix, p));
  return page_json(page, "packageGroups",
                   [&](const core::GroupView& v) { return group_json(c.control, v); });
}

OpResult list_sub_package_groups(OpContext& c) {
  ARCA_ASSIGN_OR_RETURN(core::DomainInput d, domain_of(c));
  ARCA_ASSIGN_OR_RETURN(std::string pattern, group_query(c));
  ARCA_ASSIGN_OR_RETURN(auto p, c.list_params());
  ARCA_ASSIGN_OR_RETURN(auto page, c.groups.list_sub(c.caller, d, pattern, p));
  return page_json(page, "packageGroups",
                   [&](const core::GroupView& v) { return group_json(c.control, v); });
}

OpResult get_associated_package_group(OpContext& c) {
  ARCA_ASSIGN_OR_RETURN(core::DomainInput d, domain_of(c));
  store::PackageKey key;
  ARCA_ASSIGN_OR_RETURN(key.format, c.required_query("format", "format"));
  ARCA_ASSIGN_OR_RETURN(key.name, c.required_query("package", "package"));
  key.namespace_ = c.query("namespace").value_or("");
  ARCA_ASSIGN_OR_RETURN(auto result, c.groups.associated_group(c.caller, d, key));
  return json::object{{"packageGroup", group_json(c.control, result.first)},
                      {"associationType", result.second}};
}

OpResult list_associated_packages(OpContext& c) {
  ARCA_ASSIGN_OR_RETURN(core::DomainInput d, domain_of(c));
  ARCA_ASSIGN_OR_RETURN(std::string pattern, group_query(c));
  ARCA_ASSIGN_OR_RETURN(auto p, c.list_params());
  auto preview = c.query("preview");
  if (preview && *preview != "true" && *preview != "false")
    return invalid_argument("preview must be true or false");
  ARCA_ASSIGN_OR_RETURN(auto page,
                        c.groups.associated_packages(c.caller, d, pattern, preview == "true", p));
  return page_json(page, "packages", [](const core::AssociatedPackage& a) {
    json::object o{
        {"format", a.key.format}, {"package", a.key.name}, {"associationType", a.association}};
    if (!a.key.namespace_.empty()) o["namespace"] = a.key.namespace_;
    return o;
  });
}

OpResult list_allowed_repositories_for_group(OpContext& c) {
  ARCA_ASSIGN_OR_RETURN(core::DomainInput d, domain_of(c));
  ARCA_ASSIGN_OR_RETURN(std::string pattern, group_query(c));
  ARCA_ASSIGN_OR_RETURN(std::string type,
                        c.required_query("originRestrictionType", "originRestrictionType"));
  ARCA_ASSIGN_OR_RETURN(auto p, c.list_params());
  ARCA_ASSIGN_OR_RETURN(auto page, c.groups.allowed_repositories(c.caller, d, pattern, type, p));
  return page_json(page, "allowedRepositories",
                   [](const std::string& name) { return json::value(name); });
}

}  // namespace arca::api
