// SigV4 failure modes: each error type, clock skew, presigned expiry, payload hash handling.
#include "auth/sigv4.h"
#include "test_support.h"

namespace arca::auth {
namespace {

using namespace sigv4_detail;

constexpr char kKeyId[] = "AKIAAAAAAAAAAAAAAAAA";
constexpr char kSecret[] = "0123456789abcdefghijABCDEFGHIJ0123456789";
constexpr int64_t kT = 1440938160;  // 20150830T123600Z

// Builds requests signed with the building blocks (which the vector tests pin down).
class SigV4ErrorsTest : public testing::AuthFixture {
 protected:
  void SetUp() override { add_key(kKeyId, kSecret); }

  struct Req {
    std::string method = "GET", path = "/v1/domain", query = "domain=d", body;
    HeaderList headers{{"Host", "localhost:8080"}};
    SignedRequest view() const {
      return SignedRequest{method, path, query, &headers, crypto::sha256_hex(body)};
    }
  };

  std::string signature(const Req& r, const std::string& amz_date, const std::string& scope,
                        const std::string& signed_headers, const std::string& payload,
                        bool presigned, const std::string& secret = kSecret) {
    std::string cr =
        canonical_request(r.method, r.path, r.query, presigned, r.headers, signed_headers, payload);
    std::string key = signing_key(secret, scope.substr(0, 8), "us-east-1", "codeartifact");
    return signature_hex(key, string_to_sign(amz_date, scope, cr));
  }

  // Signs in header form with x-amz-date = amz_date.
  Req signed_get(const std::string& amz_date = "20150830T123600Z",
                 const std::string& secret = kSecret, const std::string& key_id = kKeyId) {
    Req r;
    r.headers.emplace_back("X-Amz-Date", amz_date);
    std::string scope = amz_date.substr(0, 8) + "/us-east-1/codeartifact/aws4_request";
    std::string sig =
        signature(r, amz_date, scope, "host;x-amz-date", crypto::sha256_hex(r.body), false, secret);
    r.headers.emplace_back("Authorization", "AWS4-HMAC-SHA256 Credential=" + key_id + "/" + scope +
                                                ", SignedHeaders=host;x-amz-date, "
                                                "Signature=" +
                                                sig);
    return r;
  }

  Req presigned_get(int64_t expires, const std::string& payload_for_signing) {
    Req r;
    r.query = "domain=d&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" + std::string(kKeyId) +
              "%2F20150830%2Fus-east-1%2Fcodeartifact%2Faws4_request&X-Amz-Date=20150830T123600Z"
              "&X-Amz-Expires=" +
              std::to_string(expires) + "&X-Amz-SignedHeaders=host";
    std::string sig =
        signature(r, "20150830T123600Z", "20150830/us-east-1/codeartifact/aws4_request", "host",
                  payload_for_signing, true);
    r.query += "&X-Amz-Signature=" + sig;
    return r;
  }

  Result<Principal> verify(const Req& r, int64_t now = kT) {
    return verify_sigv4(r.view(), cache_, now);
  }
};

void expect_error(const Result<Principal>& p, const std::string& aws_type, Code code,
                  const std::string& message_part) {
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().aws_type, aws_type);
  EXPECT_EQ(p.error().code, code);
  EXPECT_NE(p.error().message.find(message_part), std::string::npos) << p.error().message;
}

TEST_F(SigV4ErrorsTest, ValidRequestVerifies) {
  auto p = verify(signed_get());
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->access_key_id, kKeyId);
  EXPECT_EQ(p->user_name, "u");
}

TEST_F(SigV4ErrorsTest, MissingAuthentication) {
  Req r;
  auto p = verify(r);
  expect_error(p, "MissingAuthenticationTokenException", Code::kPermissionDenied,
               "Missing Authentication Token");
  EXPECT_EQ(http_status(p.error().code), 403);
}

TEST_F(SigV4ErrorsTest, IncompleteHeader) {
  Req r = signed_get();
  r.headers.back().second = "AWS4-HMAC-SHA256 Credential=" + std::string(kKeyId) +
                            "/20150830/us-east-1/codeartifact/aws4_request";
  auto p = verify(r);
  expect_error(p, "IncompleteSignatureException", Code::kInvalidArgument,
               "requires 'Signature' parameter");
  EXPECT_NE(p.error().message.find("requires 'SignedHeaders' parameter"), std::string::npos);
  EXPECT_EQ(http_status(p.error().code), 400);
}

TEST_F(SigV4ErrorsTest, MissingDate) {
  Req r = signed_get();
  r.headers.erase(r.headers.begin() + 1);  // X-Amz-Date
  expect_error(verify(r), "IncompleteSignatureException", Code::kInvalidArgument, "'X-Amz-Date'");
}

TEST_F(SigV4ErrorsTest, UnsupportedAlgorithm) {
  Req r;
  r.headers.emplace_back("Authorization", "Bearer abc");
  expect_error(verify(r), "IncompleteSignatureException", Code::kInvalidArgument, "algorithm");
}

TEST_F(SigV4ErrorsTest, MalformedCredential) {
  Req r = signed_get();
  r.headers.back().second = "AWS4-HMAC-SHA256 Credential=" + std::string(kKeyId) +
                            "/20150830/us-east-1, SignedHeaders=host;x-amz-date, Signature=00";
  expect_error(verify(r), "IncompleteSignatureException", Code::kInvalidArgument, "Credential");
}

TEST_F(SigV4ErrorsTest, UnknownAccessKey) {
  auto p = verify(signed_get("20150830T123600Z", kSecret, "AKIAUNKNOWNUNKNOWN22"));
  expect_error(p, "UnrecognizedClientException", Code::kPermissionDenied,
               "The security token included in the request is invalid.");
}

TEST_F(SigV4ErrorsTest, WrongSecret) {
  auto p = verify(signed_get("20150830T123600Z", "not-the-secret"));
  expect_error(p, "InvalidSignatureException", Code::kPermissionDenied,
               "The request signature we calculated does not match the signature you provided. "
               "Check your AWS Secret Access Key and signing method. Consult the service "
               "documentation for details.");
  EXPECT_EQ(http_status(p.error().code), 403);
}

TEST_F(SigV4ErrorsTest, DeletedKeyIsUnrecognizedAfterRefresh) {
  ASSERT_TRUE(store_.delete_access_key(kKeyId));
  ASSERT_TRUE(cache_.refresh());
  expect_error(verify(signed_get()), "UnrecognizedClientException", Code::kPermissionDenied, "");
}

TEST_F(SigV4ErrorsTest, ClockSkew) {
  EXPECT_TRUE(verify(signed_get(), kT + 900));
  EXPECT_TRUE(verify(signed_get(), kT - 900));
  expect_error(verify(signed_get(), kT + 1440), "InvalidSignatureException",
               Code::kPermissionDenied,
               "Signature expired: 20150830T123600Z is now earlier than 20150830T124500Z "
               "(20150830T130000Z - 15 min.)");
  expect_error(verify(signed_get(), kT - 1800), "InvalidSignatureException",
               Code::kPermissionDenied,
               "Signature not yet current: 20150830T123600Z is still later than "
               "20150830T122100Z (20150830T120600Z + 15 min.)");
}

TEST_F(SigV4ErrorsTest, ScopeMustMatchServiceAndDate) {
  SigV4Options s3{"s3", 900};
  expect_error(verify_sigv4(signed_get().view(), cache_, kT, s3), "InvalidSignatureException",
               Code::kPermissionDenied, "correct service: 's3'");
  Req r = signed_get();
  r.headers[1].second = "20150831T123600Z";
  expect_error(verify(r, kT + 86400), "InvalidSignatureException", Code::kPermissionDenied,
               "Date in Credential scope does not match");
}

TEST_F(SigV4ErrorsTest, HostMustBeSigned) {
  Req r;
  r.headers.emplace_back("X-Amz-Date", "20150830T123600Z");
  std::string sig = signature(r, "20150830T123600Z", "20150830/us-east-1/codeartifact/aws4_request",
                              "x-amz-date", crypto::sha256_hex(""), false);
  r.headers.emplace_back("Authorization", "AWS4-HMAC-SHA256 Credential=" + std::string(kKeyId) +
                                              "/20150830/us-east-1/codeartifact/aws4_request, "
                                              "SignedHeaders=x-amz-date, Signature=" +
                                              sig);
  expect_error(verify(r), "IncompleteSignatureException", Code::kInvalidArgument, "'Host'");
}

TEST_F(SigV4ErrorsTest, DateHeaderInsteadOfXAmzDate) {
  Req r;
  r.headers.emplace_back("Date", "Sun, 30 Aug 2015 12:36:00 GMT");
  std::string scope = "20150830/us-east-1/codeartifact/aws4_request";
  std::string sig =
      signature(r, "20150830T123600Z", scope, "date;host", crypto::sha256_hex(""), false);
  r.headers.emplace_back("Authorization", "AWS4-HMAC-SHA256 Credential=" + std::string(kKeyId) +
                                              "/" + scope +
                                              ",SignedHeaders=date;host,Signature=" + sig);
  auto p = verify(r);
  EXPECT_TRUE(p) << p.error().message;
}

TEST_F(SigV4ErrorsTest, ContentSha256HeaderIsThePayloadHashAndMustMatchTheBody) {
  auto make = [&](const std::string& content_sha, const std::string& body) {
    Req r;
    r.method = "POST";
    r.body = body;
    r.headers.emplace_back("X-Amz-Date", "20150830T123600Z");
    r.headers.emplace_back("x-amz-content-sha256", content_sha);
    std::string scope = "20150830/us-east-1/codeartifact/aws4_request";
    std::string sig = signature(r, "20150830T123600Z", scope,
                                "host;x-amz-content-sha256;x-amz-date", content_sha, false);
    r.headers.emplace_back("Authorization", "AWS4-HMAC-SHA256 Credential=" + std::string(kKeyId) +
                                                "/" + scope +
                                                ", SignedHeaders=host;x-amz-content-sha256;"
                                                "x-amz-date, Signature=" +
                                                sig);
    return r;
  };
  EXPECT_TRUE(verify(make(crypto::sha256_hex("hello"), "hello")));
  EXPECT_TRUE(verify(make("UNSIGNED-PAYLOAD", "anything")));
  auto p = verify(make(crypto::sha256_hex("hello"), "tampered"));
  expect_error(p, "InvalidSignatureException", Code::kInvalidArgument, "x-amz-content-sha256");
  EXPECT_EQ(http_status(p.error().code), 400);

  // A streaming caller may defer the body check: empty body_sha256 trusts the header.
  Req deferred = make(crypto::sha256_hex("big body"), "");
  SignedRequest view = deferred.view();
  view.body_sha256.clear();
  EXPECT_TRUE(verify_sigv4(view, cache_, kT));
}

TEST_F(SigV4ErrorsTest, Presigned) {
  Req r = presigned_get(3600, crypto::sha256_hex(""));
  EXPECT_TRUE(verify(r, kT + 3600));
  expect_error(verify(r, kT + 3601), "InvalidSignatureException", Code::kPermissionDenied,
               "Request has expired");
  expect_error(verify(r, kT - 1000), "InvalidSignatureException", Code::kPermissionDenied,
               "not yet current");
  Req tampered = r;
  tampered.query.replace(0, 8, "domain=e");
  expect_error(verify(tampered), "InvalidSignatureException", Code::kPermissionDenied,
               "does not match");
}

TEST_F(SigV4ErrorsTest, PresignedOverUnsignedPayload) {
  Req r = presigned_get(60, "UNSIGNED-PAYLOAD");
  r.body = "whatever";
  EXPECT_TRUE(verify(r));
}

TEST_F(SigV4ErrorsTest, PresignedIncomplete) {
  Req r = presigned_get(60, crypto::sha256_hex(""));
  r.query = r.query.substr(0, r.query.find("&X-Amz-Signature"));
  expect_error(verify(r), "IncompleteSignatureException", Code::kInvalidArgument,
               "'X-Amz-Signature'");
  Req big = presigned_get(604801, crypto::sha256_hex(""));
  expect_error(verify(big), "IncompleteSignatureException", Code::kInvalidArgument,
               "X-Amz-Expires");
}

TEST_F(SigV4ErrorsTest, SignatureCaseAndLengthMustMatchExactly) {
  Req r = signed_get();
  std::string& auth = r.headers.back().second;
  auth.pop_back();
  expect_error(verify(r), "InvalidSignatureException", Code::kPermissionDenied, "does not match");
}

}  // namespace
}  // namespace arca::auth
