#pragma once
// An in-memory LRU of serialized packuments, bounded by bytes. A packument merges the calling
// repository with its upstreams (same domain), so entries are keyed by domain and package, with
// the repository in the variant: a write to a package drops its documents in every repository of
// the domain. Entries holding external content also expire (CachedDocument::expires_at).
// An entry is only a cache: the store is the truth.
//
// Thread safety: all methods may be called concurrently (one mutex, never held during I/O).
#include <atomic>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "store/package_types.h"

namespace arca::formats::npm {

struct CachedDocument {
  std::string body;
  std::string etag;  // quoted strong validator
  // X-Arca-Cache of later answers from this entry: "HIT", or "STALE" when it was built while an
  // external connection could not be asked.
  std::string cache_state = "HIT";
  // Epoch seconds after which get() no longer returns the entry (external content must be looked
  // up again); 0 = until the package changes.
  double expires_at = 0;
};

class PackumentCache {
 public:
  explicit PackumentCache(uint64_t max_bytes) : max_bytes_(max_bytes) {}

  // The package's cache key: its domain and identity (not the repository).
  static std::string key(const store::RepositoryRef& repo, const store::PackageKey& pkg);

  // A generation to pass to put(): a put whose package was invalidated since is ignored, so a
  // document rendered from a snapshot read before a write is never cached after it.
  uint64_t generation() const { return generation_.load(); }

  std::shared_ptr<const CachedDocument> get(const std::string& key, const std::string& variant);
  void put(const std::string& key, const std::string& variant, uint64_t generation,
           std::shared_ptr<const CachedDocument> doc);
  void invalidate(const std::string& key);
  void clear();
  uint64_t bytes() const;

 private:
  struct Entry {
    std::map<std::string, std::shared_ptr<const CachedDocument>> variants;
    uint64_t bytes = 0;
    std::list<std::string>::iterator lru;
  };
  void evict_locked();

  const uint64_t max_bytes_;
  std::atomic<uint64_t> generation_{0};
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> lru_;  // most recent first
  uint64_t bytes_ = 0;
};

}  // namespace arca::formats::npm
