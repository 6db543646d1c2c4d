#include "blob/fs/digest_follower.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <optional>

#include "blob/fs/posix_file.h"

namespace arca::blob::fs {

struct DigestFollower::State {
  State(UniqueFd f, std::string p, uint64_t from, std::vector<crypto::Hasher> h)
      : fd(std::move(f)), path(std::move(p)), hashers(std::move(h)), hashed(from), written(from) {}

  const UniqueFd fd;
  const std::string path;               // for errors
  std::vector<crypto::Hasher> hashers;  // touched only by whoever set `running`
  std::mutex mu;
  std::condition_variable idle;  // `running` became false
  uint64_t hashed;               // guarded by mu: [0, hashed) digested
  uint64_t written;              // guarded by mu: [0, written) in the file
  bool queued = false;           // guarded by mu: a task was posted and has not started
  bool running = false;          // guarded by mu: a task (or finish()) is digesting
  bool abandoned = false;        // guarded by mu
  std::optional<Error> error;    // guarded by mu: a read failed
};

namespace {

using State = DigestFollower::State;

// Digests [hashed, written) into `buf` until caught up. `lock` holds s.mu; the caller has set
// `running` (after allocating `buf`: nothing here throws), and this clears it.
void catch_up(State& s, std::unique_lock<std::mutex>& lock, std::vector<char>& buf) {
  while (!s.abandoned && !s.error && s.hashed < s.written) {
    const uint64_t from = s.hashed;
    const size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), s.written - from));
    lock.unlock();
    ssize_t n;
    do n = ::pread(s.fd.get(), buf.data(), want, static_cast<off_t>(from));
    while (n < 0 && errno == EINTR);
    const int err = errno;
    if (n > 0) {
      for (auto& h : s.hashers) h.update(std::string_view(buf.data(), static_cast<size_t>(n)));
    }
    lock.lock();
    if (n < 0) {
      s.error = errno_error("read back", s.path, err);
    } else if (n == 0) {
      s.error = unavailable("read back " + s.path + ": the file is shorter than was written");
    } else {
      s.hashed = from + static_cast<uint64_t>(n);
    }
  }
  s.running = false;
  s.idle.notify_all();
}

// A posted task: digests unless finish() took over before it started.
void run_task(State& s) {
  std::vector<char> buf(DigestFollower::kReadBytes);  // may throw: leaves the task to finish()
  std::unique_lock lock(s.mu);
  if (!s.queued) return;
  s.queued = false;
  s.running = true;
  catch_up(s, lock, buf);
}

}  // namespace

Result<std::unique_ptr<DigestFollower>> DigestFollower::start(
    std::shared_ptr<util::TaskPool> pool, int fd, std::string path, uint64_t from,
    std::vector<crypto::Hasher>& hashers) {
  UniqueFd own(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
  if (!own.valid()) return errno_error("duplicate the descriptor of", path, errno);
  auto state = std::make_shared<State>(std::move(own), std::move(path), from, std::move(hashers));
  return std::unique_ptr<DigestFollower>(new DigestFollower(std::move(pool), std::move(state)));
}

DigestFollower::~DigestFollower() {
  std::lock_guard lock(state_->mu);
  state_->abandoned = true;
}

void DigestFollower::appended(uint64_t total) {
  {
    std::lock_guard lock(state_->mu);
    state_->written = total;
    if (state_->queued || state_->running || total - state_->hashed < kBatch) return;
    state_->queued = true;
  }
  // The task holds the state, not the follower: it may outlive an abandoned follower.
  if (pool_->post([s = state_] { run_task(*s); })) return;
  std::lock_guard lock(state_->mu);  // the pool is stopping: finish() digests it all
  state_->queued = false;
}

Result<std::vector<std::string>> DigestFollower::finish() {
  State& s = *state_;
  std::vector<char> buf(kReadBytes);
  std::unique_lock lock(s.mu);
  s.queued = false;  // a task still waiting for a pool thread finds nothing to do
  s.idle.wait(lock, [&] { return !s.running; });
  s.running = true;
  catch_up(s, lock, buf);
  if (s.error) return *s.error;
  std::vector<std::string> hex;
  for (auto& h : s.hashers) hex.push_back(h.finish_hex());
  return hex;
}

}  // namespace arca::blob::fs
