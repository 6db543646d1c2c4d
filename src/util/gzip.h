#pragma once
// gzip (RFC 1952) compression of in-memory documents with zlib.
#include <string>
#include <string_view>

namespace arca {

// Compresses `data` as a gzip member at `level` (1..9; 6 is zlib's and Node's default).
std::string gzip_compress(std::string_view data, int level = 6);

// True when an Accept-Encoding header value accepts gzip (a "gzip" coding without q=0).
bool accepts_gzip(std::string_view accept_encoding);

}  // namespace arca
