// DocumentCache::fresh: what a lookup may take from memory without reading the store (the I/O
// thread's pull-through miss), and that it agrees with get().
#include "upstream/document_cache.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "events/metrics.h"
#include "store/sqlite/sqlite_metadata_store.h"
#include "support/test_server.h"
#include "util/gzip.h"

namespace arca::upstream {
namespace {

using namespace std::chrono_literals;
using testing::TestServer;

class DocumentCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "arca-docs-XXXXXX").string();
    dir_ = ::mkdtemp(tmpl.data());
    store_ = std::move(store::SqliteMetadataStore::open(dir_ + "/meta.db").value());
    cache_ = std::make_unique<DocumentCache>(*store_, metrics_);
    connection_.name = "public:npmjs";
    connection_.base_url = server_.url("/");
    ClientOptions o;
    o.connect_timeout = 1s;
    o.first_byte_timeout = 2s;
    o.max_retries = 0;
    connection_.client = std::make_unique<HttpClient>(o);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  Result<DocumentLookup> get(const std::string& path) {
    return cache_->get(connection_, "npm/" + path, FetchRequest{server_.url("/" + path), {}});
  }

  // A loopback URL where nothing listens (a port bound, then closed): connections are refused.
  static std::string closed_port_url() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return "http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)) + "/";
  }

  TestServer server_;
  const std::string closed_port_url_ = closed_port_url();
  std::string dir_;
  std::unique_ptr<store::SqliteMetadataStore> store_;
  events::Registry registry_;
  CacheMetrics metrics_{registry_};
  std::unique_ptr<DocumentCache> cache_;
  Connection connection_;
};

TEST_F(DocumentCacheTest, FreshIsKnownOnlyAfterAFetchAndWithinTheTtl) {
  server_.route("/lib", testing::respond(200, "{\"name\":\"lib\"}"));
  EXPECT_FALSE(cache_->fresh(connection_, "npm/lib"));
  auto first = get("lib");
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->result, CacheResult::kMiss);
  auto fetched = cache_->fresh(connection_, "npm/lib");
  ASSERT_TRUE(fetched);
  EXPECT_EQ(*fetched, first->fetched_time);
  auto again = get("lib");  // a HIT with the same document
  ASSERT_TRUE(again);
  EXPECT_EQ(again->result, CacheResult::kHit);
  EXPECT_EQ(again->fetched_time, *fetched);
  EXPECT_EQ(server_.requests("/lib"), 1);

  connection_.metadata_ttl = 0s;  // expired: get() must revalidate, fresh() must not answer
  EXPECT_FALSE(cache_->fresh(connection_, "npm/lib"));
  connection_.offline = true;  // offline: whatever was fetched, however old
  EXPECT_TRUE(cache_->fresh(connection_, "npm/lib"));
}

TEST_F(DocumentCacheTest, NegativeAndStaleAnswersAreNeverFresh) {
  server_.route("/gone", testing::respond(404, "no"));
  EXPECT_FALSE(get("gone"));
  EXPECT_FALSE(cache_->fresh(connection_, "npm/gone"));

  server_.route("/flaky",
                testing::times(1, testing::respond(200, "{}"), testing::respond(500, "x")));
  ASSERT_TRUE(get("flaky"));
  connection_.metadata_ttl = 0s;
  auto stale = get("flaky");  // the upstream fails: the old document, STALE
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->result, CacheResult::kStale);
  connection_.metadata_ttl = 600s;
  auto fetched = cache_->fresh(connection_, "npm/flaky");
  ASSERT_TRUE(fetched);  // still the first fetch's time, not refreshed by the stale answer
  EXPECT_EQ(*fetched, stale->fetched_time);
}

TEST_F(DocumentCacheTest, AFailingUpstreamIsNotAskedAgainForAnExpiredNegativeEntry) {
  server_.route("/ghost",
                testing::times(1, testing::respond(404, "no"), testing::respond(503, "down")));
  auto first = get("ghost");
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().code, Code::kNotFound);
  connection_.negative_ttl = 0s;  // expired: the next lookup asks, and the upstream fails
  connection_.metadata_ttl = 600s;
  for (int i = 0; i < 3; ++i) {
    auto again = get("ghost");  // the remembered 404 meanwhile
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, Code::kNotFound);
  }
  EXPECT_EQ(server_.requests("/ghost"), 2);  // one failure, then the back-off
}

TEST_F(DocumentCacheTest, AConnectionFailingInARowIsNotAskedUntilItsBackoffEnds) {
  cache_ = std::make_unique<DocumentCache>(*store_, metrics_, uint64_t(1) << 20, 1.5);
  connection_.metadata_ttl = 2s;  // backoff: min(1.5 s, TTL)
  server_.route("/ok", testing::respond(200, "{}"));
  server_.route("/d", testing::respond(200, "{\"name\":\"d\"}"));
  // Answers, even errors, keep the connection up: one broken document is not an outage.
  for (const char* path : {"/e1", "/e2", "/e3", "/e4"})
    server_.route(path, testing::respond(503, "x"));
  for (const char* name : {"e1", "e2", "e3", "e4"}) EXPECT_FALSE(get(name));
  EXPECT_EQ(server_.requests("/e4"), 1);
  auto started = std::chrono::steady_clock::now();
  auto at = [&](double seconds) {
    std::this_thread::sleep_until(started + std::chrono::duration<double>(seconds));
  };
  ASSERT_TRUE(get("ok"));
  at(1.0);
  for (const char* name : {"a", "b", "c"}) {  // no answer: nothing listens there
    auto failed = cache_->get(connection_, std::string("npm/") + name,
                              FetchRequest{closed_port_url_ + name, {}});
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().code, Code::kUnavailable);
  }
  // Down: nothing is asked for; the uncached fails at once, saying why.
  auto refused = get("d");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Code::kUnavailable);
  EXPECT_NE(refused.error().message.find("not answering"), std::string::npos)
      << refused.error().message;
  EXPECT_EQ(server_.requests("/d"), 0);
  at(2.2);  // "ok" has expired; the connection is still down: the cached document, STALE
  auto stale = get("ok");
  ASSERT_TRUE(stale) << stale.error().message;
  EXPECT_EQ(stale->result, CacheResult::kStale);
  EXPECT_EQ(server_.requests("/ok"), 1);  // not asked
  at(2.7);  // the backoff is over: the next lookup asks, and its answer closes the circuit
  auto probe = get("d");
  ASSERT_TRUE(probe) << probe.error().message;
  EXPECT_EQ(probe->result, CacheResult::kMiss);
  auto after = get("e");  // asked (404): no longer refused
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().code, Code::kNotFound);
  EXPECT_EQ(server_.requests("/e"), 1);
}

// Documents are asked for gzip-compressed, as npm asks a registry: stored as they came, handed
// out decompressed.
TEST_F(DocumentCacheTest, AsksForGzipStoresItSoAndHandsItOutDecompressed) {
  const std::string doc = "{\"name\":\"zipped\",\"versions\":{}}";
  std::string asked;
  server_.route("/zipped", [&](const testing::Request& r, testing::Exchange& x, int nth) {
    asked = r.header("accept-encoding").value_or("");
    testing::respond(200, gzip_compress(doc), {{"Content-Encoding", "gzip"}})(r, x, nth);
  });
  auto first = get("zipped");
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(asked, "gzip");
  EXPECT_EQ(*first->body, doc);
  // Stored as it came, gzipped; read back (another node, a restart) decompressed.
  auto stored = store_->get_upstream_document(connection_.name, "npm/zipped");
  ASSERT_TRUE(stored) << stored.error().message;
  EXPECT_EQ(stored->body.substr(0, 2), "\x1f\x8b");
  cache_ = std::make_unique<DocumentCache>(*store_, metrics_);
  auto hit = get("zipped");
  ASSERT_TRUE(hit) << hit.error().message;
  EXPECT_EQ(hit->result, CacheResult::kHit);
  EXPECT_EQ(*hit->body, doc);
  EXPECT_EQ(server_.requests("/zipped"), 1);
  connection_.metadata_ttl = 0s;  // expired: read back as the STALE fallback, and revalidated
  auto again = get("zipped");
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(*again->body, doc);
  EXPECT_EQ(server_.requests("/zipped"), 2);
  // A stored body that no longer decompresses is as if not cached: fetched again.
  connection_.metadata_ttl = 600s;
  store::UpstreamDocument damaged = *stored;
  damaged.body.resize(damaged.body.size() - 4);
  ASSERT_TRUE(store_->put_upstream_document(damaged));
  auto refetched = get("zipped");
  ASSERT_TRUE(refetched) << refetched.error().message;
  EXPECT_EQ(refetched->result, CacheResult::kMiss);
  EXPECT_EQ(*refetched->body, doc);
  EXPECT_EQ(server_.requests("/zipped"), 3);
}

// A gzip body that does not decompress, or one that decompresses past the document bound, is
// not stored: the document held is served STALE, and without one the lookup fails saying why.
TEST_F(DocumentCacheTest, ABodyThatDoesNotDecompressIsNeverStored) {
  cache_ = std::make_unique<DocumentCache>(*store_, metrics_, uint64_t(64) << 10);
  const std::string gz = gzip_compress("{\"name\":\"b\"}");
  const testing::Headers gzip{{"Content-Encoding", "gzip"}};
  server_.route("/b", testing::times(1, testing::respond(200, "{\"name\":\"b\"}"),
                                     testing::respond(200, gz.substr(0, gz.size() - 3), gzip)));
  ASSERT_TRUE(get("b"));
  connection_.metadata_ttl = 0s;
  auto stale = get("b");
  ASSERT_TRUE(stale) << stale.error().message;
  EXPECT_EQ(stale->result, CacheResult::kStale);
  EXPECT_EQ(*stale->body, "{\"name\":\"b\"}");
  auto kept = store_->get_upstream_document(connection_.name, "npm/b");  // not overwritten
  ASSERT_TRUE(kept) << kept.error().message;
  EXPECT_EQ(kept->body, "{\"name\":\"b\"}");

  server_.route("/corrupt", testing::respond(200, "not gzip at all", gzip));
  auto corrupt = get("corrupt");
  ASSERT_FALSE(corrupt);
  EXPECT_EQ(corrupt.error().code, Code::kUnavailable);
  EXPECT_NE(corrupt.error().message.find("cannot use: the gzip body is corrupt"), std::string::npos)
      << corrupt.error().message;
  server_.route("/br", testing::respond(200, "{}", {{"Content-Encoding", "br"}}));
  auto br = get("br");
  ASSERT_FALSE(br);
  EXPECT_NE(br.error().message.find("Content-Encoding br was not asked for"), std::string::npos)
      << br.error().message;
  // 1 MiB of spaces: a 1 KiB body, over the 64 KiB bound once decompressed.
  server_.route("/bomb", testing::respond(200, gzip_compress(std::string(1 << 20, ' ')), gzip));
  auto bomb = get("bomb");
  ASSERT_FALSE(bomb);
  EXPECT_EQ(bomb.error().code, Code::kTooLarge) << bomb.error().message;
  for (const char* key : {"npm/corrupt", "npm/br", "npm/bomb"}) {
    auto held = store_->get_upstream_document(connection_.name, key);
    ASSERT_FALSE(held) << key;
    EXPECT_EQ(held.error().code, Code::kNotFound) << key;
  }
}

// A 304 says the held document is still current: the lookup tells which fetch it confirmed, so
// whatever was derived from that fetch (a parsed packument) serves on.
TEST_F(DocumentCacheTest, ARevalidationSaysWhichFetchItConfirmed) {
  std::string validator;
  server_.route("/same", [&](const testing::Request& r, testing::Exchange& x, int nth) {
    validator = r.header("if-none-match").value_or("");
    if (validator == "\"v1\"") return testing::respond(304, "")(r, x, nth);
    testing::respond(200, "{\"name\":\"same\"}", {{"ETag", "\"v1\""}})(r, x, nth);
  });
  auto first = get("same");
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->result, CacheResult::kMiss);
  EXPECT_EQ(first->revalidated_from, 0);
  connection_.metadata_ttl = 0s;
  std::this_thread::sleep_for(20ms);  // a later fetch time
  auto again = get("same");
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(validator, "\"v1\"");
  EXPECT_EQ(again->result, CacheResult::kHit);
  EXPECT_EQ(*again->body, "{\"name\":\"same\"}");
  EXPECT_GT(again->fetched_time, first->fetched_time);
  EXPECT_EQ(again->revalidated_from, first->fetched_time);
}

}  // namespace
}  // namespace arca::upstream
