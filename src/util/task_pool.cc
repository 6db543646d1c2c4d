#include "util/task_pool.h"

#include <spdlog/spdlog.h>

#include <system_error>
#include <thread>

namespace arca::util {

TaskPool::TaskPool(std::string name, size_t max_threads, std::chrono::milliseconds idle)
    : name_(std::move(name)), max_threads_(max_threads ? max_threads : 1), idle_(idle) {}

TaskPool::~TaskPool() { stop(); }

bool TaskPool::post(std::function<void()> task) {
  std::lock_guard lock(mu_);
  if (stopping_) return false;
  if (queue_.size() >= waiting_ && threads_ < max_threads_) {  // every idle thread is spoken for
    try {
      std::thread(&TaskPool::worker, this).detach();
      ++threads_;
    } catch (const std::system_error& e) {
      // The threads there are take the task; with none, nobody would.
      if (threads_ == 0) return false;
      spdlog::warn("{}: cannot start a thread ({}); the task waits for a busy one", name_,
                   e.what());
    }
  }
  queue_.push_back(std::move(task));
  work_.notify_one();
  return true;
}

void TaskPool::stop() {
  std::unique_lock lock(mu_);
  stopping_ = true;
  work_.notify_all();
  ended_.wait(lock, [&] { return threads_ == 0; });
}

size_t TaskPool::threads() {
  std::lock_guard lock(mu_);
  return threads_;
}

size_t TaskPool::idle() {
  std::lock_guard lock(mu_);
  return waiting_;
}

void TaskPool::worker() {
  std::unique_lock lock(mu_);
  for (;;) {
    if (queue_.empty()) {
      if (stopping_) break;
      ++waiting_;
      bool woken = work_.wait_for(lock, idle_, [&] { return !queue_.empty() || stopping_; });
      --waiting_;
      if (!woken) break;  // idle too long
      continue;
    }
    auto task = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    try {
      task();
    } catch (const std::exception& e) {
      spdlog::error("{}: a task failed: {}", name_, e.what());
    } catch (...) {
      spdlog::error("{}: a task failed", name_);
    }
    task = nullptr;  // what it holds goes before the lock is taken again
    lock.lock();
  }
  --threads_;
  ended_.notify_all();
}

}  // namespace arca::util
