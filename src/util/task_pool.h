#pragma once
// TaskPool: runs posted tasks on threads of its own, for work that waits on something slow (an
// upstream registry), so that the wait holds neither an I/O thread nor the server's small
// blocking pool (whose threads serve the store and the disk for every other request).
//
// Contract:
//  - At most `max_threads` tasks run at once; more wait in a queue, in order. A thread is started
//    only when no idle one is waiting, and one that found no task for `idle` ends.
//  - stop() refuses further tasks (post() returns false; the caller answers otherwise) and waits
//    until every queued and running task has run: a task that completes a response must not be
//    dropped. The destructor calls stop().
//  - A task that throws is logged and does not end its thread.
// Thread safety: post() may be called from any thread, a task included; stop() from any thread
// but a task's.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>

namespace arca::util {

class TaskPool {
 public:
  explicit TaskPool(std::string name, size_t max_threads,
                    std::chrono::milliseconds idle = std::chrono::seconds(60));
  ~TaskPool();
  TaskPool(const TaskPool&) = delete;
  TaskPool& operator=(const TaskPool&) = delete;

  bool post(std::function<void()> task);
  void stop();

  size_t threads();  // alive, busy or idle
  size_t idle();     // waiting for a task

 private:
  void worker();

  const std::string name_;
  const size_t max_threads_;
  const std::chrono::milliseconds idle_;
  std::mutex mu_;
  std::condition_variable work_;   // a task was queued, or stopping
  std::condition_variable ended_;  // a thread ended
  std::deque<std::function<void()>> queue_;
  size_t threads_ = 0;
  size_t waiting_ = 0;  // threads waiting for a task
  bool stopping_ = false;
};

}  // namespace arca::util
