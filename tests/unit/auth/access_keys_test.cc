#include "auth/access_keys.h"

#include <sys/stat.h>

#include <fstream>
#include <regex>

#include "auth/sigv4.h"
#include "test_support.h"

namespace arca::auth {
namespace {

using testing::AuthFixture;
using testing::TempDir;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class AccessKeysTest : public AuthFixture {};

TEST_F(AccessKeysTest, CreateAccountHasTwelveDigitId) {
  for (int i = 0; i < 20; ++i) {
    auto a = create_account(store_, "acme");
    ASSERT_TRUE(a);
    EXPECT_TRUE(std::regex_match(a->id, std::regex("[1-9][0-9]{11}"))) << a->id;
    EXPECT_EQ(a->name, "acme");
    EXPECT_GT(a->created_time, 1.6e9);
    EXPECT_TRUE(store_.get_account(a->id));
  }
}

TEST_F(AccessKeysTest, CreateAccessKeyFormatAndSealedSecret) {
  auto k = create_access_key(store_, keyring_, "123456789012", "bob");
  ASSERT_TRUE(k) << k.error().message;
  EXPECT_TRUE(std::regex_match(k->key.id, std::regex("AKIA[A-Z2-7]{16}"))) << k->key.id;
  EXPECT_TRUE(std::regex_match(k->secret, std::regex("[A-Za-z0-9+/]{40}"))) << k->secret;
  auto stored = store_.get_access_key(k->key.id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->account_id, "123456789012");
  EXPECT_EQ(stored->user_name, "bob");
  EXPECT_EQ(stored->secret_sealed.find(k->secret), std::string::npos);
  auto opened = keyring_.open(stored->secret_sealed);
  ASSERT_TRUE(opened);
  EXPECT_EQ(*opened, k->secret);
  auto other = create_access_key(store_, keyring_, "123456789012", "bob");
  ASSERT_TRUE(other);
  EXPECT_NE(other->key.id, k->key.id);
  EXPECT_NE(other->secret, k->secret);
}

TEST_F(AccessKeysTest, CreateAccessKeyForMissingAccountFails) {
  auto k = create_access_key(store_, keyring_, "999999999999", "bob");
  ASSERT_FALSE(k);
  EXPECT_EQ(k.error().code, Code::kNotFound);
}

TEST(Bootstrap, CreatesAdminOnceWithPrivateCredentialsFile) {
  TempDir dir;
  testing::FakeMetadataStore store;
  Keyring keyring = Keyring::from_key(std::string(32, 'x'));
  auto r = bootstrap_if_empty(store, keyring, dir.path());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->created);
  EXPECT_EQ(r->credentials_path, dir.path() + "/admin.credentials");
  struct stat st;
  ASSERT_EQ(::stat(r->credentials_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);

  std::string text = read_file(r->credentials_path);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(text, m,
                                std::regex("\\[default\\]\naws_access_key_id = (AKIA[A-Z2-7]{16})\n"
                                           "aws_secret_access_key = ([A-Za-z0-9+/]{40})\n")))
      << text;
  std::string key_id = m[1], secret = m[2];

  auto accounts = store.list_accounts();
  ASSERT_TRUE(accounts);
  ASSERT_EQ(accounts->size(), 1u);
  EXPECT_EQ((*accounts)[0].name, "admin");
  EXPECT_NE(text.find((*accounts)[0].id), std::string::npos) << "comment names the account";

  // The written credentials authenticate.
  KeyCache cache(store, keyring);
  ASSERT_TRUE(cache.refresh());
  auto cached = cache.find(key_id);
  ASSERT_TRUE(cached);
  EXPECT_EQ(cached->secret, secret);
  EXPECT_EQ(cached->principal.user_name, "admin");
  EXPECT_EQ(cached->principal.account_id, (*accounts)[0].id);

  // Idempotent: a second start neither creates nor rewrites anything.
  auto again = bootstrap_if_empty(store, keyring, dir.path());
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->created);
  EXPECT_EQ(read_file(r->credentials_path), text);
  EXPECT_EQ(store.list_accounts()->size(), 1u);
  EXPECT_EQ(store.list_access_keys("")->size(), 1u);
}

TEST(Bootstrap, DoesNothingWhenAccountsExist) {
  TempDir dir;
  testing::FakeMetadataStore store;
  ASSERT_TRUE(store.create_account({"210987654321", "existing", 0}));
  Keyring keyring = Keyring::from_key(std::string(32, 'x'));
  auto r = bootstrap_if_empty(store, keyring, dir.path());
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->created);
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/admin.credentials"));
}

}  // namespace
}  // namespace arca::auth
