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
  for (int i = 0; i < 500; ++i) doc += R"({"name":"pkg","version":"1.0.)" + std::to_string(i) + "\"},";
  std::string gz = gzip_compress(doc);
  EXPECT_EQ(gz.substr(0, 2), std::string("\x1f\x8b", 2));
  EXPECT_LT(gz.size(), doc.size() / 4);
  EXPECT_EQ(gunzip(gz), doc);
  EXPECT_EQ(gunzip(gzip_compress("")), "");
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
