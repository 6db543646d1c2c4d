#include "core/package_groups/group_index.h"

#include <algorithm>

namespace arca::core::package_groups {

void GroupIndex::PrefixTable::insert(const std::string& prefix, Node* node) {
  by_prefix_.emplace(prefix, node);
  auto it = std::find_if(lengths_.begin(), lengths_.end(),
                         [&](const auto& e) { return e.first <= prefix.size(); });
  if (it != lengths_.end() && it->first == prefix.size())
    ++it->second;
  else
    lengths_.insert(it, {prefix.size(), 1});
}

void GroupIndex::PrefixTable::erase(std::string_view prefix) {
  auto found = by_prefix_.find(prefix);
  if (found == by_prefix_.end()) return;
  by_prefix_.erase(found);
  auto it = std::find_if(lengths_.begin(), lengths_.end(),
                         [&](const auto& e) { return e.first == prefix.size(); });
  if (it != lengths_.end() && --it->second == 0) lengths_.erase(it);
}

GroupIndex::Node* GroupIndex::PrefixTable::longest_prefix_of(std::string_view s,
                                                             size_t max_len) const {
  max_len = std::min(max_len, s.size());
  for (const auto& [len, count] : lengths_) {
    if (len > max_len) continue;
    if (auto it = by_prefix_.find(s.substr(0, len)); it != by_prefix_.end()) return it->second;
  }
  return nullptr;
}

// The §6.4 order, walked from the most specific slot out: exact, longest name prefix, namespace,
// longest namespace prefix, format, root. At most one group of each slot can match a package, so
// the first hit is the most specific.
GroupIndex::Node* GroupIndex::lookup(std::string_view format, std::string_view ns,
                                     std::string_view name) const {
  auto f = formats_.find(format);
  if (f == formats_.end()) return root_;
  const FormatSlot& fs = f->second;
  if (auto n = fs.namespaces.find(ns); n != fs.namespaces.end()) {
    const NamespaceSlot& slot = n->second;
    if (auto e = slot.exact.find(name); e != slot.exact.end()) return e->second;
    if (Node* p = slot.name_prefixes.longest_prefix_of(name, name.size())) return p;
    if (slot.all) return slot.all;
  }
  if (Node* p = fs.namespace_prefixes.longest_prefix_of(ns, ns.size())) return p;
  return fs.all ? fs.all : root_;
}

// Like lookup(), but for a pattern: starts below the pattern's own slot, and for prefixes only
// considers proper (shorter) prefixes, so the pattern itself is never its own parent.
GroupIndex::Node* GroupIndex::find_parent(const Pattern& p) const {
  if (p.kind == PatternKind::kRoot) return nullptr;
  if (p.kind == PatternKind::kFormat) return root_;
  auto f = formats_.find(p.format);
  if (f == formats_.end()) return root_;
  const FormatSlot& fs = f->second;
  if (p.kind != PatternKind::kNamespacePrefix) {
    if (auto n = fs.namespaces.find(p.namespace_); n != fs.namespaces.end()) {
      const NamespaceSlot& slot = n->second;
      if (p.kind == PatternKind::kExact || p.kind == PatternKind::kNamePrefix) {
        size_t max_len = p.name.size() - (p.kind == PatternKind::kNamePrefix ? 1 : 0);
        if (Node* q = slot.name_prefixes.longest_prefix_of(p.name, max_len)) return q;
        if (slot.all) return slot.all;
      }
    }
  }
  size_t ns_max = p.namespace_.size() - (p.kind == PatternKind::kNamespacePrefix ? 1 : 0);
  if (Node* q = fs.namespace_prefixes.longest_prefix_of(p.namespace_, ns_max)) return q;
  return fs.all ? fs.all : root_;
}

void GroupIndex::link(Node& node) {
  const Pattern& p = node.group.pattern;
  if (p.kind == PatternKind::kRoot) {
    root_ = &node;
    return;
  }
  FormatSlot& fs = formats_[p.format];
  switch (p.kind) {
    case PatternKind::kFormat:
      fs.all = &node;
      break;
    case PatternKind::kNamespacePrefix:
      fs.namespace_prefixes.insert(p.namespace_, &node);
      break;
    case PatternKind::kNamespace:
      fs.namespaces[p.namespace_].all = &node;
      break;
    case PatternKind::kNamePrefix:
      fs.namespaces[p.namespace_].name_prefixes.insert(p.name, &node);
      break;
    case PatternKind::kExact:
      fs.namespaces[p.namespace_].exact.emplace(p.name, &node);
      break;
    case PatternKind::kRoot:
      break;
  }
}

void GroupIndex::unlink(const Node& node) {
  const Pattern& p = node.group.pattern;
  if (p.kind == PatternKind::kRoot) {
    root_ = nullptr;
    return;
  }
  auto f = formats_.find(p.format);
  if (f == formats_.end()) return;
  FormatSlot& fs = f->second;
  if (p.kind == PatternKind::kFormat) {
    fs.all = nullptr;
  } else if (p.kind == PatternKind::kNamespacePrefix) {
    fs.namespace_prefixes.erase(p.namespace_);
  } else if (auto n = fs.namespaces.find(p.namespace_); n != fs.namespaces.end()) {
    NamespaceSlot& slot = n->second;
    if (p.kind == PatternKind::kNamespace) {
      slot.all = nullptr;
    } else if (p.kind == PatternKind::kNamePrefix) {
      slot.name_prefixes.erase(p.name);
    } else if (auto e = slot.exact.find(p.name); e != slot.exact.end()) {
      slot.exact.erase(e);
    }
    if (slot.empty()) fs.namespaces.erase(n);
  }
  if (fs.empty()) formats_.erase(f);
}

bool GroupIndex::add(Pattern pattern, std::string id) {
  std::string text = pattern.text();
  auto [it, inserted] = nodes_.try_emplace(text);
  if (!inserted) return false;
  Node& node = it->second;
  node.group = IndexedGroup{std::move(pattern), std::move(text), std::move(id)};
  // Covering is a tree order, so every group whose parent becomes the new one was a child of
  // the new one's parent before.
  Node* parent = find_parent(node.group.pattern);
  auto& siblings = parent ? parent->children : top_level_;
  for (auto s = siblings.begin(); s != siblings.end();) {
    if (covers(node.group.pattern, (*s)->group.pattern)) {
      (*s)->parent = &node;
      node.children.insert(*s);
      s = siblings.erase(s);
    } else {
      ++s;
    }
  }
  node.parent = parent;
  siblings.insert(&node);
  link(node);
  return true;
}

bool GroupIndex::remove(std::string_view text) {
  auto it = nodes_.find(text);
  if (it == nodes_.end()) return false;
  Node& node = it->second;
  unlink(node);
  auto& siblings = node.parent ? node.parent->children : top_level_;
  siblings.erase(&node);
  for (Node* child : node.children) {
    child->parent = node.parent;
    siblings.insert(child);
  }
  nodes_.erase(it);
  return true;
}

const IndexedGroup* GroupIndex::find(std::string_view text) const {
  auto it = nodes_.find(text);
  return it == nodes_.end() ? nullptr : &it->second.group;
}

const IndexedGroup* GroupIndex::most_specific(const store::PackageKey& key) const {
  Node* node = lookup(key.format, key.namespace_, key.name);
  return node ? &node->group : nullptr;
}

const IndexedGroup* GroupIndex::parent_of(const Pattern& pattern) const {
  Node* node = find_parent(pattern);
  return node ? &node->group : nullptr;
}

std::vector<const IndexedGroup*> GroupIndex::children_of(const Pattern& pattern) const {
  std::vector<const IndexedGroup*> out;
  if (auto it = nodes_.find(pattern.text()); it != nodes_.end()) {
    for (const Node* child : it->second.children) out.push_back(&child->group);
  } else {
    const Node* parent = find_parent(pattern);
    for (const Node* sibling : parent ? parent->children : top_level_)
      if (covers(pattern, sibling->group.pattern)) out.push_back(&sibling->group);
  }
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->text < b->text; });
  return out;
}

}  // namespace arca::core::package_groups
