#include "formats/endpoint.h"

#include <gtest/gtest.h>

#include "util/crypto.h"

namespace arca::formats {
namespace {

TEST(EndpointPath, ParsesPathStyleWithDashedDomains) {
  auto r = parse_endpoint_path("/npm/d/my-dom-123456789012/repo/@scope%2fpkg");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->format, "npm");
  EXPECT_EQ(r->domain, "my-dom");
  EXPECT_EQ(r->owner, "123456789012");
  EXPECT_EQ(r->repository, "repo");
  EXPECT_EQ(r->rest, "@scope%2fpkg");
  auto root = parse_endpoint_path("/pypi/d/d-123456789012/r/");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->rest, "");
}

TEST(EndpointPath, RejectsOtherShapes) {
  EXPECT_FALSE(parse_endpoint_path("/npm/x/d-123456789012/r/"));
  EXPECT_FALSE(parse_endpoint_path("/npm/d/d-12345/r/"));
  EXPECT_FALSE(parse_endpoint_path("/npm/d/-123456789012/r/"));
  EXPECT_FALSE(parse_endpoint_path("/npm/d/d123456789012/r/"));
  EXPECT_FALSE(parse_endpoint_path("/npm/d/d-123456789012/"));
  EXPECT_FALSE(parse_endpoint_path("npm/d/d-123456789012/r/"));
}

TEST(Authorization, EveryClientForm) {
  EXPECT_EQ(token_from_authorization("Bearer abc.def"), "abc.def");
  EXPECT_EQ(token_from_authorization("bearer   abc"), "abc");
  EXPECT_EQ(token_from_authorization("Basic " + crypto::base64_encode("aws:tok")), "tok");
  EXPECT_EQ(token_from_authorization("Basic " + crypto::base64_encode("token:t:k")), "t:k");
  EXPECT_EQ(token_from_authorization("rawtoken"), "rawtoken");
  EXPECT_FALSE(token_from_authorization("Basic " + crypto::base64_encode("aws:")));
  EXPECT_FALSE(token_from_authorization("Basic !!!"));
  EXPECT_FALSE(token_from_authorization("Bearer "));
  EXPECT_FALSE(token_from_authorization("Digest a b"));
  EXPECT_FALSE(token_from_authorization(""));
}

}  // namespace
}  // namespace arca::formats
