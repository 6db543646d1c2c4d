#include "core/validate.h"

#include <gtest/gtest.h>

#include <vector>

#include "core/arn.h"
#include "core/control_plane.h"
#include "core/pagination.h"

namespace arca::core {
namespace {

TEST(Validate, DomainNames) {
  EXPECT_TRUE(validate_domain_name("domain", "ab"));
  EXPECT_TRUE(validate_domain_name("domain", "my-domain-1"));
  EXPECT_TRUE(validate_domain_name("domain", std::string(50, 'a')));
  for (std::string bad :
       std::vector<std::string>{"a", "Ab", "1ab", "ab-", "a_b", "a b", std::string(51, 'a'), ""}) {
    auto st = validate_domain_name("domain", bad);
    ASSERT_FALSE(st) << bad;
    EXPECT_EQ(st.error().code, Code::kInvalidArgument);
    EXPECT_EQ(st.error().reason, "FIELD_VALIDATION_FAILED");
    EXPECT_NE(st.error().message.find("at 'domain'"), std::string::npos) << st.error().message;
  }
}

TEST(Validate, RepositoryNames) {
  EXPECT_TRUE(validate_repository_name("repository", "Repo_1.x-y"));
  EXPECT_TRUE(validate_repository_name("repository", std::string(100, 'R')));
  for (std::string bad :
       std::vector<std::string>{"r", "-repo", ".repo", "re po", "re/po", std::string(101, 'r')})
    EXPECT_FALSE(validate_repository_name("repository", bad)) << bad;
}

TEST(Validate, AccountIdsAndConnections) {
  EXPECT_TRUE(validate_account_id("domainOwner", "123456789012"));
  EXPECT_FALSE(validate_account_id("domainOwner", "12345678901"));
  EXPECT_FALSE(validate_account_id("domainOwner", "12345678901a"));
  EXPECT_TRUE(validate_external_connection_name("externalConnection", "public:npmjs"));
  EXPECT_FALSE(validate_external_connection_name("externalConnection", ":npmjs"));
}

TEST(Validate, ControlCharactersAndLengths) {
  EXPECT_TRUE(validate_description("description", "caf\xc3\xa9 ok"));
  EXPECT_FALSE(validate_description("description", "bad\x01"));
  EXPECT_FALSE(validate_description("description", "c1 \xc2\x85 control"));
  EXPECT_FALSE(validate_description("description", std::string(1001, 'x')));
  EXPECT_FALSE(validate_tag_key("k", ""));
  EXPECT_TRUE(validate_tag_value("v", ""));
  EXPECT_FALSE(validate_tag_value("v", std::string(257, 'v')));
  EXPECT_FALSE(validate_arn("resourceArn", "arn with space"));
}

TEST(Validate, FormatsAndMaxResults) {
  for (auto f : {"npm", "pypi", "maven", "nuget", "generic", "ruby", "swift", "cargo"})
    EXPECT_TRUE(validate_format("format", f));
  EXPECT_FALSE(validate_format("format", "NPM"));
  EXPECT_TRUE(validate_max_results("maxResults", 1));
  EXPECT_TRUE(validate_max_results("maxResults", 1000));
  EXPECT_FALSE(validate_max_results("maxResults", 0));
  EXPECT_FALSE(validate_max_results("maxResults", 1001));
}

TEST(Arn, RoundTrip) {
  EXPECT_EQ(domain_arn("us-east-1", "123456789012", "d"),
            "arn:aws:codeartifact:us-east-1:123456789012:domain/d");
  auto r = parse_resource_arn(repository_arn("eu-west-1", "123456789012", "d", "r"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, ResourceRef::Kind::kRepository);
  EXPECT_EQ(r->region, "eu-west-1");
  EXPECT_EQ(r->domain, "d");
  EXPECT_EQ(r->repository, "r");
  auto d = parse_resource_arn("arn:aws:codeartifact:us-east-1:123456789012:domain/dd");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->kind, ResourceRef::Kind::kDomain);
  EXPECT_FALSE(parse_resource_arn("arn:aws:s3:::bucket"));
  EXPECT_FALSE(parse_resource_arn("arn:aws:codeartifact:us-east-1:1:repository/d"));
  EXPECT_FALSE(parse_resource_arn("not-an-arn"));
}

TEST(Pagination, TokensRoundTripAndRejectForeignOnes) {
  std::string cursor =
      "123456789012\x1f"
      "dom\x1f"
      "repo";
  auto back = decode_page_token("nextToken", encode_page_token(cursor));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, cursor);
  EXPECT_FALSE(decode_page_token("nextToken", "garbage!"));
  EXPECT_FALSE(decode_page_token("nextToken", ""));
  EXPECT_FALSE(decode_page_token("nextToken", std::string(2001, 'A')));
}

TEST(ExternalConnections, KnownNamesHaveFormats) {
  EXPECT_EQ(external_connection_format("public:npmjs"), "npm");
  EXPECT_EQ(external_connection_format("public:crates-io"), "cargo");
  EXPECT_EQ(external_connection_format("public:unknown"), "");
}

}  // namespace
}  // namespace arca::core
