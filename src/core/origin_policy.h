#pragma once
// The package-group side of origin controls (reference §6.5–6.6), as the rest of core asks it:
// may repository R receive package P by direct publish, by external ingestion through R's own
// connection, or by retention from an upstream repository? Per-package restrictions (§6.1) are
// checked by the caller; the result here is combined with them, BLOCK winning.
#include <optional>
#include <string>

#include "store/package_types.h"
#include "util/error.h"

namespace arca::core {

enum class Restriction { kPublish, kExternalUpstream, kInternalUpstream };
// "PUBLISH", "EXTERNAL_UPSTREAM", "INTERNAL_UPSTREAM"
const char* restriction_name(Restriction r);

struct GroupDecision {
  bool allowed = true;
  std::string group;           // pattern of the group that decided ("/*" for the root)
  std::string effective_mode;  // ALLOW | BLOCK | ALLOW_SPECIFIC_REPOSITORIES
};

class OriginPolicy {
 public:
  virtual ~OriginPolicy() = default;
  virtual Result<GroupDecision> decide(const store::RepositoryRef& repo,
                                       const store::PackageKey& key, Restriction r) = 0;
  // decide()'s answer from what this node has in memory (consistent with this node's own
  // changes), or nullopt when that would need the store. Never blocks.
  virtual std::optional<GroupDecision> peek(const store::RepositoryRef& repo,
                                            const store::PackageKey& key, Restriction r) {
    (void)repo;
    (void)key;
    (void)r;
    return std::nullopt;
  }
};

}  // namespace arca::core
