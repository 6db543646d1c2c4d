#pragma once
// GroupIndex: the package groups of one domain in memory, answering "which group governs this
// package" (reference §6.4) without scanning the groups, and the group hierarchy (parent and
// direct children) that INHERIT resolution and ListSubPackageGroups walk.
//
// Lookup cost: a handful of hash probes plus one probe per distinct prefix length stored under
// the package's (format, namespace) and format, so O(len(name) + len(namespace)) at worst,
// independent of the number of groups.
//
// Thread safety: none inside. Const members only read (no caches), so any number of threads may
// call them concurrently; add() and remove() need exclusive access. The owner guards the index
// with a std::shared_mutex (shared for lookups, exclusive for add/remove). Pointers returned stay
// valid until that group is removed or the index destroyed; do not keep them past the lock.
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/package_groups/pattern.h"
#include "store/package_types.h"

namespace arca::core::package_groups {

struct IndexedGroup {
  Pattern pattern;
  std::string text;  // pattern.text()
  std::string id;    // the owner's handle for the group (opaque here)
};

class GroupIndex {
 public:
  GroupIndex() = default;
  GroupIndex(const GroupIndex&) = delete;
  GroupIndex& operator=(const GroupIndex&) = delete;
  GroupIndex(GroupIndex&&) = default;  // moving keeps returned pointers valid
  GroupIndex& operator=(GroupIndex&&) = default;

  // Adds a group for `pattern` (a value from parse_pattern). The groups it covers that were
  // children of its parent become its children. False, and no change, when a group with the
  // same pattern is already present. Cost: O(number of children of the new group's parent).
  [[nodiscard]] bool add(Pattern pattern, std::string id);

  // Removes the group whose pattern text is `text`; its direct children become children of its
  // parent (DeletePackageGroup, §6.2). The root group is removed like any other: refusing to
  // delete it is the caller's rule. False when no such group exists.
  bool remove(std::string_view text);

  // The group whose pattern text is `text`, or nullptr.
  const IndexedGroup* find(std::string_view text) const;

  // The group a package is associated with: the most specific group matching `key` (normalized,
  // namespace_ empty when none). nullptr only when no group matches (no root group present).
  const IndexedGroup* most_specific(const store::PackageKey& key) const;

  // The most specific group other than `pattern` itself that covers it, or nullptr (for the
  // root, or when nothing covers it). `pattern` need not be in the index.
  const IndexedGroup* parent_of(const Pattern& pattern) const;

  // Direct children of `pattern`: the groups whose parent is `pattern`, sorted by pattern text.
  // For a pattern not in the index, the groups that would become its children if it were added.
  std::vector<const IndexedGroup*> children_of(const Pattern& pattern) const;

  size_t size() const { return nodes_.size(); }

 private:
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  template <class V>
  using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

  struct Node {
    IndexedGroup group;
    Node* parent = nullptr;
    std::unordered_set<Node*> children;
  };

  // Prefix patterns of one kind under one scope, probed from the longest stored length down.
  class PrefixTable {
   public:
    void insert(const std::string& prefix, Node* node);
    void erase(std::string_view prefix);
    // The node of the longest stored prefix of `s` no longer than `max_len`, or nullptr.
    Node* longest_prefix_of(std::string_view s, size_t max_len) const;
    bool empty() const { return by_prefix_.empty(); }

   private:
    StringMap<Node*> by_prefix_;
    std::vector<std::pair<size_t, size_t>> lengths_;  // (length, how many), longest first
  };

  // Groups under one (format, namespace): /f/ns/*, /f/ns/name$, /f/ns/prefix~.
  struct NamespaceSlot {
    Node* all = nullptr;
    StringMap<Node*> exact;
    PrefixTable name_prefixes;
    bool empty() const { return !all && exact.empty() && name_prefixes.empty(); }
  };

  // Groups under one format: /f/*, /f/prefix~ and the namespace slots.
  struct FormatSlot {
    Node* all = nullptr;
    PrefixTable namespace_prefixes;
    StringMap<NamespaceSlot> namespaces;
    bool empty() const { return !all && namespace_prefixes.empty() && namespaces.empty(); }
  };

  Node* lookup(std::string_view format, std::string_view ns, std::string_view name) const;
  Node* find_parent(const Pattern& pattern) const;
  void link(Node& node);
  void unlink(const Node& node);

  StringMap<Node> nodes_;                // by pattern text; owns the nodes (stable addresses)
  std::unordered_set<Node*> top_level_;  // nodes without a parent
  Node* root_ = nullptr;
  StringMap<FormatSlot> formats_;
};

}  // namespace arca::core::package_groups
