#pragma once
// Incremental base64 decoding for attachment data that arrives in arbitrary pieces.
#include <cstdint>
#include <string>
#include <string_view>

namespace arca::formats::npm {

class Base64StreamDecoder {
 public:
  // Appends the bytes decoded from `in` to `out`. False on a character outside the standard
  // alphabet or data after padding; the decoder is then spent. Line breaks are ignored.
  bool feed(std::string_view in, std::string& out);
  // Flushes a final unpadded group. False when the input ended inside a group that cannot be one.
  bool finish(std::string& out);

 private:
  // Consumes one character outside the fast path, writing completed bytes at `o`.
  bool step(unsigned char c, char*& o);

  uint32_t acc_ = 0;
  int have_ = 0;     // sextets in acc_
  int padding_ = 0;  // '=' seen
  bool failed_ = false;
};

}  // namespace arca::formats::npm
