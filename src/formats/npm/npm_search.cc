// -/v1/search: npm search over the names and descriptions of this repository's packages.
#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <sstream>

#include "formats/npm/npm_format.h"
#include "formats/npm/npm_responses.h"
#include "formats/npm/packument.h"
#include "util/clock.h"

namespace arca::formats::npm {

namespace json = boost::json;

namespace {

constexpr int64_t kDefaultSize = 20;
constexpr int64_t kMaxSize = 250;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

int64_t int_param(const http::Request& r, std::string_view name, int64_t fallback, int64_t max) {
  auto v = r.query_param(name);
  int64_t out = fallback;
  if (v) std::from_chars(v->data(), v->data() + v->size(), out);
  return std::clamp<int64_t>(out, 0, max);
}

struct Hit {
  double score = 0;
  std::string name;
  json::object package;
};

// 0 when some term matches neither the name nor the description; higher for name matches.
double score(const std::vector<std::string>& terms, const std::string& name,
             const std::string& description) {
  double total = 0;
  std::string n = lower(name), d = lower(description);
  for (const auto& t : terms) {
    if (n == t)
      total += 10;
    else if (n.find(t) != std::string::npos)
      total += 3;
    else if (d.find(t) != std::string::npos)
      total += 1;
    else
      return 0;
  }
  return terms.empty() ? 1 : total;
}

json::object describe(const NpmName& name, const store::PackageVersion& latest,
                      const std::string& repository_url) {
  json::object manifest = version_manifest(latest, name, repository_url);
  json::object p;
  p["name"] = name.full();
  p["scope"] = name.scope.empty() ? "unscoped" : name.scope;
  p["version"] = latest.version;
  p["description"] = latest.summary;
  if (const auto* k = manifest.if_contains("keywords"); k && k->is_array()) p["keywords"] = *k;
  p["date"] = iso8601(latest.published_time);
  json::object links;
  links["npm"] = repository_url + name.full();
  if (!latest.home_page.empty()) links["homepage"] = latest.home_page;
  if (!latest.source_code_repository.empty()) links["repository"] = latest.source_code_repository;
  p["links"] = std::move(links);
  p["publisher"] = json::object{};
  p["maintainers"] = json::array{};
  return p;
}

}  // namespace

http::Response NpmFormat::search(const http::Request& request, const RequestContext& ctx) {
  std::vector<std::string> terms;
  std::istringstream text(lower(request.query_param("text").value_or("")));
  for (std::string t; text >> t;) terms.push_back(t);
  int64_t size = int_param(request, "size", kDefaultSize, kMaxSize);
  int64_t from = int_param(request, "from", 0, 1 << 30);

  core::RepositoryInput repo{ctx.repository.domain_owner, ctx.repository.domain_name,
                             ctx.repository.repository};
  store::PackageFilter filter;
  filter.format = "npm";
  core::ListParams page{1000, std::nullopt};
  std::vector<Hit> hits;
  size_t scanned = 0;
  while (scanned < options_.max_search_scan) {
    auto list = packages_.list_packages(ctx.caller, repo, filter, page);
    if (!list) return error_response(list.error());
    for (const auto& pkg : list->items) {
      if (++scanned > options_.max_search_scan) break;
      auto snapshot = packages_.read(ctx.repository, pkg.key);
      if (!snapshot) continue;
      auto listable = listable_versions(*snapshot);
      if (listable.empty()) continue;
      NpmName name{pkg.key.namespace_, pkg.key.name};
      std::string latest_version = visible_dist_tags(snapshot->package, listable)["latest"];
      const store::PackageVersion* latest = listable.back();
      for (const auto* v : listable)
        if (v->version == latest_version) latest = v;
      double s = score(terms, name.full(), latest->summary);
      if (s > 0) hits.push_back({s, name.full(), describe(name, *latest, ctx.repository_url)});
    }
    if (list->next_token.empty()) break;
    page.next_token = list->next_token;
  }
  std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) {
    return a.score != b.score ? a.score > b.score : a.name < b.name;
  });
  json::array objects;
  for (int64_t i = from; i < static_cast<int64_t>(hits.size()) && i < from + size; ++i) {
    json::object o;
    o["package"] = std::move(hits[i].package);
    o["score"] = json::object{
        {"final", hits[i].score},
        {"detail", json::object{{"quality", 1.0}, {"popularity", 1.0}, {"maintenance", 1.0}}}};
    o["searchScore"] = hits[i].score;
    objects.push_back(std::move(o));
  }
  json::object out;
  out["objects"] = std::move(objects);
  out["total"] = hits.size();
  out["time"] = iso8601(now_epoch());
  return json_response(200, out);
}

}  // namespace arca::formats::npm
