#pragma once
// The order in which a package-manager request searches a repository and its upstreams
// (reference §5.1): the repository itself, then each upstream in list order, depth-first (an
// upstream's own upstreams are searched before its next sibling), each repository once, at most
// 25 repositories. A repository's external connection is consulted at that repository's position.
#include <string>
#include <vector>

#include "store/metadata_store.h"

namespace arca::core {

inline constexpr size_t kMaxSearchedRepositories = 25;

struct SearchStep {
  store::RepositoryRef repository;
  std::string external_connection;  // "" when the repository has none
  size_t depth = 0;                 // 0 for the repository the client called
  // Index one past the last step of this repository's upstream subtree: a caller that must not
  // look through this repository's upstreams (origin controls) continues there.
  size_t subtree_end = 0;
};

// The search order from `start`. kNotFound when `start` does not exist; upstreams that vanished
// concurrently are skipped.
Result<std::vector<SearchStep>> search_order(store::MetadataStore& store,
                                             const store::RepositoryRef& start);

}  // namespace arca::core
