#pragma once
// KeyCache: every access key with its opened secret, in memory, so that request authentication
// (SigV4, tokens) never reads the store.
//
// Thread safety: all methods may be called concurrently. find() takes a mutex only to copy a
// shared_ptr to the current immutable snapshot. refresh()/reload() read the store (blocking: run
// them on the blocking pool) and are serialized among themselves; find() keeps answering from
// the previous snapshot meanwhile.
// Freshness: a key created or deleted through the store becomes visible after the next refresh().
// Callers refresh periodically (e.g. every second) and after their own key changes.
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "auth/keyring.h"
#include "auth/principal.h"
#include "store/metadata_store.h"
#include "util/error.h"

namespace arca::auth {

struct CachedKey {
  Principal principal;
  std::string secret;  // the clear secret access key
};

class KeyCache {
 public:
  // Both references must outlive the cache. The cache starts empty: call reload() or refresh().
  KeyCache(store::MetadataStore& store, const Keyring& keyring);

  // Reloads all keys iff store.access_keys_generation() changed since the last load.
  // Errors: those of the store; the previous snapshot stays in place.
  Status refresh();
  // Reloads all keys unconditionally. A key whose secret cannot be opened (wrong master key) is
  // skipped and logged, so one bad row cannot disable every other key.
  Status reload();

  // The key, or nullptr if unknown. Never reads the store.
  std::shared_ptr<const CachedKey> find(std::string_view access_key_id) const;

  size_t size() const;

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Map =
      std::unordered_map<std::string, std::shared_ptr<const CachedKey>, Hash, std::equal_to<>>;

  Status load_locked(int64_t generation);

  store::MetadataStore& store_;
  const Keyring& keyring_;
  std::mutex load_mu_;              // serializes refresh()/reload()
  int64_t loaded_generation_ = -1;  // guarded by load_mu_; -1 = never loaded
  mutable std::mutex snapshot_mu_;
  std::shared_ptr<const Map> snapshot_;  // guarded by snapshot_mu_; never null
};

}  // namespace arca::auth
