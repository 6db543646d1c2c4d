// hmac_sha256 keeps a per-thread context: re-keying, empty keys and threads must not leak state
// between calls. Vectors from RFC 4231.
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "util/crypto.h"

namespace arca::crypto {
namespace {

std::string hmac_hex(std::string_view key, std::string_view data) {
  return to_hex(hmac_sha256(key, data));
}

TEST(HmacSha256, Rfc4231VectorsInAnyOrder) {
  const std::string key1(20, '\x0b'), key3(20, '\xaa'), key6(131, '\xaa');
  const char* want1 = "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7";
  const char* want2 = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
  const char* want6 = "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54";
  for (int round = 0; round < 3; ++round) {  // alternate keys on the same thread's context
    EXPECT_EQ(hmac_hex(key1, "Hi There"), want1);
    EXPECT_EQ(hmac_hex("Jefe", "what do ya want for nothing?"), want2);
    EXPECT_EQ(hmac_hex(key6, "Test Using Larger Than Block-Size Key - Hash Key First"), want6);
    EXPECT_EQ(hmac_hex(key3, std::string(50, '\xdd')),
              "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
  }
}

TEST(HmacSha256, EmptyKeyIsAKeyNotThePreviousOne) {
  const std::string with_key = hmac_hex("Jefe", "data");
  const std::string empty = hmac_hex("", "data");
  EXPECT_NE(empty, with_key);
  EXPECT_EQ(empty, "e528c4d99e6177f5841f712a143b90843299a4aa181a06501422d9ca862bd2a5");
  EXPECT_EQ(hmac_hex("Jefe", "data"), with_key);
}

TEST(HmacSha256, ThreadsAgree) {
  const std::string want = hmac_hex("Jefe", "what do ya want for nothing?");
  std::vector<std::thread> threads;
  std::vector<std::string> got(4);
  for (size_t i = 0; i < got.size(); ++i)
    threads.emplace_back([&got, i] { got[i] = hmac_hex("Jefe", "what do ya want for nothing?"); });
  for (auto& t : threads) t.join();
  for (const auto& g : got) EXPECT_EQ(g, want);
}

}  // namespace
}  // namespace arca::crypto
