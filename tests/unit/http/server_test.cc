#include "http/server.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "test_support.h"
#include "util/crypto.h"

namespace arca::http {
namespace {

using namespace std::chrono_literals;
using testing::Client;
using testing::get_request;
using testing::quiet_options;
using testing::RunningServer;
using testing::TestHandler;

// Polls `pred` for up to two seconds (counters are updated just after the socket closes).
template <class Pred>
bool eventually(Pred pred) {
  for (int i = 0; i < 200; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return pred();
}

TEST(Server, SimpleGetFillsRequestAndResponseHeaders) {
  TestHandler h;
  Request seen;
  h.fn = [&](Request& r) {
    seen = r;
    Response res;
    res.headers.add("X-Custom-Case", "v");
    res.body = std::string("hello");
    return res;
  };
  RunningServer s(h, quiet_options());
  Client c(s.port());
  ASSERT_TRUE(c.send(get_request("/v1/x%2Fy?a=1&b=x%20y&c=a+b", "X-One: 1\r\nX-Two: 2\r\n")));
  auto res = c.read();
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.body(), "hello");
  EXPECT_EQ(res["Content-Length"], "5");
  EXPECT_EQ(res["Server"], "arca");
  EXPECT_FALSE(res["Date"].empty());
  EXPECT_EQ(res["X-Custom-Case"], "v");
  EXPECT_EQ(res["x-amzn-RequestId"], seen.request_id);
  EXPECT_EQ(seen.request_id.size(), 36u);
  EXPECT_EQ(seen.method, "GET");
  EXPECT_EQ(seen.path, "/v1/x%2Fy");
  EXPECT_EQ(seen.raw_query, "a=1&b=x%20y&c=a+b");
  EXPECT_EQ(seen.query_param("b"), "x y");
  EXPECT_EQ(seen.query_param("c"), "a+b");
  EXPECT_EQ(seen.headers.get("x-two"), "2");
  EXPECT_EQ(seen.headers.items()[1].first, "X-One");
  EXPECT_EQ(seen.remote_address, "127.0.0.1");
}

TEST(Server, HandlerSetRequestIdIsKept) {
  TestHandler h;
  h.fn = [](Request&) {
    Response r;
    r.headers.set("x-amzn-RequestId", "mine");
    return r;
  };
  RunningServer s(h, quiet_options());
  Client c(s.port());
  c.send(get_request("/"));
  auto res = c.read();
  EXPECT_EQ(res["x-amzn-RequestId"], "mine");
  EXPECT_EQ(std::distance(res.find("x-amzn-RequestId"), res.end()) > 0, true);
  EXPECT_EQ(res.count("x-amzn-RequestId"), 1u);
}

TEST(Server, KeepAliveServesTwoRequestsOnOneConnection) {
  TestHandler h;
  std::atomic<int> n{0};
  h.fn = [&](Request& r) {
    Response res;
    res.body = r.path + std::to_string(++n);
    return res;
  };
  RunningServer s(h, quiet_options());
  Client c(s.port());
  c.send(get_request("/a"));
  EXPECT_EQ(c.read().body(), "/a1");
  c.send(get_request("/b"));
  auto second = c.read();
  EXPECT_EQ(second.body(), "/b2");
  EXPECT_TRUE(second.keep_alive());
  // Pipelined requests in one write are answered in order.
  c.send(get_request("/c") + get_request("/d"));
  EXPECT_EQ(c.read().body(), "/c3");
  EXPECT_EQ(c.read().body(), "/d4");
  EXPECT_EQ(s.server().stats().connections_accepted, 1u);
}

TEST(Server, ConnectionCloseAndHttp10Close) {
  TestHandler h;
  RunningServer s(h, quiet_options());
  {
    Client c(s.port());
    c.send(get_request("/", "Connection: close\r\n"));
    auto res = c.read();
    EXPECT_EQ(res.result_int(), 200);
    EXPECT_FALSE(res.keep_alive());
    EXPECT_TRUE(c.closed_by_peer());
  }
  {
    Client c(s.port());
    c.send("GET / HTTP/1.0\r\n\r\n");
    auto res = c.read();
    EXPECT_EQ(res.result_int(), 200);
    EXPECT_EQ(res.version(), 10u);
    EXPECT_TRUE(c.closed_by_peer());
  }
  {
    Client c(s.port());  // HTTP/1.0 keep-alive is honoured
    c.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    EXPECT_TRUE(c.read().keep_alive());
    c.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    EXPECT_EQ(c.read().result_int(), 200);
  }
}

TEST(Server, HeaderTooLargeIs431) {
  TestHandler h;
  ServerOptions o = quiet_options();
  o.max_header_bytes = 1024;
  RunningServer s(h, o);
  Client c(s.port());
  c.send(get_request("/", "X-Big: " + std::string(4000, 'a') + "\r\n"));
  auto res = c.read();
  EXPECT_EQ(res.result_int(), 431);
  EXPECT_NE(res.body().find("error:"), std::string::npos);  // rendered by transport_error
  EXPECT_TRUE(c.closed_by_peer());
}

TEST(Server, MalformedRequestIs400) {
  TestHandler h;
  RunningServer s(h, quiet_options());
  {
    Client c(s.port());
    c.send("GARBAGE\x01 / HTTP/1.1\r\n\r\n");
    EXPECT_EQ(c.read().result_int(), 400);
    EXPECT_TRUE(c.closed_by_peer());
  }
  {
    Client c(s.port());
    c.send(get_request("/p?a=%zz"));
    EXPECT_EQ(c.read().result_int(), 400);
  }
}

class BodyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h.policy = [this](const Request&) { return policy; };
    h.fn = [this](Request& r) {
      calls++;
      Response res;
      res.body = r.body;
      if (r.spooled) {
        spooled = *r.spooled;
        std::ifstream in(r.spooled->path, std::ios::binary);
        std::string content((std::istreambuf_iterator<char>(in)), {});
        spooled_content_sha = crypto::sha256_hex(content);
        res.body = r.spooled->sha256;
      }
      return res;
    };
  }
  TestHandler h;
  BodyPolicy policy;
  std::atomic<int> calls{0};
  SpooledBody spooled;
  std::string spooled_content_sha;
};

std::string put_request(const std::string& body, std::string extra = "") {
  return "PUT /up HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
         extra + "\r\n" + body;
}

std::string chunked_put(const std::vector<std::string>& chunks) {
  std::string out = "PUT /up HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
  char hex[32];
  for (const auto& c : chunks) {
    std::snprintf(hex, sizeof hex, "%zx\r\n", c.size());
    out += hex + c + "\r\n";
  }
  return out + "0\r\n\r\n";
}

TEST_F(BodyTest, BufferedBodyAndLimitByContentLength) {
  policy = {BodyMode::kBuffer, 100};
  RunningServer s(h, quiet_options());
  {
    Client c(s.port());
    c.send(put_request("small body"));
    EXPECT_EQ(c.read().body(), "small body");
  }
  {
    Client c(s.port());
    c.send(put_request(std::string(1000, 'x')));
    auto res = c.read();
    EXPECT_EQ(res.result_int(), 413);
    EXPECT_TRUE(c.closed_by_peer());
  }
  {
    // Over the limit by Content-Length: answered before the body is sent.
    Client c(s.port());
    c.send("PUT /up HTTP/1.1\r\nHost: t\r\nContent-Length: 100000000\r\n\r\n");
    EXPECT_EQ(c.read().result_int(), 413);
  }
  EXPECT_EQ(calls, 1);
}

TEST_F(BodyTest, ChunkedBodyBufferedAndOverLimit) {
  policy = {BodyMode::kBuffer, 100};
  RunningServer s(h, quiet_options());
  {
    Client c(s.port());
    c.send(chunked_put({"abc", "defg", std::string(50, 'z')}));
    auto res = c.read();
    EXPECT_EQ(res.result_int(), 200);
    EXPECT_EQ(res.body(), "abcdefg" + std::string(50, 'z'));
    // The connection stays usable after a chunked body.
    c.send(get_request("/"));
    EXPECT_EQ(c.read().result_int(), 200);
  }
  {
    Client c(s.port());
    c.send(chunked_put({std::string(60, 'a'), std::string(60, 'b')}));
    EXPECT_EQ(c.read().result_int(), 413);
    EXPECT_TRUE(c.closed_by_peer());
  }
  EXPECT_EQ(calls, 2);
}

TEST_F(BodyTest, SkipModeAnswersWithoutReadingTheBodyThenCloses) {
  policy = {BodyMode::kSkip, 0};
  h.fn = [this](Request& r) {
    calls++;
    Response res;
    res.status = 401;
    res.body = "body seen: " + std::to_string(r.body.size());
    return res;
  };
  RunningServer s(h, quiet_options());
  {
    // Only the head is sent: the handler still answers, and the connection then closes.
    Client c(s.port());
    c.send("PUT /up HTTP/1.1\r\nHost: t\r\nContent-Length: 100000000\r\n\r\n");
    auto res = c.read();
    EXPECT_EQ(res.result_int(), 401);
    EXPECT_EQ(res.body(), "body seen: 0");
    EXPECT_TRUE(c.closed_by_peer());
  }
  {
    // Without a body the connection stays usable.
    Client c(s.port());
    c.send(get_request("/"));
    EXPECT_EQ(c.read().result_int(), 401);
    c.send(get_request("/"));
    EXPECT_EQ(c.read().result_int(), 401);
  }
  EXPECT_EQ(calls, 3);
}

TEST_F(BodyTest, RejectModeRefusesBodies) {
  policy = {BodyMode::kReject, 0};
  RunningServer s(h, quiet_options());
  {
    Client c(s.port());
    c.send(put_request("x"));
    EXPECT_EQ(c.read().result_int(), 413);
  }
  {
    Client c(s.port());
    c.send(put_request(""));
    EXPECT_EQ(c.read().result_int(), 200);
  }
}

TEST_F(BodyTest, SpooledBodyIsHashedAndDeleted) {
  policy = {BodyMode::kSpool, 10 << 20};
  auto dir = std::filesystem::path(::testing::TempDir()) / "arca-spool-test";
  std::filesystem::create_directories(dir);
  ServerOptions o = quiet_options();
  o.spool_dir = dir.string();
  RunningServer s(h, o);
  std::string body = crypto::random_bytes(300 * 1024 + 17);
  {
    Client c(s.port());
    c.send(put_request(body));
    auto res = c.read();
    EXPECT_EQ(res.result_int(), 200);
    EXPECT_EQ(res.body(), crypto::sha256_hex(body));
  }
  EXPECT_EQ(spooled.size, body.size());
  EXPECT_EQ(spooled.sha256, crypto::sha256_hex(body));
  EXPECT_EQ(spooled_content_sha, spooled.sha256);
  EXPECT_EQ(std::filesystem::path(spooled.path).parent_path(), dir);
  EXPECT_FALSE(std::filesystem::exists(spooled.path));
  {
    Client c(s.port());  // chunked spool
    c.send(chunked_put({body.substr(0, 70000), body.substr(70000)}));
    EXPECT_EQ(c.read().body(), crypto::sha256_hex(body));
  }
  EXPECT_FALSE(std::filesystem::exists(spooled.path));
  EXPECT_TRUE(std::filesystem::is_empty(dir));
}

TEST_F(BodyTest, SpoolModeWithoutBodyGivesEmptySpooledBody) {
  policy = {BodyMode::kSpool, 100};
  RunningServer s(h, quiet_options());
  Client c(s.port());
  c.send(put_request(""));
  EXPECT_EQ(c.read().body(), crypto::sha256_hex(""));
  EXPECT_EQ(spooled.size, 0u);
  EXPECT_FALSE(std::filesystem::exists(spooled.path));
}

TEST_F(BodyTest, StalledBodyIsCutOffAfterIdleTimeout) {
  policy = {BodyMode::kBuffer, 1000};
  ServerOptions o = quiet_options();
  o.body_idle_timeout_ms = 200;
  RunningServer s(h, o);
  Client c(s.port());
  auto t0 = std::chrono::steady_clock::now();
  c.send("PUT /up HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n0123456789");
  EXPECT_TRUE(c.closed_by_peer());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  EXPECT_EQ(calls, 0);
  EXPECT_TRUE(eventually([&] { return s.server().stats().timeouts >= 1; }));
}

TEST_F(BodyTest, ExpectContinue) {
  policy = {BodyMode::kBuffer, 100};
  RunningServer s(h, quiet_options());
  {
    Client c(s.port());
    c.send("PUT /up HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
    auto interim = c.read();
    EXPECT_EQ(interim.result_int(), 100);
    c.send("hello");
    auto res = c.read();
    EXPECT_EQ(res.result_int(), 200);
    EXPECT_EQ(res.body(), "hello");
  }
  {
    // Too large: the final status comes instead of 100 Continue.
    Client c(s.port());
    c.send("PUT /up HTTP/1.1\r\nHost: t\r\nContent-Length: 500\r\nExpect: 100-continue\r\n\r\n");
    EXPECT_EQ(c.read().result_int(), 413);
  }
}

TEST(Server, SlowHeaderClientIsCutOffWhileOthersAreServed) {
  TestHandler h;
  ServerOptions o = quiet_options();
  o.header_timeout_ms = 300;
  RunningServer s(h, o);
  Client slow(s.port());
  std::atomic<bool> cut{false};
  auto start = std::chrono::steady_clock::now();
  std::thread trickle([&] {
    std::string req = get_request("/slow", "X-Pad: " + std::string(200, 'p') + "\r\n");
    for (char ch : req) {
      if (!slow.send(std::string_view(&ch, 1))) break;
      std::this_thread::sleep_for(20ms);
      if (std::chrono::steady_clock::now() - start > 3s) break;
    }
    cut = slow.closed_by_peer();
  });
  std::this_thread::sleep_for(100ms);
  Client fast(s.port());
  fast.send(get_request("/fast"));
  EXPECT_EQ(fast.read().result_int(), 200);
  trickle.join();
  EXPECT_TRUE(cut);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2500ms);
  EXPECT_TRUE(eventually([&] { return s.server().stats().timeouts >= 1; }));
  // Still serving after the cut.
  Client again(s.port());
  again.send(get_request("/"));
  EXPECT_EQ(again.read().result_int(), 200);
}

class FileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path = (std::filesystem::path(::testing::TempDir()) / "arca-file-body.bin").string();
    content.resize(200000);
    for (size_t i = 0; i < content.size(); ++i) content[i] = char('a' + i % 26);
    std::ofstream(path, std::ios::binary) << content;
    h.fn = [this](Request&) {
      Response r;
      r.headers.set("Content-Type", "application/octet-stream");
      r.body = FileBody{path, 100, content.size() - 100};  // a window of the file
      return r;
    };
  }
  void TearDown() override { std::filesystem::remove(path); }
  std::string window() const { return content.substr(100); }
  TestHandler h;
  std::string path, content;
};

TEST_F(FileTest, FullRangeSuffixUnsatisfiableAndHead) {
  RunningServer s(h, quiet_options());
  Client c(s.port());
  const std::string w = window();
  const std::string size = std::to_string(w.size());

  c.send(get_request("/f"));
  auto full = c.read();
  EXPECT_EQ(full.result_int(), 200);
  EXPECT_EQ(full.body(), w);
  EXPECT_EQ(full["Accept-Ranges"], "bytes");
  EXPECT_EQ(full["Content-Length"], size);

  c.send(get_request("/f", "Range: bytes=10-19\r\n"));
  auto part = c.read();
  EXPECT_EQ(part.result_int(), 206);
  EXPECT_EQ(part.body(), w.substr(10, 10));
  EXPECT_EQ(part["Content-Range"], "bytes 10-19/" + size);

  c.send(get_request("/f", "Range: bytes=199000-\r\n"));
  auto open_ended = c.read();
  EXPECT_EQ(open_ended.result_int(), 206);
  EXPECT_EQ(open_ended.body(), w.substr(199000));

  c.send(get_request("/f", "Range: bytes=-500\r\n"));
  auto suffix = c.read();
  EXPECT_EQ(suffix.result_int(), 206);
  EXPECT_EQ(suffix.body(), w.substr(w.size() - 500));
  EXPECT_EQ(suffix["Content-Range"], "bytes " + std::to_string(w.size() - 500) + "-" +
                                         std::to_string(w.size() - 1) + "/" + size);

  c.send(get_request("/f", "Range: bytes=999999-\r\n"));
  auto bad = c.read();
  EXPECT_EQ(bad.result_int(), 416);
  EXPECT_EQ(bad["Content-Range"], "bytes */" + size);

  c.send("HEAD /f HTTP/1.1\r\nHost: t\r\n\r\n");
  auto head = c.read(true);
  EXPECT_EQ(head.result_int(), 200);
  EXPECT_EQ(head["Content-Length"], size);
  EXPECT_TRUE(head.body().empty());

  // The connection is still in sync after all of that.
  c.send(get_request("/f", "Range: bytes=0-0\r\n"));
  EXPECT_EQ(c.read().body(), w.substr(0, 1));
}

TEST_F(FileTest, MissingFileIs500) {
  h.fn = [](Request&) {
    Response r;
    r.body = FileBody{"/nonexistent/file", 0, 10};
    return r;
  };
  RunningServer s(h, quiet_options());
  Client c(s.port());
  c.send(get_request("/f"));
  EXPECT_EQ(c.read().result_int(), 500);
}

TEST_F(FileTest, ClientClosingMidDownloadDoesNotHurtTheServer) {
  content.assign(32 << 20, 'z');
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
  RunningServer s(h, quiet_options());
  for (int i = 0; i < 3; ++i) {
    Client c(s.port());
    c.send(get_request("/big"));
    char buf[1024];
    ASSERT_GT(::recv(c.fd(), buf, sizeof buf, 0), 0);
  }  // closed with most of the body unsent: the server sees EPIPE/ECONNRESET
  Client c(s.port());
  c.send(get_request("/f", "Range: bytes=0-2\r\n"));
  EXPECT_EQ(c.read().body(), "zzz");
}

TEST(Server, IdleKeepAliveConnectionIsClosed) {
  TestHandler h;
  ServerOptions o = quiet_options();
  o.keepalive_timeout_ms = 200;
  RunningServer s(h, o);
  Client c(s.port());
  c.send(get_request("/"));
  EXPECT_EQ(c.read().result_int(), 200);
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.closed_by_peer());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  EXPECT_EQ(s.server().stats().timeouts, 0u);  // an idle keep-alive close is not a timeout
}

TEST(Server, RunWithSignalsStopsOnSigterm) {
  TestHandler h;
  ServerOptions o = quiet_options();
  o.listen_port = 0;
  Server server(o, h);
  auto port = server.start();
  ASSERT_TRUE(port);
  std::thread t([&] { server.run(true); });
  {
    Client c(*port);  // served means run() has installed the signal handlers
    c.send(get_request("/"));
    EXPECT_EQ(c.read().result_int(), 200);
  }
  ::kill(::getpid(), SIGTERM);
  t.join();
}

TEST(Server, HeadOfStringBodyHasGetLength) {
  TestHandler h;
  h.fn = [](Request&) {
    Response r;
    r.body = std::string(1234, 'x');
    return r;
  };
  RunningServer s(h, quiet_options());
  Client c(s.port());
  c.send("HEAD / HTTP/1.1\r\nHost: t\r\n\r\n");
  auto res = c.read(true);
  EXPECT_EQ(res["Content-Length"], "1234");
  c.send(get_request("/"));
  EXPECT_EQ(c.read().body().size(), 1234u);
}

ChunkSource counting_source(int pieces) {
  auto i = std::make_shared<int>(0);
  return [i, pieces](std::string& out) {
    if (*i >= pieces) return false;
    out = "piece" + std::to_string((*i)++) + ";";
    return *i < pieces;
  };
}

TEST(Server, ChunkSourceChunkedAndWithLength) {
  TestHandler h;
  h.fn = [](Request& r) {
    Response res;
    res.body = counting_source(5);
    if (r.path == "/len")
      res.content_length = std::string("piece0;piece1;piece2;piece3;piece4;").size();
    return res;
  };
  RunningServer s(h, quiet_options());
  Client c(s.port());
  c.send(get_request("/chunked"));
  auto a = c.read();
  EXPECT_EQ(a.result_int(), 200);
  EXPECT_EQ(a["Transfer-Encoding"], "chunked");
  EXPECT_EQ(a.body(), "piece0;piece1;piece2;piece3;piece4;");
  c.send(get_request("/len"));
  auto b = c.read();
  EXPECT_EQ(b["Content-Length"], "35");
  EXPECT_EQ(b.body(), "piece0;piece1;piece2;piece3;piece4;");
}

TEST(Server, HandlerExceptionIs500AndServerContinues) {
  TestHandler h;
  h.fn = [](Request& r) -> Response {
    if (r.path == "/boom") throw std::runtime_error("boom");
    Response res;
    res.body = std::string("fine");
    return res;
  };
  RunningServer s(h, quiet_options());
  Client c(s.port());
  c.send(get_request("/boom"));
  EXPECT_EQ(c.read().result_int(), 500);
  c.send(get_request("/ok"));
  EXPECT_EQ(c.read().body(), "fine");
  EXPECT_EQ(s.server().stats().handler_errors, 1u);
}

TEST(Server, GracefulStopFinishesInFlightRequest) {
  TestHandler h;
  std::atomic<bool> entered{false};
  h.fn = [&](Request&) {
    entered = true;
    std::this_thread::sleep_for(300ms);
    Response r;
    r.body = std::string("done");
    return r;
  };
  RunningServer s(h, quiet_options());
  Client idle(s.port());  // an idle keep-alive connection must not hold up the stop
  Client c(s.port());
  c.send(get_request("/slow"));
  while (!entered) std::this_thread::sleep_for(5ms);
  auto t0 = std::chrono::steady_clock::now();
  s.server().stop();
  auto res = c.read();
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.body(), "done");
  EXPECT_FALSE(res.keep_alive());
  s.thread().join();  // run() returns
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  EXPECT_TRUE(idle.closed_by_peer());
}

TEST(Server, StopForceClosesAfterGrace) {
  TestHandler h;
  h.fn = [](Request&) {
    std::this_thread::sleep_for(800ms);
    return Response{};
  };
  ServerOptions o = quiet_options();
  o.shutdown_grace_ms = 100;
  RunningServer s(h, o);
  Client c(s.port());
  c.send(get_request("/slow"));
  std::this_thread::sleep_for(50ms);
  auto t0 = std::chrono::steady_clock::now();
  s.server().stop();
  s.thread().join();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 600ms);
}

TEST(Server, FiftyConcurrentConnections) {
  TestHandler h;
  h.fn = [](Request& r) {
    std::this_thread::sleep_for(5ms);
    Response res;
    res.body = r.path;
    return res;
  };
  ServerOptions o = quiet_options();
  o.blocking_threads = 4;
  RunningServer s(h, o);
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 50; ++i) {
    clients.emplace_back([&, i] {
      try {
        Client c(s.port());
        for (int j = 0; j < 3; ++j) {
          std::string path = "/c" + std::to_string(i) + "/" + std::to_string(j);
          c.send(get_request(path));
          if (c.read().body() == path) ok++;
        }
      } catch (const std::exception&) {
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok, 150);
  EXPECT_EQ(s.server().stats().connections_accepted, 50u);
}

TEST(Server, AccessLogEnabledDoesNotDisturbServing) {
  TestHandler h;
  RunningServer s(h);  // access_log on: one JSON line per request on stderr
  Client c(s.port());
  c.send(get_request("/logged?q=\"x\""));
  EXPECT_EQ(c.read().result_int(), 200);
}

// Listening sockets (state 0A in /proc/net/tcp) on `port` of 127.0.0.1.
int listeners_on(uint16_t port) {
  std::ifstream in("/proc/net/tcp");
  std::string line;
  char want[16];
  std::snprintf(want, sizeof want, "0100007F:%04X", unsigned(port));
  int n = 0;
  while (std::getline(in, line)) {
    if (line.find(want) != std::string::npos && line.find(" 0A ") != std::string::npos) ++n;
  }
  return n;
}

TEST(Server, EachIoThreadListensAndServesItsOwnConnections) {
  TestHandler h;
  std::mutex mu;
  std::set<std::thread::id> serving;
  h.fast = [&](Request&) {  // runs on the I/O thread serving the connection
    std::lock_guard lock(mu);
    serving.insert(std::this_thread::get_id());
    Response r;
    r.body = std::string("fast");
    return std::optional<Response>(std::move(r));
  };
  ServerOptions o = quiet_options();
  o.io_threads = 2;
  RunningServer s(h, o);
  EXPECT_EQ(listeners_on(s.port()), 2);  // one socket per thread in a SO_REUSEPORT group
  for (int i = 0; i < 40; ++i) {         // the kernel spreads new connections over the group
    Client c(s.port());
    c.send(get_request("/spread"));
    EXPECT_EQ(c.read().result_int(), 200);
  }
  std::lock_guard lock(mu);
  EXPECT_EQ(serving.size(), 2u);
}

TEST(Server, NewConnectionsAreRefusedOnceStopped) {
  TestHandler h;
  ServerOptions o = quiet_options();
  o.io_threads = 2;
  RunningServer s(h, o);
  const uint16_t port = s.port();
  s.stop_and_join();  // idle: the contexts stop at once
  EXPECT_EQ(listeners_on(port), 0);
  EXPECT_THROW(Client c(port), std::runtime_error);  // connection refused
}

TEST(Server, ConnectionsBeyondTheLimitAreClosed) {
  TestHandler h;
  ServerOptions o = quiet_options();
  o.io_threads = 2;  // accepted on either thread: one limit for both
  o.max_connections = 2;
  RunningServer s(h, o);
  auto a = std::make_unique<Client>(s.port());
  Client b(s.port());
  a->send(get_request("/a"));
  EXPECT_EQ(a->read().result_int(), 200);
  b.send(get_request("/b"));
  EXPECT_EQ(b.read().result_int(), 200);
  {
    Client c(s.port());  // the kernel accepts it; the server closes it at once
    c.send(get_request("/c"));
    EXPECT_THROW(c.read(), std::runtime_error);
  }
  a.reset();  // a slot frees up once the server has seen the close
  bool served = false;
  for (int i = 0; i < 200 && !served; ++i) {
    try {
      Client d(s.port());
      d.send(get_request("/d"));
      served = d.read().result_int() == 200;
    } catch (const std::runtime_error&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  EXPECT_TRUE(served);
}

TEST(Server, BindFailureIsUnavailable) {
  TestHandler h;
  RunningServer s(h, quiet_options());
  ServerOptions o = quiet_options();
  o.listen_port = s.port();
  o.io_threads = 2;  // a SO_REUSEPORT group must not join the first server's
  Server second(o, h);
  auto r = second.start();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kUnavailable);
}

}  // namespace
}  // namespace arca::http
