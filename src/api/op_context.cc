#include "api/op_context.h"

#include <charconv>

#include "core/validate.h"

namespace arca::api {

namespace json = boost::json;

std::optional<std::string> OpContext::query(std::string_view wire) const {
  auto v = request.query_param(wire);
  if (!v) return std::nullopt;
  return std::string(*v);
}

Result<std::string> OpContext::required_query(std::string_view wire,
                                              std::string_view member) const {
  auto v = request.query_param(wire);
  if (!v) return core::missing_field(member);
  return std::string(*v);
}

Result<std::optional<int64_t>> OpContext::query_int(std::string_view wire,
                                                    std::string_view member) const {
  auto v = request.query_param(wire);
  if (!v) return std::optional<int64_t>();
  int64_t out = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || p != v->data() + v->size() || v->empty())
    return core::field_error(member, *v, "Member must be an integer");
  return std::optional<int64_t>(out);
}

Result<std::optional<std::string>> OpContext::body_string(std::string_view member) const {
  auto* v = body.if_contains(member);
  if (!v || v->is_null()) return std::optional<std::string>();
  if (!v->is_string())
    return core::field_error(member, json::serialize(*v), "Member must be a string");
  return std::optional<std::string>(std::string(v->get_string()));
}

Result<std::optional<int64_t>> OpContext::body_int(std::string_view member) const {
  auto* v = body.if_contains(member);
  if (!v || v->is_null()) return std::optional<int64_t>();
  if (v->is_int64()) return std::optional<int64_t>(v->get_int64());
  if (v->is_uint64() && v->get_uint64() <= uint64_t(INT64_MAX))
    return std::optional<int64_t>(int64_t(v->get_uint64()));
  return core::field_error(member, json::serialize(*v), "Member must be an integer");
}

Result<store::Tags> OpContext::body_tags(std::string_view member) const {
  store::Tags tags;
  auto* v = body.if_contains(member);
  if (!v || v->is_null()) return tags;
  if (!v->is_array())
    return core::field_error(member, json::serialize(*v), "Member must be a list");
  if (v->get_array().size() > 200)
    return core::field_error(member, std::to_string(v->get_array().size()) + " tags",
                             "Member must have length less than or equal to 200");
  for (const auto& t : v->get_array()) {
    const auto* o = t.if_object();
    const json::value* k = o ? o->if_contains("key") : nullptr;
    const json::value* val = o ? o->if_contains("value") : nullptr;
    if (!k || !k->is_string() || !val || !val->is_string())
      return core::field_error(member, json::serialize(t),
                               "Member must be a list of {key: string, value: string}");
    tags[std::string(k->get_string())] = std::string(val->get_string());
  }
  return tags;
}

Result<std::optional<std::vector<std::string>>> OpContext::body_string_list(
    std::string_view member, std::string_view field) const {
  auto* v = body.if_contains(member);
  if (!v || v->is_null()) return std::optional<std::vector<std::string>>();
  if (!v->is_array())
    return core::field_error(member, json::serialize(*v), "Member must be a list");
  std::vector<std::string> out;
  for (const auto& e : v->get_array()) {
    const json::value* s = &e;
    if (!field.empty()) {
      const auto* o = e.if_object();
      s = o ? o->if_contains(field) : nullptr;
    }
    if (!s || !s->is_string())
      return core::field_error(member, json::serialize(e), "Member has an invalid element");
    out.emplace_back(s->get_string());
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

Result<core::RepositoryInput> OpContext::repository_input() const {
  core::RepositoryInput in;
  in.domain_owner = domain_owner();
  ARCA_ASSIGN_OR_RETURN(in.domain, required_query("domain", "domain"));
  ARCA_ASSIGN_OR_RETURN(in.repository, required_query("repository", "repository"));
  return in;
}

Result<core::ListParams> OpContext::list_params() const {
  core::ListParams p;
  ARCA_ASSIGN_OR_RETURN(p.max_results, query_int("max-results", "maxResults"));
  p.next_token = query("next-token");
  return p;
}

}  // namespace arca::api
