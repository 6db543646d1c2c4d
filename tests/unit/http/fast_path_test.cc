// Handler::try_fast: bodiless GET/HEAD answered on the I/O thread without the blocking pool.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "http/server.h"
#include "test_support.h"

namespace arca::http {
namespace {

using testing::Client;
using testing::get_request;
using testing::quiet_options;
using testing::RunningServer;
using testing::TestHandler;
using testing::text;

TEST(FastPath, AnsweredOnTheIoThreadWithoutTheHandler) {
  TestHandler h;
  std::atomic<int> slow{0}, policies{0};
  std::string fast_request_id;
  std::thread::id fast_thread;
  h.fast = [&](Request& r) -> std::optional<Response> {
    fast_thread = std::this_thread::get_id();
    fast_request_id = r.request_id;
    if (r.path != "/fast") return std::nullopt;
    EXPECT_EQ(r.query_param("a"), "1");
    EXPECT_EQ(r.headers.get("X-One"), "1");
    return text("from memory");
  };
  h.policy = [&](const Request&) {
    policies++;
    return BodyPolicy{};
  };
  h.fn = [&](Request&) {
    slow++;
    return text("from the pool");
  };
  RunningServer s(h, quiet_options());
  Client c(s.port());

  c.send(get_request("/fast?a=1", "X-One: 1\r\n"));
  auto res = c.read();
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.body(), "from memory");
  EXPECT_EQ(res["Content-Length"], "11");
  EXPECT_EQ(res["x-amzn-RequestId"], fast_request_id);
  EXPECT_EQ(fast_request_id.size(), 36u);
  EXPECT_NE(fast_thread, std::this_thread::get_id());
  EXPECT_EQ(slow, 0);
  EXPECT_EQ(policies, 0);

  c.send("HEAD /fast?a=1 HTTP/1.1\r\nHost: t\r\nX-One: 1\r\n\r\n");
  auto head = c.read(true);
  EXPECT_EQ(head.result_int(), 200);
  EXPECT_EQ(head["Content-Length"], "11");
  EXPECT_TRUE(head.body().empty());

  // Declined: the normal path runs, on the same keep-alive connection.
  c.send(get_request("/other"));
  EXPECT_EQ(c.read().body(), "from the pool");
  EXPECT_EQ(slow, 1);
  EXPECT_EQ(policies, 1);
  EXPECT_EQ(s.server().stats().fast_responses, 2u);
}

TEST(FastPath, RequestsWithABodyOrOtherMethodsNeverTakeIt) {
  TestHandler h;
  std::atomic<int> asked{0};
  h.fast = [&](Request&) -> std::optional<Response> {
    asked++;
    return text("fast");
  };
  h.fn = [](Request& r) { return text("slow " + r.method + " " + r.body); };
  RunningServer s(h, quiet_options());
  Client c(s.port());
  c.send("POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi");
  EXPECT_EQ(c.read().body(), "slow POST hi");
  c.send("GET /x HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi");
  EXPECT_EQ(c.read().body(), "slow GET hi");
  c.send("DELETE /x HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(c.read().body(), "slow DELETE ");
  EXPECT_EQ(asked, 0);
  c.send(get_request("/x"));
  EXPECT_EQ(c.read().body(), "fast");
  EXPECT_EQ(asked, 1);
}

TEST(FastPath, AThrowingFastPathFallsBackToTheHandler) {
  TestHandler h;
  h.fast = [](Request&) -> std::optional<Response> { throw std::runtime_error("boom"); };
  h.fn = [](Request&) { return text("slow"); };
  RunningServer s(h, quiet_options());
  Client c(s.port());
  c.send(get_request("/x"));
  auto res = c.read();
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.body(), "slow");
  EXPECT_EQ(s.server().stats().handler_errors, 0u);
  EXPECT_EQ(s.server().stats().fast_responses, 0u);
}

TEST(FastPath, FileBodiesAndRangesWorkAsOnTheNormalPath) {
  std::string path = (std::filesystem::path(::testing::TempDir()) / "arca-fast-file.bin").string();
  std::string content(100000, 'q');
  content[5] = 'x';
  std::ofstream(path, std::ios::binary) << content;
  TestHandler h;
  h.fast = [&](Request&) -> std::optional<Response> {
    Response r;
    r.body = FileBody{path, 0, content.size()};
    return r;
  };
  RunningServer s(h, quiet_options());
  Client c(s.port());
  c.send(get_request("/f"));
  auto full = c.read();
  EXPECT_EQ(full.result_int(), 200);
  EXPECT_EQ(full.body(), content);
  c.send(get_request("/f", "Range: bytes=5-6\r\n"));
  auto part = c.read();
  EXPECT_EQ(part.result_int(), 206);
  EXPECT_EQ(part.body(), "xq");
  std::filesystem::remove(path);
}

TEST(FastPath, ImmutableFileBodiesReuseAnOpenDescriptor) {
  std::string path = (std::filesystem::path(::testing::TempDir()) / "arca-immutable.bin").string();
  std::ofstream(path, std::ios::binary) << "0123456789";
  TestHandler h;
  bool immutable = true;
  h.fast = [&](Request&) -> std::optional<Response> {
    Response r;
    r.body = FileBody{path, 0, 10, immutable};
    return r;
  };
  ServerOptions o = quiet_options();
  o.io_threads = 1;  // the cache of open files is per I/O thread
  RunningServer s(h, o);
  Client c(s.port());
  c.send(get_request("/f"));
  EXPECT_EQ(c.read().body(), "0123456789");
  std::filesystem::remove(path);
  c.send(get_request("/f", "Range: bytes=2-4\r\n"));  // still open: served from the descriptor
  auto part = c.read();
  EXPECT_EQ(part.result_int(), 206);
  EXPECT_EQ(part.body(), "234");
  immutable = false;  // a plain file body opens the path every time
  c.send(get_request("/f"));
  EXPECT_EQ(c.read().result_int(), 500);
}

TEST(FastPath, AccessLogLinesAreWrittenForFastResponses) {
  // stderr goes to a file while the server runs; the access log writes it from its own thread.
  std::string log_path =
      (std::filesystem::path(::testing::TempDir()) / "arca-fast-access.log").string();
  std::fflush(stderr);
  int saved = ::dup(2);
  int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(fd, 0);
  ::dup2(fd, 2);
  ::close(fd);
  std::string request_id, logged;
  {
    TestHandler h;
    h.fast = [&](Request& r) -> std::optional<Response> {
      request_id = r.request_id;
      return text("fast");
    };
    RunningServer s(h);  // access log on
    Client c(s.port());
    c.send(get_request("/logged-fast"));
    EXPECT_EQ(c.read().body(), "fast");
    for (int i = 0; i < 200 && logged.find(request_id) == std::string::npos; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      std::ifstream in(log_path);
      logged.assign(std::istreambuf_iterator<char>(in), {});
    }
  }
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  std::filesystem::remove(log_path);
  EXPECT_NE(logged.find("\"target\":\"/logged-fast\""), std::string::npos) << logged;
  EXPECT_NE(logged.find("\"status\":200"), std::string::npos) << logged;
  EXPECT_NE(logged.find("\"request_id\":\"" + request_id + "\""), std::string::npos) << logged;
}

}  // namespace
}  // namespace arca::http
