#include "util/gzip.h"

#include <gtest/gtest.h>
#include <zlib.h>

namespace arca {
namespace {

std::string gunzip(const std::string& in) {
  z_stream zs{};
  EXPECT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
  std::string out(in.size() * 50 + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = uInt(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = uInt(out.size());
  EXPECT_EQ(inflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  inflateEnd(&zs);
  return out;
}

TEST(Gzip, RoundTripsAndShrinksJson) {
  std::string doc;
  for (int i = 0; i < 500; ++i)
    doc += R"({"name":"pkg","version":"1.0.)" + std::to_string(i) + "\"},";
  std::string gz = gzip_compress(doc);
  EXPECT_EQ(gz.substr(0, 2), std::string("\x1f\x8b", 2));
  EXPECT_LT(gz.size(), doc.size() / 4);
  EXPECT_EQ(gunzip(gz), doc);
  EXPECT_EQ(gunzip(gzip_compress("")), "");
}

TEST(Gzip, DecompressesWhatWasCompressedAndConcatenatedMembers) {
  std::string doc(200'000, 'x');
  for (size_t i = 0; i < doc.size(); i += 7) doc[i] = char('a' + i % 26);
  auto one = gzip_decompress(gzip_compress(doc), doc.size());
  ASSERT_TRUE(one) << one.error().message;
  EXPECT_EQ(*one, doc);
  auto two = gzip_decompress(gzip_compress("first ") + gzip_compress("second"), 100);
  ASSERT_TRUE(two) << two.error().message;
  EXPECT_EQ(*two, "first second");
  auto empty = gzip_decompress(gzip_compress(""), 0);
  ASSERT_TRUE(empty) << empty.error().message;
  EXPECT_EQ(*empty, "");
}

// A body that expands beyond the bound is refused before it is all held: 32 MiB of zeros
// compress to about 32 KiB.
TEST(Gzip, DecompressionIsBounded) {
  const std::string bomb = gzip_compress(std::string(32 << 20, '\0'), 9);
  ASSERT_LT(bomb.size(), 64u << 10);
  auto r = gzip_decompress(bomb, 1 << 20);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kTooLarge);
  EXPECT_NE(r.error().message.find("more than 1048576 bytes"), std::string::npos)
      << r.error().message;
  auto exact = gzip_decompress(gzip_compress("12345"), 5);
  EXPECT_TRUE(exact);
  EXPECT_FALSE(gzip_decompress(gzip_compress("123456"), 5));
}

TEST(Gzip, CorruptCutOrForeignBodiesAreRefused) {
  const std::string gz = gzip_compress(std::string(10'000, 'y'));
  auto cut = gzip_decompress(gz.substr(0, gz.size() / 2), 1 << 20);
  ASSERT_FALSE(cut);
  EXPECT_NE(cut.error().message.find("cut short"), std::string::npos) << cut.error().message;
  std::string flipped = gz;
  flipped[flipped.size() - 6] ^= 0x55;  // the CRC-32 trailer
  auto corrupt = gzip_decompress(flipped, 1 << 20);
  ASSERT_FALSE(corrupt);
  EXPECT_NE(corrupt.error().message.find("corrupt"), std::string::npos) << corrupt.error().message;
  for (std::string_view bad : {std::string_view("{\"not\":\"gzip\"}"), std::string_view("")}) {
    auto r = gzip_decompress(bad, 1 << 20);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Code::kInvalidArgument);
  }
  EXPECT_FALSE(gzip_decompress(gz + "trailing", 1 << 20));
}

TEST(Gzip, AcceptEncoding) {
  EXPECT_TRUE(accepts_gzip("gzip"));
  EXPECT_TRUE(accepts_gzip("gzip, deflate, br"));
  EXPECT_TRUE(accepts_gzip("br;q=1.0, GZIP;q=0.5"));
  EXPECT_TRUE(accepts_gzip("*"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0"));
  EXPECT_FALSE(accepts_gzip("gzip; q=0.000"));
  EXPECT_FALSE(accepts_gzip("deflate, br"));
  EXPECT_FALSE(accepts_gzip("identity"));
  EXPECT_FALSE(accepts_gzip(""));
}

}  // namespace
}  // namespace arca
