#pragma once
// Temp files for the filesystem store's writers, in ROOT/tmp: create_locked_temp() makes one,
// and a TempPool keeps a few made ahead of need by a helper thread (FsBlobStore::
// set_prefetched_temps). Internal to src/blob/fs.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "blob/fs/posix_file.h"
#include "util/error.h"

namespace arca::blob::fs {

// An open temp file and its path.
using Temp = std::pair<UniqueFd, std::string>;

// Creates TMP_DIR/w-<random> exclusively and takes its flock, so no concurrent open() removes
// it as stale. Retries when a cleanup unlinked the name between creation and lock.
Result<Temp> create_locked_temp(const std::string& tmp_dir);

// Temp files made ahead of need by one helper thread, started by the first take(). A failed
// creation is retried after a pause; the writer then creates its own temp file and reports the
// error. The destructor stops the helper and removes the files not taken.
class TempPool {
 public:
  TempPool(std::string dir, size_t target) : dir_(std::move(dir)), target_(target) {}
  ~TempPool();
  TempPool(const TempPool&) = delete;
  TempPool& operator=(const TempPool&) = delete;

  // A prepared temp file, or nullopt when none is ready, or when the lock is held: the helper
  // runs at SCHED_IDLE and may be preempted holding it, and a writer must not wait for it.
  std::optional<Temp> take();

 private:
  void run();

  const std::string dir_;
  const size_t target_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Temp> ready_;  // guarded by mu_
  bool started_ = false;    // guarded by mu_
  bool stop_ = false;       // guarded by mu_
  std::thread helper_;
};

}  // namespace arca::blob::fs
