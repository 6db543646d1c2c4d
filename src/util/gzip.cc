#include "util/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace arca {

std::string gzip_compress(std::string_view data, int level) {
  z_stream zs{};
  // windowBits 15 + 16 selects the gzip wrapper.
  if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("deflateInit2 failed");
  std::string out(deflateBound(&zs, uLong(data.size())), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = uInt(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = uInt(out.size());
  int rc = deflate(&zs, Z_FINISH);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate did not finish");
  out.resize(zs.total_out);
  return out;
}

Result<std::string> gzip_decompress(std::string_view data, uint64_t max_bytes) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) return internal_error("inflateInit2 failed");
  std::string out;
  // The last member's trailer gives its size (mod 2^32): one allocation for a document in one
  // member, never more than the bound or than deflate can expand (1032:1).
  if (data.size() >= 18) {
    const auto* t = reinterpret_cast<const unsigned char*>(data.data() + data.size() - 4);
    const uint64_t isize = t[0] | uint64_t(t[1]) << 8 | uint64_t(t[2]) << 16 | uint64_t(t[3]) << 24;
    out.reserve(std::min({isize, max_bytes, uint64_t(data.size()) * 1032}));
  }
  char buf[64 << 10];
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = uInt(data.size());
  auto fail = [&](std::string why, Code code = Code::kInvalidArgument) {
    inflateEnd(&zs);
    return Error{code, std::move(why)};
  };
  for (;;) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    const int rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
      return fail("the gzip body is corrupt" +
                  std::string(zs.msg ? std::string(": ") + zs.msg : ""));
    const size_t got = sizeof buf - zs.avail_out;
    if (out.size() + got > max_bytes)
      return fail("the gzip body decompresses to more than " + std::to_string(max_bytes) + " bytes",
                  Code::kTooLarge);
    out.append(buf, got);
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      inflateReset(&zs);  // another member follows
      continue;
    }
    if (rc == Z_BUF_ERROR || (zs.avail_in == 0 && got == 0))
      return fail("the gzip body is cut short");
  }
  inflateEnd(&zs);
  return out;
}

bool accepts_gzip(std::string_view h) {
  size_t pos = 0;
  while (pos < h.size()) {
    size_t comma = h.find(',', pos);
    std::string_view item = h.substr(pos, comma == std::string_view::npos ? h.npos : comma - pos);
    pos = comma == std::string_view::npos ? h.size() : comma + 1;
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    std::string_view coding = item.substr(0, item.find(';'));
    while (!coding.empty() && coding.back() == ' ') coding.remove_suffix(1);
    if (coding.size() != 4 && coding != "*") continue;
    bool gzip = coding == "*";
    if (!gzip) {
      gzip = true;
      for (size_t i = 0; i < 4; ++i)
        gzip = gzip && std::tolower(static_cast<unsigned char>(coding[i])) == "gzip"[i];
    }
    if (!gzip) continue;
    std::string_view params = item.substr(coding.size());
    size_t q = params.find("q=");
    if (q != std::string_view::npos) {
      std::string_view v = params.substr(q + 2);
      bool zero = !v.empty() && v.front() == '0';
      for (size_t i = 1; zero && i < v.size() && v[i] != ' '; ++i)
        zero = v[i] == '.' || v[i] == '0';
      if (zero) continue;
    }
    return true;
  }
  return false;
}

}  // namespace arca
