#include "core/upstream_graph.h"

#include <set>

namespace arca::core {

namespace {

struct Walk {
  store::MetadataStore& store;
  std::vector<SearchStep> steps;
  std::set<std::string> seen;  // repository names (one domain)

  Status visit(const store::Repository& repo, size_t depth) {
    size_t index = steps.size();
    SearchStep step;
    step.repository = {repo.domain_owner, repo.domain_name, repo.name};
    if (!repo.external_connections.empty()) step.external_connection = repo.external_connections[0].name;
    step.depth = depth;
    steps.push_back(std::move(step));
    for (const std::string& name : repo.upstreams) {
      if (steps.size() >= kMaxSearchedRepositories) break;
      if (!seen.insert(name).second) continue;
      auto up = store.get_repository(repo.domain_owner, repo.domain_name, name);
      if (!up) {
        if (up.error().code == Code::kNotFound) continue;
        return up.error();
      }
      ARCA_TRY(visit(*up, depth + 1));
    }
    steps[index].subtree_end = steps.size();
    return {};
  }
};

}  // namespace

Result<std::vector<SearchStep>> search_order(store::MetadataStore& store,
                                             const store::RepositoryRef& start) {
  ARCA_ASSIGN_OR_RETURN(store::Repository repo,
                        store.get_repository(start.domain_owner, start.domain_name,
                                             start.repository));
  Walk walk{store, {}, {repo.name}};
  ARCA_TRY(walk.visit(repo, 0));
  return std::move(walk.steps);
}

}  // namespace arca::core
