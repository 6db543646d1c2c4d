#include "upstream/curl_pool.h"

#include <gtest/gtest.h>

#include <string>

#include "support/test_server.h"

namespace arca::upstream::detail {
namespace {

size_t discard(char*, size_t size, size_t n, void*) { return size * n; }

// One GET on the lease's own multi handle, as HttpClient runs it.
CURLcode fetch(const CurlPool::Lease& lease, const std::string& url) {
  CURL* easy = lease.easy();
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_PROXY, "");
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &discard);
  curl_multi_add_handle(lease.multi(), easy);
  int running = 1;
  while (running) {
    if (curl_multi_perform(lease.multi(), &running) != CURLM_OK) break;
    if (running) curl_multi_poll(lease.multi(), nullptr, 0, 100, nullptr);
  }
  CURLcode rc = CURLE_FAILED_INIT;
  int queued = 0;
  while (CURLMsg* m = curl_multi_info_read(lease.multi(), &queued))
    if (m->msg == CURLMSG_DONE) rc = m->data.result;
  curl_multi_remove_handle(lease.multi(), easy);
  return rc;
}

// A slot returned to the pool keeps its connection: the next lease (last in, first out) reuses
// it, its options reset.
TEST(CurlPool, AReturnedSlotKeepsItsConnection) {
  testing::TestServer server;
  server.route("/p", testing::respond(200, "pooled"));
  CurlPool pool;
  for (int i = 0; i < 3; ++i) {
    auto lease = pool.acquire();
    ASSERT_TRUE(lease);
    ASSERT_EQ(fetch(lease, server.url("/p")), CURLE_OK);
  }
  EXPECT_EQ(server.requests(), 3);
  EXPECT_EQ(server.connections(), 1);
}

// Slots in use at once do not share connections (libcurl does not support a connection cache
// shared by concurrent threads): each has its own, and keeps it.
TEST(CurlPool, ConcurrentSlotsHaveAConnectionEach) {
  testing::TestServer server;
  server.route("/p", testing::respond(200, "pooled"));
  CurlPool pool;
  {
    auto a = pool.acquire();
    auto b = pool.acquire();
    ASSERT_TRUE(a && b);
    ASSERT_NE(a.easy(), b.easy());
    ASSERT_EQ(fetch(a, server.url("/p")), CURLE_OK);
    ASSERT_EQ(fetch(b, server.url("/p")), CURLE_OK);
  }
  auto again = pool.acquire();
  ASSERT_EQ(fetch(again, server.url("/p")), CURLE_OK);
  EXPECT_EQ(server.requests(), 3);
  EXPECT_EQ(server.connections(), 2);
}

}  // namespace
}  // namespace arca::upstream::detail
