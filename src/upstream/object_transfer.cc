// Transfer: what the readers of one upstream transfer see (see object_fetcher.h), apart from
// the ObjectFetcher that runs it.
#include <unistd.h>

#include "upstream/object_fetcher.h"

namespace arca::upstream {

Transfer::~Transfer() {
  if (fd_ >= 0) ::close(fd_);
}

void Transfer::run_all(Callbacks& callbacks) {
  for (auto& fn : callbacks) fn();
}

uint64_t Transfer::readable() const {
  return state_ == State::kDone ? written_ : (written_ ? written_ - 1 : 0);
}

Transfer::Callbacks Transfer::due_readers() {
  Callbacks due;
  const uint64_t now = readable();
  const bool ended = state_ != State::kRunning;
  std::erase_if(more_waiters_, [&](auto& w) {
    if (!ended && now <= w.first) return false;
    due.push_back(std::move(w.second));
    return true;
  });
  return due;
}

void Transfer::mark_started(std::optional<uint64_t> length) {
  Callbacks ready;
  {
    std::lock_guard lock(mu_);
    started_ = true;
    length_ = length;
    ready.swap(start_waiters_);
  }
  cv_.notify_all();
  run_all(ready);
}

void Transfer::set_file(int fd) {
  std::lock_guard lock(mu_);
  fd_ = fd;
}

void Transfer::appended(uint64_t bytes) {
  Callbacks due;
  {
    std::lock_guard lock(mu_);
    written_ += bytes;
    due = due_readers();
  }
  run_all(due);  // the blocking waits (wait_started, wait_finished) do not depend on bytes
}

void Transfer::finish(Result<blob::BlobInfo> outcome) {
  Callbacks due;
  {
    std::lock_guard lock(mu_);
    if (outcome) {
      info_ = *outcome;
      state_ = State::kDone;
    } else {
      error_ = outcome.error();
      state_ = State::kFailed;
    }
    due.swap(start_waiters_);
    for (auto& fn : due_readers()) due.push_back(std::move(fn));
  }
  cv_.notify_all();
  run_all(due);
}

Result<std::optional<uint64_t>> Transfer::wait_started() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return started_ || state_ != State::kRunning; });
  if (state_ == State::kFailed) return *error_;
  return length_;
}

void Transfer::when_started(std::function<void()> ready) {
  {
    std::lock_guard lock(mu_);
    if (!started_ && state_ == State::kRunning) {
      start_waiters_.push_back(std::move(ready));
      return;
    }
  }
  ready();
}

Result<std::optional<uint64_t>> Transfer::started() {
  std::lock_guard lock(mu_);
  if (!started_ && state_ == State::kFailed) return *error_;
  return length_;  // a failure after the head shows in progress()
}

Transfer::Progress Transfer::progress() {
  std::lock_guard lock(mu_);
  return Progress{fd_, readable(), state_ == State::kDone, error_};
}

void Transfer::when_more(uint64_t seen, std::function<void()> wake) {
  {
    std::lock_guard lock(mu_);
    if (state_ == State::kRunning && readable() <= seen) {
      more_waiters_.emplace_back(seen, std::move(wake));
      return;
    }
  }
  wake();
}

Result<blob::BlobInfo> Transfer::wait_finished() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return state_ != State::kRunning; });
  if (state_ == State::kFailed) return *error_;
  return info_;
}

}  // namespace arca::upstream
