// A pull-through miss answered from the I/O thread (NpmFormat::try_fast → PullThrough::peek_miss):
// once the packument was read, a tarball that only the external connection has is resolved from
// memory and answered by a Deferred response streamed from the transfer, exactly as the blocking
// path would answer; whatever is not in memory is declined.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <thread>

#include "auth/access_keys.h"
#include "formats/endpoint.h"
#include "formats/npm/npm_read_responses.h"
#include "support/test_server.h"
#include "unit/npm/npm_fixture.h"
#include "util/clock.h"
#include "util/crypto.h"

namespace arca::formats::npm {
namespace {

using namespace std::chrono_literals;
using testing::kAccount;
using testing::kPrefix;
using upstream::testing::TestServer;

class NpmFastMissTest : public testing::NpmFixture {
 protected:
  void SetUp() override {
    config_.external_connections["public:npmjs"] = upstream_.url("/");
    set_up("npm_fast_miss_test", [this] { make_access_key(); });
    ASSERT_TRUE(control_->associate_external_connection(caller_, {kAccount, "dom", "repo"},
                                                        "public:npmjs"));
    make_endpoints();
  }

  // The upstream offers `lib` 1.0.0 (served) and 2.0.0 (listed, but its tarball is gone).
  void serve_lib() {
    std::string versions;
    for (const char* v : {"1.0.0", "2.0.0"}) {
      std::string body = std::string("tarball of ") + v;
      std::string url = upstream_.url(std::string("/lib/-/lib-") + v + ".tgz");
      if (std::string(v) == "1.0.0")
        upstream_.route("/lib/-/lib-1.0.0.tgz", upstream::testing::respond(200, body));
      if (!versions.empty()) versions += ",";
      versions += std::string("\"") + v + "\":{\"name\":\"lib\",\"version\":\"" + v +
                  "\",\"dist\":{\"tarball\":\"" + url + "\",\"integrity\":\"sha512-" +
                  crypto::base64_encode(crypto::digest(crypto::Algo::kSha512, body)) +
                  "\",\"shasum\":\"" + crypto::digest_hex(crypto::Algo::kSha1, body) + "\"}}";
    }
    upstream_.route("/lib/-/lib-2.0.0.tgz", upstream::testing::respond(404, "gone"));
    upstream_.route(
        "/lib", upstream::testing::respond(200,
                                           "{\"name\":\"lib\",\"dist-tags\":{\"latest\":\"2.0.0\"},"
                                           "\"versions\":{" +
                                               versions + "}}"));
  }

  http::Request request(const std::string& target) {
    http::Request r;
    r.method = "GET";
    r.target = r.path = kPrefix + target;
    r.headers.add("Authorization", "Bearer " + token_);
    return r;
  }
  std::optional<http::Response> fast(const std::string& target) {
    auto r = request(target);
    return endpoints_->try_fast(r);
  }
  // The blocking path's final answer (settled: a read that may wait on the upstream is
  // deferred to the pull-through task pool).
  http::Response slow(const std::string& target) {
    auto r = request(target);
    return settle(endpoints_->handle(r));
  }

  // The final response of a Deferred one, as the server waits for it.
  static http::Response settle(http::Response r) {
    while (auto* d = std::get_if<http::Deferred>(&r.body)) {
      std::promise<http::Response> done;
      auto got = done.get_future();
      d->start([&done](http::Response final) { done.set_value(std::move(final)); });
      r = got.get();
    }
    return r;
  }

  // A GrowingBody read to its end, as the server sends it; nullopt when it failed.
  static std::optional<std::string> drain(http::GrowingFile& body) {
    std::string out;
    for (;;) {
      http::GrowingFile::View v = body.view();
      if (v.failed) return std::nullopt;
      if (v.readable > out.size()) {
        std::string chunk(v.readable - out.size(), '\0');
        EXPECT_EQ(::pread(v.fd, chunk.data(), chunk.size(), off_t(out.size())),
                  ssize_t(chunk.size()));
        out += chunk;
        continue;
      }
      if (v.complete) return out;
      std::promise<void> more;
      body.when_more(out.size(), [&more] { more.set_value(); });
      more.get_future().wait();
    }
  }

  TestServer upstream_;
};

TEST_F(NpmFastMissTest, AMissIsStartedFromMemoryAndStreamedAsTheSlowPathWould) {
  serve_lib();
  EXPECT_FALSE(fast("lib/-/lib-1.0.0.tgz"));  // nothing is known yet: the slow path decides
  ASSERT_EQ(slow("lib").status, 200);         // the packument: chain, document and absences known

  auto deferred = fast("lib/-/lib-1.0.0.tgz");
  ASSERT_TRUE(deferred);
  ASSERT_TRUE(std::holds_alternative<http::Deferred>(deferred->body));
  http::Response r = settle(std::move(*deferred));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.get(kCacheHeader), "MISS");
  EXPECT_EQ(r.content_length, std::string("tarball of 1.0.0").size());
  auto* body = std::get_if<http::GrowingBody>(&r.body);
  ASSERT_TRUE(body);
  EXPECT_EQ(drain(**body), "tarball of 1.0.0");
  EXPECT_EQ(upstream_.requests("/lib/-/lib-1.0.0.tgz"), 1);

  // Retained: the blocking path serves it from storage, and the fast path does too once the
  // transfer's worker has loaded the package into the snapshot cache.
  auto hit = slow("lib/-/lib-1.0.0.tgz");
  EXPECT_EQ(hit.status, 200);
  EXPECT_EQ(hit.headers.get(kCacheHeader), "HIT");
  std::optional<http::Response> fast_hit;
  for (int i = 0; i < 200; ++i, std::this_thread::sleep_for(5ms))
    if ((fast_hit = fast("lib/-/lib-1.0.0.tgz"))) break;
  ASSERT_TRUE(fast_hit);
  EXPECT_TRUE(std::holds_alternative<http::FileBody>(fast_hit->body));
  EXPECT_EQ(upstream_.requests("/lib/-/lib-1.0.0.tgz"), 1);
}

TEST_F(NpmFastMissTest, AnUpstream404AnswersAsTheSlowPathDoes) {
  serve_lib();
  ASSERT_EQ(slow("lib").status, 200);
  auto deferred = fast("lib/-/lib-2.0.0.tgz");
  ASSERT_TRUE(deferred);
  http::Response from_fast = settle(std::move(*deferred));
  http::Response from_slow = settle(slow("lib/-/lib-2.0.0.tgz"));
  EXPECT_EQ(from_fast.status, 404);
  EXPECT_EQ(from_fast.status, from_slow.status);
  ASSERT_TRUE(http::body_text(from_fast));
  ASSERT_TRUE(http::body_text(from_slow));
  EXPECT_EQ(*http::body_text(from_fast), *http::body_text(from_slow));
  EXPECT_NE(http::body_text(from_fast)->find("was not found in the repository or its upstreams"),
            std::string::npos);
}

// A packument not built yet, of a repository whose search order (in memory) reaches the
// connection, goes from the I/O thread straight to the pull-through task pool: a deferred
// answer, the blocking path's own. With the search order unknown the blocking path answers.
TEST_F(NpmFastMissTest, APackumentToBuildIsDeferredToTheTaskPool) {
  serve_lib();
  const std::string other =
      "{\"name\":\"other\",\"dist-tags\":{\"latest\":\"1.0.0\"},\"versions\":{\"1.0.0\":"
      "{\"name\":\"other\",\"version\":\"1.0.0\",\"dist\":{\"tarball\":\"" +
      upstream_.url("/other/-/other-1.0.0.tgz") + "\",\"shasum\":\"" + std::string(40, 'a') +
      "\"}}}}";
  upstream_.route("/other", upstream::testing::respond(200, other));
  EXPECT_FALSE(fast("lib"));  // nothing known yet
  ASSERT_EQ(slow("lib").status, 200);

  auto deferred = fast("other");
  ASSERT_TRUE(deferred);
  ASSERT_TRUE(std::holds_alternative<http::Deferred>(deferred->body));
  http::Response built = settle(std::move(*deferred));
  EXPECT_EQ(built.status, 200);
  EXPECT_EQ(built.headers.get(kCacheHeader), "MISS");
  http::Response cached = slow("other");  // from the packument cache now
  ASSERT_TRUE(http::body_text(built) && http::body_text(cached));
  EXPECT_EQ(*http::body_text(built), *http::body_text(cached));
  EXPECT_NE(http::body_text(built)->find("other-1.0.0.tgz"), std::string::npos);
  EXPECT_EQ(upstream_.requests("/other"), 1);
}

TEST_F(NpmFastMissTest, DeclinedWhenTheChainChangedOrTheVersionIsUnknown) {
  serve_lib();
  ASSERT_EQ(slow("lib").status, 200);
  // Not offered: not a miss from memory; the blocking path's answer, on the task pool.
  auto unknown = fast("lib/-/lib-9.9.9.tgz");
  ASSERT_TRUE(unknown);
  ASSERT_TRUE(std::holds_alternative<http::Deferred>(unknown->body));
  http::Response from_pool = settle(std::move(*unknown));
  http::Response from_slow = slow("lib/-/lib-9.9.9.tgz");
  EXPECT_EQ(from_pool.status, 404);
  EXPECT_EQ(from_pool.status, from_slow.status);
  ASSERT_TRUE(http::body_text(from_pool) && http::body_text(from_slow));
  EXPECT_EQ(*http::body_text(from_pool), *http::body_text(from_slow));
  // A repository change drops the cached search orders and snapshots.
  ASSERT_TRUE(control_->disassociate_external_connection(caller_, {kAccount, "dom", "repo"},
                                                         "public:npmjs"));
  EXPECT_FALSE(fast("lib/-/lib-1.0.0.tgz"));
  EXPECT_EQ(slow("lib/-/lib-1.0.0.tgz").status, 404);
  EXPECT_EQ(upstream_.requests("/lib/-/lib-1.0.0.tgz"), 0);
}

}  // namespace
}  // namespace arca::formats::npm
