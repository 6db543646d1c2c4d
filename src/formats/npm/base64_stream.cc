#include "formats/npm/base64_stream.h"

#include <array>

namespace arca::formats::npm {

namespace {

// Sextet value of each byte of the standard alphabet; -1 for every other byte.
constexpr std::array<int8_t, 256> kSextet = [] {
  std::array<int8_t, 256> t{};
  t.fill(-1);
  const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(alphabet[i])] = static_cast<int8_t>(i);
  return t;
}();

}  // namespace

bool Base64StreamDecoder::feed(std::string_view in, std::string& out) {
  if (failed_) return false;
  // At most three pending sextets join the input, so this bounds the bytes written.
  const size_t start = out.size();
  out.resize(start + in.size() / 4 * 3 + 3);
  char* o = out.data() + start;
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  const auto* end = p + in.size();
  bool ok = true;
  while (p < end) {
    if (have_ == 0 && padding_ == 0) {  // fast path: whole groups of four
      while (end - p >= 4) {
        int a = kSextet[p[0]], b = kSextet[p[1]], c = kSextet[p[2]], d = kSextet[p[3]];
        if ((a | b | c | d) < 0) break;
        uint32_t v = uint32_t(a) << 18 | uint32_t(b) << 12 | uint32_t(c) << 6 | uint32_t(d);
        o[0] = static_cast<char>(v >> 16);
        o[1] = static_cast<char>(v >> 8);
        o[2] = static_cast<char>(v);
        o += 3;
        p += 4;
      }
      if (p == end) break;
    }
    if (!step(*p++, o)) {
      ok = false;
      break;
    }
  }
  out.resize(static_cast<size_t>(o - out.data()));
  return ok;
}

bool Base64StreamDecoder::step(unsigned char c, char*& o) {
  if (c == '\n' || c == '\r') return true;
  if (c == '=') {
    // Padding completes a group of 2 or 3 sextets; nothing but '=' may follow.
    if (have_ + padding_ < 2 || have_ + padding_ >= 4) return failed_ = true, false;
    ++padding_;
    if (have_ + padding_ == 4) {
      if (have_ == 2) *o++ = static_cast<char>(acc_ >> 4);
      if (have_ == 3) {
        *o++ = static_cast<char>(acc_ >> 10);
        *o++ = static_cast<char>(acc_ >> 2);
      }
      have_ = 4;  // marks "complete, padded": any further data fails
    }
    return true;
  }
  int v = kSextet[c];
  if (v < 0 || padding_ > 0) return failed_ = true, false;
  acc_ = (acc_ << 6) | static_cast<uint32_t>(v);
  if (++have_ == 4) {
    *o++ = static_cast<char>(acc_ >> 16);
    *o++ = static_cast<char>(acc_ >> 8);
    *o++ = static_cast<char>(acc_);
    acc_ = 0;
    have_ = 0;
  }
  return true;
}

bool Base64StreamDecoder::finish(std::string& out) {
  if (failed_) return false;
  if (padding_ > 0) return have_ == 4;
  switch (have_) {
    case 0:
      return true;
    case 2:
      out.push_back(static_cast<char>(acc_ >> 4));
      return true;
    case 3:
      out.push_back(static_cast<char>(acc_ >> 10));
      out.push_back(static_cast<char>(acc_ >> 2));
      return true;
    default:
      return failed_ = true, false;
  }
}

}  // namespace arca::formats::npm
