#include "formats/npm/packument_cache.h"

#include "util/clock.h"

namespace arca::formats::npm {

std::string PackumentCache::key(const store::RepositoryRef& repo, const store::PackageKey& pkg) {
  std::string k;
  for (const std::string* part :
       {&repo.domain_owner, &repo.domain_name, &pkg.format, &pkg.namespace_, &pkg.name}) {
    k += *part;
    k.push_back('\x1f');
  }
  return k;
}

std::shared_ptr<const CachedDocument> PackumentCache::get(const std::string& key,
                                                          const std::string& variant) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return nullptr;
  auto v = it->second.variants.find(variant);
  if (v == it->second.variants.end()) return nullptr;
  if (double expires = v->second->expires_at; expires != 0 && now_epoch() >= expires)
    return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second.lru);
  return v->second;
}

void PackumentCache::put(const std::string& key, const std::string& variant, uint64_t generation,
                         std::shared_ptr<const CachedDocument> doc) {
  uint64_t size = doc->body.size() + doc->etag.size() + variant.size() + key.size();
  if (size > max_bytes_ / 4) return;  // one huge document must not flush everything else
  std::lock_guard lock(mu_);
  if (generation != generation_.load()) return;
  auto [it, inserted] = entries_.try_emplace(key);
  Entry& e = it->second;
  if (inserted) {
    lru_.push_front(key);
    e.lru = lru_.begin();
  } else {
    lru_.splice(lru_.begin(), lru_, e.lru);
  }
  auto& slot = e.variants[variant];
  if (slot) {
    uint64_t old = slot->body.size() + slot->etag.size() + variant.size() + key.size();
    e.bytes -= old;
    bytes_ -= old;
  }
  slot = std::move(doc);
  e.bytes += size;
  bytes_ += size;
  evict_locked();
}

void PackumentCache::invalidate(const std::string& key) {
  std::lock_guard lock(mu_);
  ++generation_;
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  bytes_ -= it->second.bytes;
  lru_.erase(it->second.lru);
  entries_.erase(it);
}

void PackumentCache::clear() {
  std::lock_guard lock(mu_);
  ++generation_;
  entries_.clear();
  lru_.clear();
  bytes_ = 0;
}

uint64_t PackumentCache::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

void PackumentCache::evict_locked() {
  while (bytes_ > max_bytes_ && !lru_.empty()) {
    auto it = entries_.find(lru_.back());
    bytes_ -= it->second.bytes;
    entries_.erase(it);
    lru_.pop_back();
  }
}

}  // namespace arca::formats::npm
