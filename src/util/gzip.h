#pragma once
// gzip (RFC 1952) compression and decompression of in-memory documents with zlib.
#include <cstdint>
#include <string>
#include <string_view>

#include "util/error.h"

namespace arca {

// Compresses `data` as a gzip member at `level` (1..9; 6 is zlib's and Node's default).
std::string gzip_compress(std::string_view data, int level = 6);

// Decompresses a gzip body: one member or several (concatenated, as RFC 1952 allows). Output is
// bounded: more than `max_bytes` decompressed (a small body can expand a thousandfold) is
// kTooLarge, found before that much is allocated. A body that is not gzip, corrupt or cut short
// is kInvalidArgument.
Result<std::string> gzip_decompress(std::string_view data, uint64_t max_bytes);

// True when an Accept-Encoding header value accepts gzip (a "gzip" coding without q=0).
bool accepts_gzip(std::string_view accept_encoding);

}  // namespace arca
