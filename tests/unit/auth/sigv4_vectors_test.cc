// SigV4 against data signed by others: the public AWS test suite and requests captured from
// botocore (the client the AWS CLI uses).
#include "auth/sigv4.h"
#include "botocore_vectors.h"
#include "sigv4_suite_vectors.h"
#include "test_support.h"

namespace arca::auth {
namespace {

using testing::parse_http;
using namespace sigv4_detail;

constexpr int64_t kSuiteNow = 1440938160;  // 20150830T123600Z
const SigV4Options kSuiteOptions{"service", 900};

class SigV4SuiteTest : public testing::AuthFixture,
                       public ::testing::WithParamInterface<testdata::SuiteVector> {
 protected:
  void SetUp() override { add_key("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"); }
};

TEST_P(SigV4SuiteTest, HeaderFormCanonicalRequestAndStringToSign) {
  const auto& v = GetParam();
  auto req = parse_http(v.header_signed_request);
  std::string auth;
  for (auto& [n, val] : req.headers)
    if (n == "Authorization") auth = val;
  std::string signed_headers = auth.substr(auth.find("SignedHeaders=") + 14);
  signed_headers = signed_headers.substr(0, signed_headers.find(','));
  std::string cr = canonical_request(req.method, req.path, req.query, false, req.headers,
                                     signed_headers, crypto::sha256_hex(req.body));
  EXPECT_EQ(cr, v.header_canonical_request);
  EXPECT_EQ(string_to_sign("20150830T123600Z", "20150830/us-east-1/service/aws4_request", cr),
            v.header_string_to_sign);
}

TEST_P(SigV4SuiteTest, HeaderFormVerifies) {
  auto req = parse_http(GetParam().header_signed_request);
  auto p = verify_sigv4(req.signed_request(), cache_, kSuiteNow, kSuiteOptions);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->access_key_id, "AKIDEXAMPLE");
  EXPECT_EQ(p->account_id, "123456789012");
}

TEST_P(SigV4SuiteTest, HeaderFormRejectsAlteredRequest) {
  auto req = parse_http(GetParam().header_signed_request);
  req.method = req.method == "GET" ? "POST" : "GET";
  auto p = verify_sigv4(req.signed_request(), cache_, kSuiteNow, kSuiteOptions);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().aws_type, "InvalidSignatureException");
}

TEST_P(SigV4SuiteTest, PresignedFormVerifies) {
  const auto& v = GetParam();
  if (!v.query_signed_request) GTEST_SKIP() << "no presigned form";
  auto req = parse_http(v.query_signed_request);
  auto p = verify_sigv4(req.signed_request(), cache_, kSuiteNow, kSuiteOptions);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->access_key_id, "AKIDEXAMPLE");
}

TEST_P(SigV4SuiteTest, PresignedFormCanonicalRequest) {
  const auto& v = GetParam();
  if (!v.query_signed_request) GTEST_SKIP() << "no presigned form";
  auto req = parse_http(v.query_signed_request);
  // The last two lines of the expected canonical request are the signed headers and the payload.
  std::string expected = v.query_canonical_request;
  size_t last = expected.rfind('\n'), before = expected.rfind('\n', last - 1);
  std::string signed_headers = expected.substr(before + 1, last - before - 1);
  std::string payload = expected.substr(last + 1);
  EXPECT_EQ(payload, crypto::sha256_hex(req.body));
  EXPECT_EQ(canonical_request(req.method, req.path, req.query, true, req.headers, signed_headers,
                              payload),
            expected);
}

INSTANTIATE_TEST_SUITE_P(AwsSuite, SigV4SuiteTest, ::testing::ValuesIn(testdata::kSuiteVectors),
                         [](const auto& info) {
                           std::string n = info.param.name;
                           for (char& c : n)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

class SigV4BotocoreTest : public testing::AuthFixture,
                          public ::testing::WithParamInterface<testdata::BotocoreVector> {
 protected:
  void SetUp() override { add_key(testdata::kBotocoreKeyId, testdata::kBotocoreSecret, "alice"); }
};

TEST_P(SigV4BotocoreTest, Verifies) {
  auto req = parse_http(GetParam().request);
  auto p = verify_sigv4(req.signed_request(), cache_, testdata::kBotocoreNow);
  ASSERT_TRUE(p) << p.error().aws_type << ": " << p.error().message;
  EXPECT_EQ(p->user_name, "alice");
  EXPECT_EQ(p->arn(), "arn:aws:iam::123456789012:user/alice");
}

TEST_P(SigV4BotocoreTest, RejectsChangedQueryOrPath) {
  auto req = parse_http(GetParam().request);
  if (!req.query.empty()) {
    req.query += "&extra=1";
  } else {
    req.path += "x";
  }
  auto p = verify_sigv4(req.signed_request(), cache_, testdata::kBotocoreNow);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().aws_type, "InvalidSignatureException");
}

INSTANTIATE_TEST_SUITE_P(Botocore, SigV4BotocoreTest,
                         ::testing::ValuesIn(testdata::kBotocoreVectors), [](const auto& info) {
                           std::string n = info.param.name;
                           for (char& c : n)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

TEST(SigV4Canonical, NonS3PathIsNormalizedAndEncodedAgain) {
  EXPECT_EQ(canonical_uri("/v1/a%2Fb/c%20d/"), "/v1/a%252Fb/c%2520d/");
  EXPECT_EQ(canonical_uri(""), "/");
  EXPECT_EQ(canonical_uri("//example//"), "/example/");
  EXPECT_EQ(canonical_uri("/a/./b/../c"), "/a/c");
  EXPECT_EQ(canonical_uri("/a/b/../.."), "/");
}

TEST(SigV4Canonical, QueryIsDecodedReencodedAndSorted) {
  EXPECT_EQ(canonical_query("b=2&a=%2Fx%2a&a=1&c", false), "a=%2Fx%2A&a=1&b=2&c=");
  EXPECT_EQ(canonical_query("k=a+b&s=a%20b", false), "k=a%2Bb&s=a%20b");
  EXPECT_EQ(canonical_query("X-Amz-Signature=abc&x=1", true), "x=1");
  EXPECT_EQ(canonical_query("X-Amz-Signature=abc&x=1", false), "X-Amz-Signature=abc&x=1");
}

TEST(SigV4Canonical, HeaderValuesAreTrimmedAndJoined) {
  HeaderList h{{"My-Header", "  a   b\t c "}, {"my-header", "d"}, {"Other", "x"}};
  EXPECT_EQ(canonical_header_value(h, "my-header"), "a b c,d");
}

TEST(SigV4Canonical, Dates) {
  int64_t t = 0;
  ASSERT_TRUE(parse_amz_date("20150830T123600Z", t));
  EXPECT_EQ(t, kSuiteNow);
  EXPECT_EQ(format_amz_date(t), "20150830T123600Z");
  EXPECT_FALSE(parse_amz_date("2015-08-30T12:36:00Z", t));
  EXPECT_FALSE(parse_amz_date("20150230T123600Z", t));
  ASSERT_TRUE(parse_http_date("Sun, 30 Aug 2015 12:36:00 GMT", t));
  EXPECT_EQ(t, kSuiteNow);
  EXPECT_FALSE(parse_http_date("Sun, 30 Foo 2015 12:36:00 GMT", t));
}

}  // namespace
}  // namespace arca::auth
