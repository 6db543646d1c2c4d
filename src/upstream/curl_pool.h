#pragma once
// Internal to upstream/: RAII owners of libcurl handles and the pool HttpClient draws them from.
//
// Connections are reused across calls: a finished slot goes back to a free list, last in first
// out, and keeps its easy handle and its multi handle, whose connection cache holds the slot's
// open connections; so sequential transfers reuse one connection and concurrent ones have one
// each. Every easy handle is attached to one CURLSH that shares the DNS cache and TLS sessions
// (a new connection to a known host skips the lookup and resumes its TLS session). Connections
// themselves are not shared between slots: libcurl does not support a shared connection cache
// used by concurrent threads.
// Thread safety: acquire() and the leases it returns may be used from any number of threads; one
// lease is used by one thread at a time.
#include <curl/curl.h>

#include <array>
#include <memory>
#include <mutex>
#include <vector>

namespace arca::upstream::detail {

struct EasyDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
struct MultiDeleter {
  void operator()(CURLM* h) const { curl_multi_cleanup(h); }
};
using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;
using MultiHandle = std::unique_ptr<CURLM, MultiDeleter>;

// One transfer slot: an easy handle and a multi handle of its own that drives it. The multi
// interface replaces curl_easy_perform because the poll interval, and so the precision of the
// first-byte and idle timeouts, must be ours: curl_easy_perform wakes up once a second when idle.
struct CurlSlot {
  EasyHandle easy;
  MultiHandle multi;
};

class CurlPool {
 public:
  // Throws std::runtime_error when libcurl cannot be initialised (startup only).
  CurlPool();
  // Every lease must have been returned.
  ~CurlPool();
  CurlPool(const CurlPool&) = delete;
  CurlPool& operator=(const CurlPool&) = delete;

  // Returns its slot to the pool on destruction, with the easy handle's options reset.
  class Lease {
   public:
    Lease(CurlPool& pool, std::unique_ptr<CurlSlot> slot) : pool_(&pool), slot_(std::move(slot)) {}
    ~Lease() {
      if (slot_) pool_->release(std::move(slot_));
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    explicit operator bool() const { return slot_ != nullptr; }
    CURL* easy() const { return slot_->easy.get(); }
    CURLM* multi() const { return slot_->multi.get(); }

   private:
    CurlPool* pool_;
    std::unique_ptr<CurlSlot> slot_;
  };

  // A slot whose easy handle has default options, attached to the share. An empty lease when
  // libcurl is out of memory.
  Lease acquire();

 private:
  void release(std::unique_ptr<CurlSlot> slot);
  static void lock(CURL*, curl_lock_data data, curl_lock_access, void* self);
  static void unlock(CURL*, curl_lock_data data, void* self);

  std::array<std::mutex, CURL_LOCK_DATA_LAST> share_locks_;
  CURLSH* share_ = nullptr;
  std::mutex mutex_;
  std::vector<std::unique_ptr<CurlSlot>> free_;  // guarded by mutex_
};

}  // namespace arca::upstream::detail
