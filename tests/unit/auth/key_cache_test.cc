#include "auth/key_cache.h"

#include <atomic>
#include <thread>

#include "test_support.h"

namespace arca::auth {
namespace {

class KeyCacheTest : public testing::AuthFixture {};

TEST_F(KeyCacheTest, StartsEmptyAndLoadsOnRefresh) {
  ASSERT_TRUE(store_.create_access_key(
      {"AKIAAAAAAAAAAAAAAAA1", "123456789012", "carol", keyring_.seal("s1"), 0}));
  EXPECT_EQ(cache_.find("AKIAAAAAAAAAAAAAAAA1"), nullptr);
  ASSERT_TRUE(cache_.refresh());
  auto k = cache_.find("AKIAAAAAAAAAAAAAAAA1");
  ASSERT_TRUE(k);
  EXPECT_EQ(k->secret, "s1");
  EXPECT_EQ(k->principal, (Principal{"123456789012", "carol", "AKIAAAAAAAAAAAAAAAA1"}));
  EXPECT_EQ(cache_.find("AKIAAAAAAAAAAAAAAAA2"), nullptr);
}

TEST_F(KeyCacheTest, RefreshReloadsOnlyWhenGenerationChanges) {
  ASSERT_TRUE(cache_.refresh());
  int calls = store_.list_access_keys_calls;
  ASSERT_TRUE(cache_.refresh());
  ASSERT_TRUE(cache_.refresh());
  EXPECT_EQ(store_.list_access_keys_calls, calls);
  ASSERT_TRUE(cache_.reload());
  EXPECT_EQ(store_.list_access_keys_calls, calls + 1);

  add_key("AKIAAAAAAAAAAAAAAAA1", "s1");  // refreshes
  EXPECT_EQ(store_.list_access_keys_calls, calls + 2);
  ASSERT_TRUE(store_.delete_access_key("AKIAAAAAAAAAAAAAAAA1"));
  EXPECT_TRUE(cache_.find("AKIAAAAAAAAAAAAAAAA1")) << "still cached until refresh";
  ASSERT_TRUE(cache_.refresh());
  EXPECT_FALSE(cache_.find("AKIAAAAAAAAAAAAAAAA1"));
}

TEST_F(KeyCacheTest, SkipsKeysSealedWithAnotherMasterKey) {
  Keyring other = Keyring::from_key(std::string(32, 'o'));
  ASSERT_TRUE(
      store_.create_access_key({"AKIAAAAAAAAAAAAAAAA1", "123456789012", "u", other.seal("s1"), 0}));
  ASSERT_TRUE(store_.create_access_key(
      {"AKIAAAAAAAAAAAAAAAA2", "123456789012", "u", keyring_.seal("s2"), 0}));
  ASSERT_TRUE(cache_.reload());
  EXPECT_FALSE(cache_.find("AKIAAAAAAAAAAAAAAAA1"));
  EXPECT_TRUE(cache_.find("AKIAAAAAAAAAAAAAAAA2"));
  EXPECT_EQ(cache_.size(), 1u);
}

TEST_F(KeyCacheTest, ConcurrentFindDuringReloads) {
  add_key("AKIAAAAAAAAAAAAAAAA1", "s1");
  std::atomic<bool> stop{false};
  std::atomic<int> misses{0};
  std::thread reader([&] {
    while (!stop) {
      auto k = cache_.find("AKIAAAAAAAAAAAAAAAA1");
      if (!k || k->secret != "s1") ++misses;
    }
  });
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(cache_.reload());
  stop = true;
  reader.join();
  EXPECT_EQ(misses, 0);
}

}  // namespace
}  // namespace arca::auth
