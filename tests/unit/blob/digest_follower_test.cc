// DigestFollower: digests computed behind a writer equal one-pass digests, whoever computes them
// (a pool task, or finish() itself), and a follower fails or goes away cleanly.
#include "blob/fs/digest_follower.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "util/crypto.h"

namespace arca::blob::fs {
namespace {

std::string pseudo_random_bytes(size_t n, uint64_t seed) {
  std::string out(n, '\0');
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (char& c : out) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>(x >> 24);
  }
  return out;
}

std::vector<crypto::Hasher> md5_and_sha512() {
  std::vector<crypto::Hasher> h;
  h.emplace_back(crypto::Algo::kMd5);
  h.emplace_back(crypto::Algo::kSha512);
  return h;
}

std::vector<std::string> one_pass(std::string_view data) {
  return {crypto::digest_hex(crypto::Algo::kMd5, data),
          crypto::digest_hex(crypto::Algo::kSha512, data)};
}

class DigestFollowerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "arca-follower-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/file";
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    ASSERT_GE(fd_, 0);
  }
  void TearDown() override {
    if (fd_ >= 0) ::close(fd_);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Appends `data` to the file, then tells the follower.
  void append(DigestFollower& f, std::string_view data) {
    ASSERT_EQ(::write(fd_, data.data(), data.size()), ssize_t(data.size()));
    written_ += data.size();
    f.appended(written_);
  }

  // A follower that takes over after `head` was digested on this thread.
  std::unique_ptr<DigestFollower> follow(std::shared_ptr<util::TaskPool> pool,
                                         std::string_view head) {
    auto hashers = md5_and_sha512();
    for (auto& h : hashers) h.update(head);
    EXPECT_EQ(::write(fd_, head.data(), head.size()), ssize_t(head.size()));
    written_ = head.size();
    auto f = DigestFollower::start(std::move(pool), fd_, path_, head.size(), hashers);
    EXPECT_TRUE(f) << f.error().message;
    return f ? std::move(*f) : nullptr;
  }

  std::string dir_;
  std::string path_;
  int fd_ = -1;
  uint64_t written_ = 0;
};

TEST_F(DigestFollowerTest, DigestsEqualOnePassDigestsWhateverTheChunks) {
  auto pool = std::make_shared<util::TaskPool>("test-digests", 2);
  const std::string data = pseudo_random_bytes((3 << 20) + 17, 1);
  for (size_t head : {size_t{0}, size_t{1}, size_t{300'001}}) {
    ASSERT_EQ(::ftruncate(fd_, 0), 0);
    ASSERT_EQ(::lseek(fd_, 0, SEEK_SET), 0);
    auto f = follow(pool, std::string_view(data).substr(0, head));
    ASSERT_NE(f, nullptr);
    size_t chunk = 1;
    for (size_t pos = head; pos < data.size(); pos += chunk, chunk = chunk * 7 % 200'003 + 1)
      append(*f, std::string_view(data).substr(pos, chunk));
    auto got = f->finish();
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_EQ(*got, one_pass(data)) << "head " << head;
  }
}

// Without a descriptor to follow with, start() fails and the caller keeps its hashers.
TEST_F(DigestFollowerTest, AFailedStartLeavesTheHashersWithTheCaller) {
  auto pool = std::make_shared<util::TaskPool>("test-digests", 1);
  auto hashers = md5_and_sha512();
  hashers[0].update("ab");
  auto f = DigestFollower::start(pool, -1, path_, 2, hashers);
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code, Code::kUnavailable);
  ASSERT_EQ(hashers.size(), 2u);
  hashers[0].update("c");
  EXPECT_EQ(hashers[0].finish_hex(), crypto::digest_hex(crypto::Algo::kMd5, "abc"));
}

TEST_F(DigestFollowerTest, AStoppedPoolLeavesTheWorkToFinish) {
  auto pool = std::make_shared<util::TaskPool>("test-digests", 1);
  pool->stop();
  const std::string data = pseudo_random_bytes(1 << 20, 2);
  auto f = follow(pool, "");
  ASSERT_NE(f, nullptr);
  append(*f, data);
  auto got = f->finish();
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(*got, one_pass(data));
}

// A task still queued behind another transfer's is not waited for: finish() does its work.
TEST_F(DigestFollowerTest, FinishTakesOverATaskThatHasNotStarted) {
  auto pool = std::make_shared<util::TaskPool>("test-digests", 1);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> busy;
  ASSERT_TRUE(pool->post([&busy, released] {
    busy.set_value();
    released.wait();
  }));
  busy.get_future().wait();  // the pool's only thread is taken
  const std::string data = pseudo_random_bytes(DigestFollower::kBatch * 3, 3);
  auto f = follow(pool, "");
  ASSERT_NE(f, nullptr);
  append(*f, data);  // posts a task, which waits in the queue
  auto done = std::async(std::launch::async, [&] { return f->finish(); });
  const bool finished = done.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  release.set_value();
  ASSERT_TRUE(finished) << "finish() waited for a task that had not started";
  auto got = done.get();
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(*got, one_pass(data));
}

TEST_F(DigestFollowerTest, AFileShorterThanWasWrittenIsAnError) {
  auto pool = std::make_shared<util::TaskPool>("test-digests", 1);
  pool->stop();  // so that finish() reads, after the file was cut
  auto f = follow(pool, "");
  ASSERT_NE(f, nullptr);
  append(*f, pseudo_random_bytes(1 << 20, 4));
  ASSERT_EQ(::ftruncate(fd_, 1000), 0);
  auto got = f->finish();
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, Code::kUnavailable);
  EXPECT_NE(got.error().message.find("shorter than was written"), std::string::npos)
      << got.error().message;
}

// Destroying a follower while its task reads (an abandoned write) neither waits for nor breaks
// the task, which ends on its own; the pool then stops cleanly.
TEST_F(DigestFollowerTest, AnAbandonedFollowersTaskEndsOnItsOwn) {
  auto pool = std::make_shared<util::TaskPool>("test-digests", 2);
  for (int round = 0; round < 20; ++round) {
    ASSERT_EQ(::ftruncate(fd_, 0), 0);
    ASSERT_EQ(::lseek(fd_, 0, SEEK_SET), 0);
    auto f = follow(pool, "");
    ASSERT_NE(f, nullptr);
    append(*f, pseudo_random_bytes(4 << 20, 5 + round));
    f.reset();
  }
  pool->stop();
  EXPECT_EQ(pool->threads(), 0u);
}

}  // namespace
}  // namespace arca::blob::fs
