#include "blob/fs/temp_pool.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <system_error>

#include "util/crypto.h"

namespace arca::blob::fs {

namespace {
constexpr mode_t kTempMode = 0600;
constexpr int kMaxTempNameAttempts = 8;
}  // namespace

Result<Temp> create_locked_temp(const std::string& tmp_dir) {
  for (int attempt = 0; attempt < kMaxTempNameAttempts; ++attempt) {
    std::string path = tmp_dir + "/w-" + crypto::to_hex(crypto::random_bytes(16));
    // Readable too: share_file() hands readers a duplicate of this descriptor.
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, kTempMode));
    if (!fd.valid()) {
      if (errno == EEXIST) continue;
      return errno_error("create temp file", path, errno);
    }
    int rc;
    do rc = ::flock(fd.get(), LOCK_EX);
    while (rc != 0 && errno == EINTR);
    if (rc != 0) {
      Error e = errno_error("flock", path, errno);
      ::unlink(path.c_str());
      return e;
    }
    struct stat by_fd, by_name;
    if (::fstat(fd.get(), &by_fd) == 0 && ::stat(path.c_str(), &by_name) == 0 &&
        by_fd.st_dev == by_name.st_dev && by_fd.st_ino == by_name.st_ino) {
      return std::make_pair(std::move(fd), std::move(path));
    }
  }
  return unavailable("could not create a temp file in " + tmp_dir);
}

TempPool::~TempPool() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (helper_.joinable()) helper_.join();
  for (auto& temp : ready_) ::unlink(temp.second.c_str());
}

std::optional<Temp> TempPool::take() {
  std::optional<Temp> out;
  {
    std::unique_lock lock(mu_, std::try_to_lock);
    if (!lock.owns_lock()) return out;
    if (!started_) {
      started_ = true;
      try {
        helper_ = std::thread([this] { run(); });
      } catch (const std::system_error&) {  // no thread: no prefetching
      }
    }
    if (!ready_.empty()) {
      out = std::move(ready_.front());
      ready_.pop_front();
    }
  }
  cv_.notify_one();
  return out;
}

void TempPool::run() {
  // The lowest priority: a refill is for a later writer, and must not take the CPU from the
  // work the writer that took a file waits for (on a miss, the upstream answering on this
  // machine, which was measured to wait 0.17 ms for the refill here). Starved under full load,
  // the pool runs empty and writers make their own files, as without it.
  sched_param idle{};
  pthread_setschedparam(pthread_self(), SCHED_IDLE, &idle);
  std::unique_lock lock(mu_);
  while (!stop_) {
    if (ready_.size() >= target_) {
      cv_.wait(lock);
      continue;
    }
    lock.unlock();
    auto temp = create_locked_temp(dir_);
    lock.lock();
    if (temp) {
      ready_.push_back(std::move(*temp));
    } else {
      cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_; });
    }
  }
}

}  // namespace arca::blob::fs
