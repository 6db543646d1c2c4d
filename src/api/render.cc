#include "api/render.h"

namespace arca::api {

namespace json = boost::json;

json::object domain_summary(const core::ControlPlane& cp, const store::Domain& d) {
  json::object o;
  o["name"] = d.name;
  o["owner"] = d.owner;
  o["arn"] = cp.domain_arn(d);
  o["status"] = "Active";
  o["createdTime"] = d.created_time;
  if (!d.encryption_key.empty()) o["encryptionKey"] = d.encryption_key;
  return o;
}

json::object domain_description(const core::ControlPlane& cp, const core::DomainView& v) {
  json::object o = domain_summary(cp, v.domain);
  o["status"] = v.status;
  o["repositoryCount"] = v.repository_count;
  o["assetSizeBytes"] = v.asset_size_bytes;
  return o;
}

json::object repository_summary(const core::ControlPlane& cp, const store::Repository& r) {
  json::object o;
  o["name"] = r.name;
  o["administratorAccount"] = r.administrator_account;
  o["domainName"] = r.domain_name;
  o["domainOwner"] = r.domain_owner;
  o["arn"] = cp.repository_arn(r);
  if (!r.description.empty()) o["description"] = r.description;
  o["createdTime"] = r.created_time;
  return o;
}

json::object repository_description(const core::ControlPlane& cp, const store::Repository& r) {
  json::object o = repository_summary(cp, r);
  json::array ups;
  for (const auto& u : r.upstreams) ups.push_back(json::object{{"repositoryName", u}});
  o["upstreams"] = std::move(ups);
  json::array ecs;
  for (const auto& c : r.external_connections)
    ecs.push_back(json::object{{"externalConnectionName", c.name},
                               {"packageFormat", c.package_format},
                               {"status", "Available"}});
  o["externalConnections"] = std::move(ecs);
  return o;
}

}  // namespace arca::api
