#include "formats/npm/base64_stream.h"

namespace arca::formats::npm {

namespace {
int sextet(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}
}  // namespace

bool Base64StreamDecoder::feed(std::string_view in, std::string& out) {
  if (failed_) return false;
  out.reserve(out.size() + in.size() / 4 * 3 + 3);
  for (char c : in) {
    if (c == '\n' || c == '\r') continue;
    if (c == '=') {
      // Padding completes a group of 2 or 3 sextets; nothing but '=' may follow.
      if (have_ + padding_ < 2 || have_ + padding_ >= 4) return failed_ = true, false;
      ++padding_;
      if (have_ + padding_ == 4) {
        if (have_ == 2) out.push_back(static_cast<char>(acc_ >> 4));
        if (have_ == 3) {
          out.push_back(static_cast<char>(acc_ >> 10));
          out.push_back(static_cast<char>(acc_ >> 2));
        }
        have_ = 4;  // marks "complete, padded": any further data fails
      }
      continue;
    }
    int v = sextet(c);
    if (v < 0 || padding_ > 0) return failed_ = true, false;
    acc_ = (acc_ << 6) | static_cast<uint32_t>(v);
    if (++have_ == 4) {
      out.push_back(static_cast<char>(acc_ >> 16));
      out.push_back(static_cast<char>(acc_ >> 8));
      out.push_back(static_cast<char>(acc_));
      acc_ = 0;
      have_ = 0;
    }
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
