#include "upstream/curl_pool.h"

#include <gtest/gtest.h>

#include <string>

#include "support/test_server.h"

namespace arca::upstream::detail {
namespace {

size_t discard(char*, size_t size, size_t n, void*) { return size * n; }

CURLcode fetch(CURL* easy, const std::string& url) {
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_PROXY, "");
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &discard);
  return curl_easy_perform(easy);
}

// HttpClient's reuse across threads rests on this: a connection opened through one slot is found
// by another, and a slot returned to the pool (its options reset) still shares the cache.
TEST(CurlPool, SlotsShareOneConnectionCache) {
  testing::TestServer server;
  server.route("/p", testing::respond(200, "pooled"));
  CurlPool pool;
  {
    auto a = pool.acquire();
    ASSERT_TRUE(a);
    ASSERT_EQ(fetch(a.easy(), server.url("/p")), CURLE_OK);
    auto b = pool.acquire();  // a second slot while the first is still leased
    ASSERT_TRUE(b);
    ASSERT_NE(a.easy(), b.easy());
    ASSERT_EQ(fetch(b.easy(), server.url("/p")), CURLE_OK);
  }
  auto again = pool.acquire();
  ASSERT_EQ(fetch(again.easy(), server.url("/p")), CURLE_OK);
  EXPECT_EQ(server.requests(), 3);
  EXPECT_EQ(server.connections(), 1);
}

}  // namespace
}  // namespace arca::upstream::detail
