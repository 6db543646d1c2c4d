#include "auth/key_cache.h"

#include <spdlog/spdlog.h>

#include <utility>

namespace arca::auth {

KeyCache::KeyCache(store::MetadataStore& store, const Keyring& keyring)
    : store_(store), keyring_(keyring), snapshot_(std::make_shared<const Map>()) {}

Status KeyCache::refresh() {
  std::lock_guard lock(load_mu_);
  ARCA_ASSIGN_OR_RETURN(int64_t generation, store_.access_keys_generation());
  if (generation == loaded_generation_) return {};
  return load_locked(generation);
}

Status KeyCache::reload() {
  std::lock_guard lock(load_mu_);
  ARCA_ASSIGN_OR_RETURN(int64_t generation, store_.access_keys_generation());
  return load_locked(generation);
}

// The generation is read before the keys, so a change racing with the listing bumps the
// generation past the recorded one and the next refresh() reloads.
Status KeyCache::load_locked(int64_t generation) {
  ARCA_ASSIGN_OR_RETURN(auto keys, store_.list_access_keys(""));
  auto map = std::make_shared<Map>();
  map->reserve(keys.size());
  size_t unreadable = 0;
  for (auto& k : keys) {
    auto secret = keyring_.open(k.secret_sealed);
    if (!secret) {
      ++unreadable;
      continue;
    }
    auto cached = std::make_shared<CachedKey>(
        CachedKey{Principal{k.account_id, k.user_name, k.id}, std::move(*secret)});
    map->emplace(k.id, std::move(cached));
  }
  if (unreadable > 0)
    spdlog::error("{} access key(s) cannot be opened with this master.key and are ignored",
                  unreadable);
  {
    std::lock_guard lock(snapshot_mu_);
    snapshot_ = std::move(map);
  }
  loaded_generation_ = generation;
  return {};
}

std::shared_ptr<const CachedKey> KeyCache::find(std::string_view access_key_id) const {
  std::shared_ptr<const Map> snap;
  {
    std::lock_guard lock(snapshot_mu_);
    snap = snapshot_;
  }
  auto it = snap->find(access_key_id);
  return it == snap->end() ? nullptr : it->second;
}

size_t KeyCache::size() const {
  std::lock_guard lock(snapshot_mu_);
  return snapshot_->size();
}

}  // namespace arca::auth
