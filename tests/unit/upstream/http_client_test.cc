#include "upstream/http_client.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include "support/test_server.h"

namespace arca::upstream {
namespace {

using namespace std::chrono_literals;
using testing::TestServer;
using Clock = std::chrono::steady_clock;

// Every test's options: short timeouts and backoff so that the binary runs in seconds.
ClientOptions fast(std::function<void(ClientOptions&)> tweak = {}) {
  ClientOptions o;
  o.connect_timeout = 1s;
  o.first_byte_timeout = 2s;
  o.idle_timeout = 2s;
  o.retry_backoff = 10ms;
  if (tweak) tweak(o);
  return o;
}

// Records what a sink saw, and in which order.
struct Recorder {
  int heads = 0;
  bool data_before_head = false;
  ResponseHead head;
  std::vector<std::string> chunks;
  std::string body;
  FetchSink sink;

  Recorder() {
    sink.on_head = [this](const ResponseHead& h) {
      ++heads;
      head = h;
      return true;
    };
    sink.on_data = [this](std::string_view c) {
      data_before_head = data_before_head || heads == 0;
      chunks.emplace_back(c);
      body.append(c);
      return true;
    };
  }
};

std::string pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = char('a' + i % 23);
  return s;
}

Result<FetchResult> get(HttpClient& client, const std::string& url, Recorder& rec,
                        FetchRequest request = {}) {
  request.url = url;
  return client.get(request, rec.sink);
}

TEST(HttpClient, StreamsTheBodyInBoundedChunksAfterOneHead) {
  TestServer server;
  const std::string body = pattern(1 << 20);
  server.route("/blob", testing::respond(200, body, {{"X-Upstream-Thing", "  Some Value  "}}));
  HttpClient client(fast());
  Recorder rec;
  auto r = get(client, server.url("/blob"), rec);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(rec.heads, 1);
  EXPECT_FALSE(rec.data_before_head);
  EXPECT_EQ(rec.body, body);
  EXPECT_GT(rec.chunks.size(), 1u);
  for (const auto& c : rec.chunks)
    EXPECT_LE(c.size(), size_t(ClientOptions{}.receive_buffer_bytes));
  EXPECT_EQ(r->body_bytes, body.size());
  EXPECT_EQ(r->attempts, 1);
  EXPECT_EQ(r->head.status, 200);
  EXPECT_EQ(r->head.content_length, body.size());
  EXPECT_EQ(r->head.effective_url, server.url("/blob"));
  EXPECT_EQ(r->head.header("x-upstream-thing"), "Some Value");
  EXPECT_EQ(r->head.header("X-UPSTREAM-THING"), "Some Value");
  EXPECT_EQ(rec.head.headers, r->head.headers);
  for (const auto& [name, value] : r->head.headers)
    for (char c : name) EXPECT_FALSE(std::isupper(static_cast<unsigned char>(c))) << name;
  EXPECT_GT(r->time_to_first_byte.count(), 0);
  EXPECT_GE(r->total_time, r->time_to_first_byte);
}

TEST(HttpClient, ChunkedBodyWithTrailersHasNoLengthAndAnUntouchedHead) {
  TestServer server;
  server.route("/c", testing::chunked({"hello ", "chunked ", "world"}, {{"X-Trailer", "t"}}));
  HttpClient client(fast());
  Recorder rec;
  auto r = get(client, server.url("/c"), rec);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(rec.body, "hello chunked world");
  EXPECT_EQ(r->head.content_length, std::nullopt);
  EXPECT_EQ(r->head.header("transfer-encoding"), "chunked");
  EXPECT_EQ(r->head.header("x-trailer"), std::nullopt);
  EXPECT_EQ(rec.heads, 1);
}

TEST(HttpClient, EmptyBodiesDeliverTheHeadOnce) {
  TestServer server;
  server.route("/204", testing::respond(204, ""));
  server.route("/empty", testing::respond(200, ""));
  HttpClient client(fast());
  for (const char* path : {"/204", "/empty"}) {
    Recorder rec;
    auto r = get(client, server.url(path), rec);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(rec.heads, 1) << path;
    EXPECT_TRUE(rec.chunks.empty()) << path;
    EXPECT_EQ(r->body_bytes, 0u);
    EXPECT_EQ(rec.head.status, std::string_view(path) == "/204" ? 204 : 200);
  }
}

TEST(HttpClient, ReusesTheConnection) {
  TestServer server;
  server.route("/a", testing::respond(200, "a"));
  server.route("/b", testing::respond(200, "b"));
  HttpClient client(fast());
  Recorder a, b;
  ASSERT_TRUE(get(client, server.url("/a"), a));
  ASSERT_TRUE(get(client, server.url("/b"), b));
  EXPECT_EQ(a.body + b.body, "ab");
  EXPECT_EQ(server.requests(), 2);
  EXPECT_EQ(server.connections(), 1);
}

TEST(HttpClient, RetriesServerErrorsWithoutShowingThemToTheSink) {
  TestServer server;
  server.route(
      "/r", testing::times(2, testing::respond(500, "error body"), testing::respond(200, "fine")));
  HttpClient client(fast([](ClientOptions& o) { o.max_retries = 2; }));
  Recorder rec;
  auto r = get(client, server.url("/r"), rec);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->attempts, 3);
  EXPECT_EQ(r->head.status, 200);
  EXPECT_EQ(rec.heads, 1);
  EXPECT_EQ(rec.head.status, 200);
  EXPECT_EQ(rec.body, "fine");
  EXPECT_EQ(server.requests("/r"), 3);
  EXPECT_EQ(server.connections(), 1);  // the error bodies were read: keep-alive survived
  EXPECT_GE(r->total_time, 30ms);      // backoff 10 ms, then 20 ms
}

TEST(HttpClient, ACancelledTransferDoesNotSleepThroughItsBackOff) {
  TestServer server;
  server.route("/busy", testing::respond(503, "busy"));
  HttpClient client(fast([](ClientOptions& o) {
    o.max_retries = 3;
    o.retry_backoff = 5s;
  }));
  Recorder r;
  const auto start = Clock::now();
  r.sink.cancelled = [&] { return Clock::now() - start > 100ms; };  // the server stops
  auto got = client.get(FetchRequest{server.url("/busy"), {}}, r.sink);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, Code::kUnavailable);
  EXPECT_LT(Clock::now() - start, 2s);
  EXPECT_EQ(r.heads, 0);
}

TEST(HttpClient, RetriesTooManyRequests) {
  TestServer server;
  server.route("/t",
               testing::times(1, testing::respond(429, "slow down"), testing::respond(200, "ok")));
  HttpClient client(fast());
  Recorder rec;
  auto r = get(client, server.url("/t"), rec);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->attempts, 2);
  EXPECT_EQ(rec.body, "ok");
}

TEST(HttpClient, TheLastAttemptsErrorAnswerIsDelivered) {
  TestServer server;
  server.route("/down", testing::respond(503, "still down"));
  HttpClient client(fast([](ClientOptions& o) { o.max_retries = 1; }));
  Recorder rec;
  auto r = get(client, server.url("/down"), rec);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->attempts, 2);
  EXPECT_EQ(r->head.status, 503);
  EXPECT_EQ(rec.heads, 1);
  EXPECT_EQ(rec.body, "still down");
}

TEST(HttpClient, NotFoundIsASuccessAndIsNotRetried) {
  TestServer server;
  HttpClient client(fast());
  Recorder rec;
  auto r = get(client, server.url("/missing"), rec);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->head.status, 404);
  EXPECT_EQ(r->attempts, 1);
  EXPECT_EQ(rec.body, "no route");
  EXPECT_EQ(server.requests(), 1);
}

TEST(HttpClient, RetriesATransportFailureBeforeAnyByte) {
  TestServer server;
  server.route("/h", testing::times(1, testing::hang_up(), testing::respond(200, "second")));
  HttpClient client(fast());
  Recorder rec;
  auto r = get(client, server.url("/h"), rec);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->attempts, 2);
  EXPECT_EQ(rec.body, "second");
  EXPECT_EQ(rec.heads, 1);
}

TEST(HttpClient, ACloseOrResetMidBodyIsUnavailableAndNotRetried) {
  TestServer server;
  server.route("/close", testing::truncated(100, 10, false));
  server.route("/reset", testing::truncated(100, 10, true));
  HttpClient client(fast([](ClientOptions& o) { o.max_retries = 2; }));
  for (const std::string path : {"/close", "/reset"}) {
    Recorder rec;
    auto r = get(client, server.url(path), rec);
    ASSERT_FALSE(r) << path;
    EXPECT_EQ(r.error().code, Code::kUnavailable) << r.error().message;
    EXPECT_EQ(r.error().reason, kKindReset) << r.error().message;
    EXPECT_NE(r.error().message.find(server.url(path)), std::string::npos) << r.error().message;
    EXPECT_EQ(rec.heads, 1);
    EXPECT_EQ(rec.body, std::string(10, 'x'));
    EXPECT_EQ(server.requests(path), 1) << path;
  }
}

// The timeouts are long enough to tell the client's own wake-ups from libcurl's: alone, libcurl
// checks an idle transfer about 200 ms after it stalls, then once a second.
TEST(HttpClient, FirstByteTimeoutIsUnavailableAndRetried) {
  TestServer server;
  server.route("/slow", testing::delayed(5s, testing::respond(200, "late")));
  HttpClient client(fast([](ClientOptions& o) {
    o.first_byte_timeout = 250ms;
    o.max_retries = 1;
  }));
  Recorder rec;
  const auto t0 = Clock::now();
  auto r = get(client, server.url("/slow"), rec);
  const auto elapsed = Clock::now() - t0;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kUnavailable);
  EXPECT_EQ(r.error().reason, kKindTimeout);
  EXPECT_NE(r.error().message.find("timed out waiting for the first byte after 250 ms"),
            std::string::npos)
      << r.error().message;
  EXPECT_EQ(rec.heads, 0);
  EXPECT_EQ(server.requests("/slow"), 2);
  EXPECT_GE(elapsed, 500ms);
  EXPECT_LT(elapsed, 1200ms);
}

TEST(HttpClient, IdleTimeoutMidBodyIsFinal) {
  TestServer server;
  server.route("/stall", testing::stall_mid_body(100, 10, 5s));
  HttpClient client(fast([](ClientOptions& o) {
    o.idle_timeout = 300ms;
    o.max_retries = 2;
  }));
  Recorder rec;
  const auto t0 = Clock::now();
  auto r = get(client, server.url("/stall"), rec);
  const auto elapsed = Clock::now() - t0;
  ASSERT_FALSE(r);
  EXPECT_GE(elapsed, 300ms);
  EXPECT_LT(elapsed, 800ms);
  EXPECT_EQ(r.error().code, Code::kUnavailable);
  EXPECT_NE(r.error().message.find("no data for 300 ms"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().reason, kKindTimeout);
  EXPECT_EQ(rec.body.size(), 10u);
  EXPECT_EQ(server.requests("/stall"), 1);
}

TEST(HttpClient, SizeCapFromContentLengthBeforeTheSinkSeesAnything) {
  TestServer server;
  server.route("/huge", testing::huge_length(1'000'000'000'000));
  HttpClient client(fast([](ClientOptions& o) { o.max_body_bytes = 1 << 20; }));
  Recorder rec;
  auto r = get(client, server.url("/huge"), rec);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kTooLarge) << r.error().message;
  EXPECT_EQ(rec.heads, 0);
  EXPECT_TRUE(rec.chunks.empty());
  EXPECT_EQ(server.requests(), 1);
}

TEST(HttpClient, SizeCapWhileStreaming) {
  TestServer server;
  server.route("/big", testing::chunked(std::vector<std::string>(4, std::string(1000, 'b'))));
  HttpClient client(fast([](ClientOptions& o) { o.max_body_bytes = 2500; }));
  Recorder rec;
  auto r = get(client, server.url("/big"), rec);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kTooLarge) << r.error().message;
  EXPECT_LE(rec.body.size(), 2500u);
  EXPECT_EQ(server.requests(), 1);
}

TEST(HttpClient, FollowsRedirectsAndReportsTheFinalHead) {
  TestServer server;
  server.route("/old", testing::redirect("/new"));
  server.route("/new", testing::respond(200, "moved", {{"X-Final", "yes"}}));
  HttpClient client(fast());
  Recorder rec;
  auto r = get(client, server.url("/old"), rec);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->head.status, 200);
  EXPECT_EQ(r->head.effective_url, server.url("/new"));
  EXPECT_EQ(r->head.header("x-final"), "yes");
  EXPECT_EQ(r->head.header("location"), std::nullopt);
  EXPECT_EQ(rec.heads, 1);
  EXPECT_EQ(rec.body, "moved");
}

TEST(HttpClient, RedirectLoopsAndUnsupportedRedirectSchemesFail) {
  TestServer server;
  server.route("/loop", testing::redirect("/loop"));
  server.route("/ftp", testing::redirect("ftp://127.0.0.1/file"));
  HttpClient client(fast([](ClientOptions& o) { o.max_redirects = 3; }));
  Recorder loop, ftp;
  auto r = get(client, server.url("/loop"), loop);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kUnavailable) << r.error().message;
  EXPECT_EQ(server.requests("/loop"), 4);  // not retried: it would loop again
  r = get(client, server.url("/ftp"), ftp);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kUnavailable) << r.error().message;
  EXPECT_EQ(loop.heads + ftp.heads, 0);
}

TEST(HttpClient, RejectsBadUrlsAndHeaders) {
  TestServer server;
  HttpClient client(fast());
  for (const std::string url :
       {"ftp://127.0.0.1/x", "file:///etc/hosts", "127.0.0.1/no-scheme", "http://", ""}) {
    Recorder rec;
    auto r = get(client, url, rec);
    ASSERT_FALSE(r) << url;
    EXPECT_EQ(r.error().code, Code::kInvalidArgument) << url << ": " << r.error().message;
  }
  for (const auto& header : {std::pair<std::string, std::string>{"X-Bad", "a\r\nInjected: 1"},
                             {"Bad Name", "x"},
                             {"", "x"}}) {
    Recorder rec;
    auto r = get(client, server.url("/x"), rec, FetchRequest{{}, {header}});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Code::kInvalidArgument) << r.error().message;
  }
  EXPECT_EQ(server.requests(), 0);
}

TEST(HttpClient, ASinkThatStopsOrThrowsFailsWithInternal) {
  TestServer server;
  server.route("/body", testing::respond(200, pattern(100'000)));
  HttpClient client(fast());
  Recorder on_data;
  on_data.sink.on_data = [](std::string_view) { return false; };
  auto r = get(client, server.url("/body"), on_data);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kInternal);
  Recorder on_head;
  on_head.sink.on_head = [](const ResponseHead&) { return false; };
  r = get(client, server.url("/body"), on_head);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kInternal);
  EXPECT_TRUE(on_head.chunks.empty());
  Recorder throws;
  throws.sink.on_data = [](std::string_view) -> bool { throw std::runtime_error("disk full"); };
  r = get(client, server.url("/body"), throws);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kInternal);
  EXPECT_NE(r.error().message.find("disk full"), std::string::npos) << r.error().message;
  EXPECT_EQ(server.requests("/body"), 3);  // none was retried
}

TEST(HttpClient, ConcurrentGetsFromEightThreads) {
  TestServer server;
  const std::string body = pattern(20'000);
  server.route("/c", testing::respond(200, body));
  HttpClient client(fast());
  constexpr int kThreads = 8, kGets = 25;
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kGets; ++i) {
        Recorder rec;
        auto r = get(client, server.url("/c"), rec);
        if (r && r->head.status == 200 && rec.body == body) ++good;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(good.load(), kThreads * kGets);
  EXPECT_EQ(server.requests(), kThreads * kGets);
  EXPECT_LE(server.connections(), kThreads);  // at most one per transfer in flight
}

TEST(HttpClient, GetBufferedIsBoundedByTheSmallerCap) {
  TestServer server;
  server.route("/doc", testing::respond(200, "{\"a\":1}"));
  server.route("/long", testing::respond(200, std::string(5000, 'l')));
  server.route("/chunked", testing::chunked({std::string(3000, 'c'), std::string(3000, 'c')}));
  HttpClient client(fast([](ClientOptions& o) { o.max_body_bytes = 4000; }));
  auto doc = client.get_buffered({server.url("/doc")}, 1000);
  ASSERT_TRUE(doc) << doc.error().message;
  EXPECT_EQ(doc->body, "{\"a\":1}");
  EXPECT_EQ(doc->result.body_bytes, 7u);
  auto r = client.get_buffered({server.url("/long")}, 1000);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kTooLarge);
  r = client.get_buffered({server.url("/long")}, 0);  // 0: the client's cap only
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kTooLarge);
  r = client.get_buffered({server.url("/chunked")}, 10'000);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kTooLarge);
  r = client.get_buffered({server.url("/chunked")}, 0);
  ASSERT_FALSE(r);
}

// A loopback port with nothing listening.
uint16_t closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), len);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

TEST(HttpClient, ConnectFailureIsUnavailableAndHidesCredentials) {
  HttpClient client(fast([](ClientOptions& o) { o.max_retries = 1; }));
  const std::string port = std::to_string(closed_port());
  Recorder rec;
  auto r = get(client, "http://user:secret@127.0.0.1:" + port + "/x", rec);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kUnavailable);
  EXPECT_EQ(r.error().reason, kKindConnect);
  EXPECT_NE(r.error().message.find("http://127.0.0.1:" + port + "/x"), std::string::npos)
      << r.error().message;
  EXPECT_EQ(r.error().message.find("secret"), std::string::npos) << r.error().message;
}

TEST(HttpClient, SendsRequestHeadersAndNoAcceptEncoding) {
  TestServer server;
  server.route("/h", testing::respond(200, "ok"));
  HttpClient client(fast());
  Recorder rec;
  FetchRequest request{
      {}, {{"Accept", "application/json"}, {"If-None-Match", "\"etag\""}, {"X-Empty", ""}}};
  ASSERT_TRUE(get(client, server.url("/h"), rec, request));
  auto seen = server.last_request("/h");
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->method, "GET");
  EXPECT_EQ(seen->header("accept"), "application/json");
  EXPECT_EQ(seen->header("if-none-match"), "\"etag\"");
  EXPECT_EQ(seen->header("x-empty"), "");
  EXPECT_EQ(seen->header("user-agent"), "arca");
  EXPECT_EQ(seen->header("accept-encoding"), std::nullopt);
}

TEST(HttpClient, IgnoresProxyEnvironmentVariables) {
  TestServer server;
  server.route("/direct", testing::respond(200, "direct"));
  const char* vars[] = {"http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"};
  for (const char* v : vars) ::setenv(v, "http://127.0.0.1:9", 1);
  HttpClient client(fast());
  Recorder rec;
  auto r = get(client, server.url("/direct"), rec);
  for (const char* v : vars) ::unsetenv(v);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(rec.body, "direct");
}

TEST(HttpClient, UsesTheConfiguredProxy) {
  TestServer proxy;
  proxy.route("/via-proxy", testing::respond(200, "proxied"));
  HttpClient client(fast([&](ClientOptions& o) { o.proxy = proxy.url(""); }));
  Recorder rec;
  const std::string target = "http://127.0.0.1:" + std::to_string(closed_port()) + "/via-proxy";
  auto r = get(client, target, rec);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(rec.body, "proxied");
  auto seen = proxy.last_request("/via-proxy");
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->target, target);
}

}  // namespace
}  // namespace arca::upstream
