#include "formats/npm/base64_stream.h"

#include <gtest/gtest.h>

#include <random>

namespace arca::formats::npm {
namespace {

std::string encode(const std::string& bytes) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = uint8_t(bytes[i]) << 16 | uint8_t(bytes[i + 1]) << 8 | uint8_t(bytes[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out.push_back(kAlphabet[(v >> s) & 63]);
  }
  if (bytes.size() - i == 1) {
    uint32_t v = uint8_t(bytes[i]) << 16;
    out += {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], '=', '='};
  } else if (bytes.size() - i == 2) {
    uint32_t v = uint8_t(bytes[i]) << 16 | uint8_t(bytes[i + 1]) << 8;
    out += {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63], '='};
  }
  return out;
}

// Decodes `text` fed in pieces of the given sizes (cycled); nullopt when the decoder refuses it.
std::optional<std::string> decode(std::string_view text, const std::vector<size_t>& pieces) {
  Base64StreamDecoder d;
  std::string out;
  size_t at = 0, k = 0;
  while (at < text.size()) {
    size_t n = std::min(pieces[k++ % pieces.size()], text.size() - at);
    if (!d.feed(text.substr(at, n), out)) return std::nullopt;
    at += n;
  }
  if (!d.finish(out)) return std::nullopt;
  return out;
}

TEST(Base64StreamDecoder, DecodesEveryLengthInEveryPieceSize) {
  std::mt19937 rng(7);
  for (size_t len = 0; len < 70; ++len) {
    std::string bytes(len, '\0');
    for (auto& c : bytes) c = static_cast<char>(rng());
    std::string text = encode(bytes);
    for (std::vector<size_t> pieces : {std::vector<size_t>{1}, {2}, {3}, {5}, {4, 1, 7}, {1000}}) {
      auto got = decode(text, pieces);
      ASSERT_TRUE(got) << "len " << len;
      EXPECT_EQ(*got, bytes) << "len " << len << " first piece " << pieces[0];
    }
  }
}

TEST(Base64StreamDecoder, AcceptsUnpaddedInputAndLineBreaks) {
  EXPECT_EQ(decode("aGk", {1000}), "hi");
  EXPECT_EQ(decode("aGVs\nbG8=", {3}), "hello");
  EXPECT_EQ(decode("aGVs\r\nbG8", {1000}), "hello");
  EXPECT_EQ(decode("", {1}), "");
}

TEST(Base64StreamDecoder, RefusesBadInput) {
  EXPECT_FALSE(decode("aGVsbG8*", {1000}));   // outside the alphabet
  EXPECT_FALSE(decode("aGVs bG8=", {1000}));  // space
  EXPECT_FALSE(decode("aGk=aGk=", {1000}));   // data after padding
  EXPECT_FALSE(decode("a===", {1000}));       // padding after one sextet
  EXPECT_FALSE(decode("aGk==", {2}));         // too much padding
  EXPECT_FALSE(decode("aGVsb", {1000}));      // five sextets cannot end a group
  EXPECT_FALSE(decode("-_-_", {1000}));       // URL-safe alphabet is not accepted
}

TEST(Base64StreamDecoder, IsSpentAfterAFailure) {
  Base64StreamDecoder d;
  std::string out;
  EXPECT_FALSE(d.feed("aG!k", out));
  EXPECT_FALSE(d.feed("aGVs", out));
  EXPECT_FALSE(d.finish(out));
}

}  // namespace
}  // namespace arca::formats::npm
