#include "upstream/curl_pool.h"

#include <mutex>
#include <stdexcept>
#include <string>

namespace arca::upstream::detail {
namespace {

// Connections one slot keeps open (idle ones, to any hosts its transfers reached).
constexpr long kMaxCachedConnections = 8;

void global_init() {
  static std::once_flag once;
  static CURLcode rc = CURLE_OK;
  std::call_once(once, [] { rc = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (rc != CURLE_OK)
    throw std::runtime_error(std::string("curl_global_init failed: ") + curl_easy_strerror(rc));
}

}  // namespace

CurlPool::CurlPool() {
  global_init();
  share_ = curl_share_init();
  if (!share_) throw std::runtime_error("curl_share_init failed");
  CURLSHcode rc = curl_share_setopt(share_, CURLSHOPT_LOCKFUNC, &CurlPool::lock);
  if (rc == CURLSHE_OK) rc = curl_share_setopt(share_, CURLSHOPT_UNLOCKFUNC, &CurlPool::unlock);
  if (rc == CURLSHE_OK) rc = curl_share_setopt(share_, CURLSHOPT_USERDATA, this);
  // Not CURL_LOCK_DATA_CONNECT: libcurl does not support a connection cache shared by
  // concurrent threads (its documentation says so; known races in its pruning and polling).
  for (curl_lock_data data : {CURL_LOCK_DATA_DNS, CURL_LOCK_DATA_SSL_SESSION}) {
    if (rc == CURLSHE_OK) rc = curl_share_setopt(share_, CURLSHOPT_SHARE, data);
  }
  if (rc != CURLSHE_OK) {
    curl_share_cleanup(share_);
    throw std::runtime_error(std::string("curl_share_setopt failed: ") + curl_share_strerror(rc));
  }
}

CurlPool::~CurlPool() {
  free_.clear();  // the share may only be cleaned up once no easy handle uses it
  curl_share_cleanup(share_);
}

CurlPool::Lease CurlPool::acquire() {
  {
    std::lock_guard lock(mutex_);
    if (!free_.empty()) {
      auto slot = std::move(free_.back());
      free_.pop_back();
      return Lease(*this, std::move(slot));
    }
  }
  auto slot = std::make_unique<CurlSlot>();
  slot->easy.reset(curl_easy_init());
  slot->multi.reset(curl_multi_init());
  if (!slot->easy || !slot->multi ||
      curl_easy_setopt(slot->easy.get(), CURLOPT_SHARE, share_) != CURLE_OK ||
      curl_multi_setopt(slot->multi.get(), CURLMOPT_MAXCONNECTS, kMaxCachedConnections) !=
          CURLM_OK) {
    slot.reset();
  }
  return Lease(*this, std::move(slot));
}

void CurlPool::release(std::unique_ptr<CurlSlot> slot) {
  // curl_easy_reset keeps the share, live connections and caches, and drops every option, so no
  // pointer into a finished call (header list, callback data) survives in the handle.
  curl_easy_reset(slot->easy.get());
  std::lock_guard lock(mutex_);
  free_.push_back(std::move(slot));
}

void CurlPool::lock(CURL*, curl_lock_data data, curl_lock_access, void* self) {
  static_cast<CurlPool*>(self)->share_locks_[data].lock();
}

void CurlPool::unlock(CURL*, curl_lock_data data, void* self) {
  static_cast<CurlPool*>(self)->share_locks_[data].unlock();
}

}  // namespace arca::upstream::detail
