#include "util/task_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <stdexcept>
#include <thread>
#include <vector>

namespace arca::util {
namespace {

using namespace std::chrono_literals;

// Waits (up to 5 s) until `ready` holds.
template <class F>
bool eventually(F ready) {
  for (int i = 0; i < 5000 && !ready(); ++i) std::this_thread::sleep_for(1ms);
  return ready();
}

TEST(TaskPool, RunsTasksOnAtMostMaxThreadsAtOnce) {
  TaskPool pool("test", 3);
  std::atomic<int> running{0}, most{0}, done{0};
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(pool.post([&, gate] {
      int now = ++running;
      for (int m = most; now > m && !most.compare_exchange_weak(m, now);) {
      }
      gate.wait();
      --running;
      ++done;
    }));
  }
  ASSERT_TRUE(eventually([&] { return running == 3; }));
  std::this_thread::sleep_for(20ms);  // a fourth would have started by now
  EXPECT_EQ(most, 3);
  EXPECT_EQ(pool.threads(), 3u);
  release.set_value();
  ASSERT_TRUE(eventually([&] { return done == 8; }));
  EXPECT_EQ(most, 3);
}

TEST(TaskPool, OneThreadRunsTasksInOrderAndAThrowingTaskDoesNotEndIt) {
  TaskPool pool("test", 1);
  std::vector<int> order;
  std::promise<void> last;
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(pool.post([&order, i] {
      order.push_back(i);
      if (i == 2) throw std::runtime_error("task failed");
    }));
  ASSERT_TRUE(pool.post([&last] { last.set_value(); }));
  ASSERT_EQ(last.get_future().wait_for(5s), std::future_status::ready);
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(pool.threads(), 1u);
}

TEST(TaskPool, AnIdleThreadIsReusedAndEndsAfterTheIdleTime) {
  TaskPool pool("test", 4, 200ms);
  for (int i = 0; i < 3; ++i) {
    std::promise<void> ran;
    ASSERT_TRUE(pool.post([&ran] { ran.set_value(); }));
    ASSERT_EQ(ran.get_future().wait_for(5s), std::future_status::ready);
    ASSERT_TRUE(eventually([&] { return pool.idle() == 1u; }));
    EXPECT_EQ(pool.threads(), 1u);  // the idle thread took the task: not one thread per task
  }
  EXPECT_TRUE(eventually([&] { return pool.threads() == 0u; }));
}

TEST(TaskPool, StopRunsWhatIsQueuedThenRefuses) {
  std::atomic<int> ran{0};
  TaskPool pool("test", 1);
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  ASSERT_TRUE(pool.post([gate, &ran] {
    gate.wait();
    ++ran;
  }));
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(pool.post([&ran] { ++ran; }));
  std::thread stopper([&pool] { pool.stop(); });
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(ran, 0);  // stop() waits for the running task and the queued ones
  release.set_value();
  stopper.join();
  EXPECT_EQ(ran, 5);
  EXPECT_EQ(pool.threads(), 0u);
  EXPECT_FALSE(pool.post([&ran] { ++ran; }));
}

}  // namespace
}  // namespace arca::util
