#include "auth/keyring.h"

#include <sys/stat.h>

#include <fstream>

#include "test_support.h"

namespace arca::auth {
namespace {

using testing::TempDir;

TEST(Keyring, SealOpenRoundTrip) {
  Keyring k = Keyring::from_key(std::string(32, 'a'));
  std::string sealed = k.seal("secret value");
  EXPECT_EQ(sealed.find("secret"), std::string::npos);
  for (char c : sealed)
    EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_');
  auto opened = k.open(sealed);
  ASSERT_TRUE(opened);
  EXPECT_EQ(*opened, "secret value");
  EXPECT_NE(k.seal("secret value"), sealed) << "nonce must be random";
}

TEST(Keyring, DetectsTamperingAndWrongKey) {
  Keyring k = Keyring::from_key(std::string(32, 'a'));
  std::string sealed = k.seal("secret value");
  for (size_t i = 0; i < sealed.size(); i += 7) {
    std::string t = sealed;
    t[i] = t[i] == 'A' ? 'B' : 'A';
    auto r = k.open(t);
    EXPECT_FALSE(r) << "position " << i;
  }
  EXPECT_FALSE(k.open(sealed.substr(0, sealed.size() - 2)));
  EXPECT_FALSE(k.open(""));
  EXPECT_FALSE(k.open("!!not base64!!"));
  Keyring other = Keyring::from_key(std::string(32, 'b'));
  auto r = other.open(sealed);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kInternal);
}

TEST(Keyring, TokenKeyIsDerived) {
  std::string master(32, 'm');
  Keyring k = Keyring::from_key(master);
  EXPECT_EQ(k.token_key(), crypto::hmac_sha256(master, "arca-token-v1"));
}

TEST(Keyring, CreatesMasterKeyWithMode0600AndPersists) {
  TempDir dir;
  std::string data = dir.path() + "/data";  // created on demand
  auto first = Keyring::load_or_create(data);
  ASSERT_TRUE(first) << first.error().message;
  struct stat st;
  ASSERT_EQ(::stat((data + "/master.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  EXPECT_EQ(st.st_size, 32);
  // No temporary file is left behind.
  int entries = 0;
  for (auto& e : std::filesystem::directory_iterator(data)) entries += e.is_regular_file();
  EXPECT_EQ(entries, 1);

  std::string sealed = first->seal("persisted");
  auto second = Keyring::load_or_create(data);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->token_key(), first->token_key());
  auto opened = second->open(sealed);
  ASSERT_TRUE(opened);
  EXPECT_EQ(*opened, "persisted");
}

TEST(Keyring, DifferentDataDirsGetDifferentKeys) {
  TempDir a, b;
  auto ka = Keyring::load_or_create(a.path());
  auto kb = Keyring::load_or_create(b.path());
  ASSERT_TRUE(ka && kb);
  EXPECT_NE(ka->token_key(), kb->token_key());
}

TEST(Keyring, RejectsCorruptMasterKey) {
  TempDir dir;
  std::ofstream(dir.path() + "/master.key") << "short";
  auto k = Keyring::load_or_create(dir.path());
  ASSERT_FALSE(k);
  EXPECT_EQ(k.error().code, Code::kInternal);
  EXPECT_NE(k.error().message.find("master.key"), std::string::npos);
}

}  // namespace
}  // namespace arca::auth
