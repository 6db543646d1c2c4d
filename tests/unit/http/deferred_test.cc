// Deferred responses (completed later by another thread) and GrowingBody (a file sent while
// another thread appends to it): what a pull-through miss is answered with.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "http/server.h"
#include "test_support.h"

namespace arca::http {
namespace {

using namespace std::chrono_literals;
using testing::Client;
using testing::get_request;
using testing::quiet_options;
using testing::RunningServer;
using testing::TestHandler;
using testing::text;

// A response completed by a new thread after `delay`.
Response later(std::string body, std::chrono::milliseconds delay) {
  Response r;
  r.body = Deferred{[body, delay](std::function<void(Response)> done) {
    std::thread([body, delay, done] {
      std::this_thread::sleep_for(delay);
      done(text(body));
    }).detach();
  }};
  return r;
}

// A temp file that a writer thread appends to, as a pull-through transfer's spool.
class TestGrowingFile final : public GrowingFile {
 public:
  TestGrowingFile() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "arca-grow-XXXXXX").string();
    fd_ = ::mkstemp(tmpl.data());
    ::unlink(tmpl.c_str());
  }
  ~TestGrowingFile() override {
    if (writer_.joinable()) writer_.join();
    ::close(fd_);
  }

  // Appends each piece after `gap`, then completes (or fails when `fail` is set).
  void start(std::vector<std::string> pieces, std::chrono::milliseconds gap, bool fail = false) {
    writer_ = std::thread([this, pieces, gap, fail] {
      for (const auto& p : pieces) {
        std::this_thread::sleep_for(gap);
        EXPECT_EQ(::write(fd_, p.data(), p.size()), ssize_t(p.size()));
        update([&] { size_ += p.size(); });
      }
      update([&] {
        if (fail) {
          failed_ = true;
        } else {
          complete_ = true;
        }
      });
    });
  }

  View view() override {
    std::lock_guard lock(mu_);
    View v{fd_, size_, complete_, std::nullopt};
    if (failed_) v.failed = "the writer failed";
    return v;
  }
  void when_more(uint64_t seen, std::function<void()> wake) override {
    {
      std::lock_guard lock(mu_);
      if (size_ <= seen && !complete_ && !failed_) {
        waiters_.push_back(std::move(wake));
        return;
      }
    }
    wake();
  }

 private:
  template <class F>
  void update(F change) {
    std::vector<std::function<void()>> wake;
    {
      std::lock_guard lock(mu_);
      change();
      wake.swap(waiters_);
    }
    for (auto& w : wake) w();
  }

  int fd_ = -1;
  std::thread writer_;
  std::mutex mu_;
  uint64_t size_ = 0;
  bool complete_ = false;
  bool failed_ = false;
  std::vector<std::function<void()>> waiters_;
};

TEST(Deferred, CompletedByAnotherThreadFromTheFastPathAndTheHandler) {
  TestHandler h;
  h.fast = [](Request& r) -> std::optional<Response> {
    if (r.path != "/fast") return std::nullopt;
    return later("from the fast path", 50ms);
  };
  h.fn = [](Request&) { return later("from the handler", 20ms); };
  RunningServer s(h, quiet_options());
  Client c(s.port());
  c.send(get_request("/fast"));
  auto a = c.read();
  EXPECT_EQ(a.result_int(), 200);
  EXPECT_EQ(a.body(), "from the fast path");
  c.send(get_request("/slow"));  // the same connection goes on
  EXPECT_EQ(c.read().body(), "from the handler");
}

TEST(Deferred, CompletedInsideStartAndOtherConnectionsServedMeanwhile) {
  TestHandler h;
  h.fast = [](Request& r) -> std::optional<Response> {
    Response res;
    if (r.path == "/now") {
      res.body = Deferred{[](std::function<void(Response)> done) { done(text("at once")); }};
    } else {
      res = later("slow", 1000ms);
    }
    return res;
  };
  ServerOptions o = quiet_options();
  o.io_threads = 1;  // the waiting session must not hold the only I/O thread
  RunningServer s(h, o);
  Client slow(s.port());
  slow.send(get_request("/slow"));
  Client c(s.port());
  auto start = std::chrono::steady_clock::now();
  c.send(get_request("/now"));
  EXPECT_EQ(c.read().body(), "at once");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 800ms);  // not after the slow one
  EXPECT_EQ(slow.read().body(), "slow");
}

Response growing(std::shared_ptr<TestGrowingFile> file, std::optional<uint64_t> length) {
  Response r;
  r.headers.set("Content-Type", "application/octet-stream");
  r.content_length = length;
  r.body = GrowingBody(std::move(file));
  return r;
}

TEST(GrowingBody, SentAsTheFileGrowsWithLengthOrChunked) {
  TestHandler h;
  h.fast = [](Request& r) -> std::optional<Response> {
    auto file = std::make_shared<TestGrowingFile>();
    file->start({"first ", "second ", "", "third"}, 20ms);
    if (r.path == "/len") return growing(file, 18);
    return growing(file, std::nullopt);
  };
  RunningServer s(h, quiet_options());
  Client c(s.port());
  c.send(get_request("/len"));
  auto a = c.read();
  EXPECT_EQ(a["Content-Length"], "18");
  EXPECT_EQ(a.body(), "first second third");
  c.send(get_request("/chunked"));
  auto b = c.read();
  EXPECT_EQ(b["Transfer-Encoding"], "chunked");
  EXPECT_EQ(b.body(), "first second third");
  c.send("HEAD /len HTTP/1.1\r\nHost: t\r\n\r\n");
  auto head = c.read(true);
  EXPECT_EQ(head["Content-Length"], "18");
  EXPECT_TRUE(head.body().empty());
}

TEST(GrowingBody, AFailureOrAShortBodyCutsTheConnection) {
  TestHandler h;
  h.fast = [](Request& r) -> std::optional<Response> {
    auto file = std::make_shared<TestGrowingFile>();
    if (r.path == "/fail") {
      file->start({"partial"}, 10ms, /*fail=*/true);
      return growing(file, 100);
    }
    file->start({"short"}, 10ms);
    return growing(file, 100);  // completes with 5 of 100 bytes
  };
  RunningServer s(h, quiet_options());
  for (const char* path : {"/fail", "/short"}) {
    Client c(s.port());
    c.send(get_request(path));
    EXPECT_THROW(c.read(), std::runtime_error) << path;  // never a complete response
  }
}

}  // namespace
}  // namespace arca::http
