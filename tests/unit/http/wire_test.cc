#include "http/wire.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>

#include "http/access_log.h"
#include "http/spool.h"
#include "util/crypto.h"

namespace arca::http {
namespace {

TEST(ParseTarget, SplitsAndDecodesQuery) {
  Request r;
  ASSERT_TRUE(parse_target("/v1/a%2Fb?x=1&y=a%20b&z=a+b&flag&&empty=", r));
  EXPECT_EQ(r.target, "/v1/a%2Fb?x=1&y=a%20b&z=a+b&flag&&empty=");
  EXPECT_EQ(r.path, "/v1/a%2Fb");
  EXPECT_EQ(r.raw_query, "x=1&y=a%20b&z=a+b&flag&&empty=");
  ASSERT_EQ(r.query.size(), 5u);
  EXPECT_EQ(r.query[1].second, "a b");
  EXPECT_EQ(r.query[2].second, "a+b");  // '+' is not a space
  EXPECT_EQ(r.query[3].first, "flag");
  EXPECT_EQ(r.query[3].second, "");
  EXPECT_EQ(r.query_param("empty"), "");
}

TEST(ParseTarget, NoQueryAndMalformedEscape) {
  Request r;
  ASSERT_TRUE(parse_target("/plain", r));
  EXPECT_EQ(r.path, "/plain");
  EXPECT_TRUE(r.raw_query.empty());
  EXPECT_FALSE(parse_target("/p?a=%zz", r));
  EXPECT_FALSE(parse_target("/p?a=%2", r));
}

TEST(ParseRange, Forms) {
  ByteRange br;
  ASSERT_EQ(parse_range("bytes=0-9", 100, br), RangeResult::kSatisfiable);
  EXPECT_EQ(br.first, 0u);
  EXPECT_EQ(br.last, 9u);
  ASSERT_EQ(parse_range("bytes=90-", 100, br), RangeResult::kSatisfiable);
  EXPECT_EQ(br.first, 90u);
  EXPECT_EQ(br.last, 99u);
  ASSERT_EQ(parse_range("bytes=-10", 100, br), RangeResult::kSatisfiable);
  EXPECT_EQ(br.first, 90u);
  EXPECT_EQ(br.length(), 10u);
  ASSERT_EQ(parse_range("bytes=-1000", 100, br), RangeResult::kSatisfiable);
  EXPECT_EQ(br.first, 0u);
  ASSERT_EQ(parse_range("bytes=50-5000", 100, br), RangeResult::kSatisfiable);
  EXPECT_EQ(br.last, 99u);
  EXPECT_EQ(parse_range("bytes=100-", 100, br), RangeResult::kUnsatisfiable);
  EXPECT_EQ(parse_range("bytes=-0", 100, br), RangeResult::kUnsatisfiable);
  EXPECT_EQ(parse_range("bytes=0-", 0, br), RangeResult::kUnsatisfiable);
  EXPECT_EQ(parse_range("bytes=0-1,5-6", 100, br), RangeResult::kIgnore);
  EXPECT_EQ(parse_range("items=0-1", 100, br), RangeResult::kIgnore);
  EXPECT_EQ(parse_range("bytes=5-1", 100, br), RangeResult::kIgnore);
  EXPECT_EQ(parse_range("bytes=x-1", 100, br), RangeResult::kIgnore);
  EXPECT_EQ(parse_range("bytes=99999999999999999999-", 100, br), RangeResult::kIgnore);
}

TEST(HttpDate, ImfFixdate) {
  auto t = std::chrono::system_clock::from_time_t(784111777);
  EXPECT_EQ(http_date(t), "Sun, 06 Nov 1994 08:49:37 GMT");
}

TEST(AccessLog, IsEscapedJson) {
  AccessRecord rec;
  rec.remote = "127.0.0.1";
  rec.method = "GET";
  rec.target = "/a\"b\\c\n";
  rec.request_id = "id";
  rec.status = 200;
  rec.bytes_in = 1;
  rec.bytes_out = 2;
  rec.ms = 1.5;
  std::string line = access_log_line(rec, std::chrono::system_clock::from_time_t(0));
  auto v = boost::json::parse(line).as_object();
  EXPECT_EQ(v.at("target").as_string(), "/a\"b\\c\n");
  EXPECT_EQ(v.at("ts").as_string(), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(v.at("status").as_int64(), 200);
  EXPECT_EQ(v.at("bytes_out").to_number<uint64_t>(), 2u);
  EXPECT_EQ(v.at("request_id").as_string(), "id");
}

TEST(SpoolFile, HashesAndDeletes) {
  std::string path;
  {
    auto spool = SpoolFile::create(::testing::TempDir());
    ASSERT_TRUE(spool);
    ASSERT_TRUE((*spool)->write("hello "));
    ASSERT_TRUE((*spool)->write("world"));
    SpooledBody b = (*spool)->finish();
    path = b.path;
    EXPECT_EQ(b.size, 11u);
    EXPECT_EQ(b.sha256, crypto::sha256_hex("hello world"));
    EXPECT_EQ(::access(path.c_str(), F_OK), 0);
  }
  EXPECT_NE(::access(path.c_str(), F_OK), 0);
  EXPECT_FALSE(SpoolFile::create("/nonexistent/dir/for/spool"));
}

}  // namespace
}  // namespace arca::http
