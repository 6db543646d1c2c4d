#include "auth/token.h"

#include <regex>

#include "test_support.h"

namespace arca::auth {
namespace {

constexpr char kKeyId[] = "AKIAAAAAAAAAAAAAAAA1";
constexpr int64_t kNow = 1700000000;

class TokenTest : public testing::AuthFixture {
 protected:
  void SetUp() override { add_key(kKeyId, "secret", "dave"); }
  const Principal principal_{"123456789012", "dave", kKeyId};
  TokenService tokens_{keyring_, cache_};
};

void expect_unauthenticated(const Result<TokenClaims>& r, const std::string& message) {
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kUnauthenticated);
  EXPECT_EQ(r.error().message, message);
}

TEST_F(TokenTest, RoundTrip) {
  std::string t = tokens_.issue(principal_, "123456789012", "my-domain", kNow + 43200);
  auto c = tokens_.verify(t, kNow);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->principal, principal_);
  EXPECT_EQ(c->domain_owner, "123456789012");
  EXPECT_EQ(c->domain_name, "my-domain");
  EXPECT_EQ(c->expires_at, kNow + 43200);
}

TEST_F(TokenTest, IsUrlSafe) {
  Principal odd{"123456789012", "user+name/with=odd:chars@x", kKeyId};
  std::string t = tokens_.issue(odd, "123456789012", "d", kNow + 1);
  EXPECT_TRUE(std::regex_match(t, std::regex("arca1\\.[A-Za-z0-9._~-]+"))) << t;
  EXPECT_LT(t.size(), 300u);
  auto c = tokens_.verify(t, kNow);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->principal.user_name, odd.user_name);
}

TEST_F(TokenTest, Expiry) {
  std::string t = tokens_.issue(principal_, "123456789012", "d", kNow + 900);
  EXPECT_TRUE(tokens_.verify(t, kNow + 899));
  expect_unauthenticated(tokens_.verify(t, kNow + 900), "authorization token expired");
}

TEST_F(TokenTest, TamperingIsDetected) {
  std::string t = tokens_.issue(principal_, "123456789012", "d", kNow + 900);
  for (size_t i = 0; i < t.size(); ++i) {
    std::string x = t;
    x[i] = x[i] == 'A' ? 'B' : 'A';
    expect_unauthenticated(tokens_.verify(x, kNow), "invalid authorization token");
  }
  expect_unauthenticated(tokens_.verify(t + "A", kNow), "invalid authorization token");
  expect_unauthenticated(tokens_.verify(t.substr(0, t.size() - 1), kNow),
                         "invalid authorization token");
  // A longer expiry spliced in from another token does not carry that token's MAC over.
  std::string other = tokens_.issue(principal_, "123456789012", "d", kNow + 99999);
  std::string spliced = other.substr(0, other.rfind('.')) + t.substr(t.rfind('.'));
  expect_unauthenticated(tokens_.verify(spliced, kNow), "invalid authorization token");
}

TEST_F(TokenTest, GarbageIsInvalid) {
  for (const char* g :
       {"", "arca1.", "arca1..", "arca2.abc.def", "Bearer x", "arca1.@@@.###", "eyJ2ZXIiOjF9"}) {
    expect_unauthenticated(tokens_.verify(g, kNow), "invalid authorization token");
  }
}

TEST_F(TokenTest, OtherMasterKeyIsInvalid) {
  Keyring other_keyring = Keyring::from_key(std::string(32, 'z'));
  TokenService other(other_keyring, cache_);
  std::string t = other.issue(principal_, "123456789012", "d", kNow + 900);
  EXPECT_TRUE(other.verify(t, kNow));  // now remembered by this thread, for `other` only
  expect_unauthenticated(tokens_.verify(t, kNow), "invalid authorization token");
}

TEST_F(TokenTest, DeletingTheKeyRevokesItsTokens) {
  std::string t = tokens_.issue(principal_, "123456789012", "d", kNow + 900);
  EXPECT_TRUE(tokens_.verify(t, kNow));  // a recently verified token is checked again too
  ASSERT_TRUE(store_.delete_access_key(kKeyId));
  ASSERT_TRUE(cache_.refresh());
  expect_unauthenticated(tokens_.verify(t, kNow),
                         "the access key that issued this token was deleted");
}

TEST(TokenRestart, TokensSurviveARestart) {
  testing::TempDir dir;
  testing::FakeMetadataStore store;
  ASSERT_TRUE(store.create_account({"123456789012", "a", 0}));
  std::string token;
  {
    auto keyring = Keyring::load_or_create(dir.path());
    ASSERT_TRUE(keyring);
    ASSERT_TRUE(store.create_access_key({kKeyId, "123456789012", "u", keyring->seal("s"), 0}));
    KeyCache cache(store, *keyring);
    ASSERT_TRUE(cache.refresh());
    token = TokenService(*keyring, cache)
                .issue({"123456789012", "u", kKeyId}, "123456789012", "d", kNow + 900);
  }
  auto keyring = Keyring::load_or_create(dir.path());
  ASSERT_TRUE(keyring);
  KeyCache cache(store, *keyring);
  ASSERT_TRUE(cache.refresh());
  auto c = TokenService(*keyring, cache).verify(token, kNow);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->principal.user_name, "u");
}

}  // namespace
}  // namespace arca::auth
