#pragma once
// Beast-free HTTP helpers used by the server: request-target splitting, Range parsing, dates.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "http/message.h"

namespace arca::http {

// Fills request.target, path, raw_query and query from a raw request target. Query pieces are
// split on '&' and the first '=', then percent-decoded ('+' stays '+'); empty pieces are skipped.
// Returns false (fields partly filled) when an escape in the query is malformed.
bool parse_target(std::string_view target, Request& request);

// An inclusive byte range [first, last] of a representation.
struct ByteRange {
  uint64_t first = 0;
  uint64_t last = 0;
  uint64_t length() const { return last - first + 1; }
};

enum class RangeResult {
  kIgnore,         // no usable single range (absent, malformed or multi-range): send it all
  kSatisfiable,    // `out` holds the range, clamped to the size
  kUnsatisfiable,  // 416 with "Content-Range: bytes */size"
};

// Parses a Range header value ("bytes=a-b", "bytes=a-", "bytes=-n") against a representation of
// `size` bytes.
RangeResult parse_range(std::string_view header, uint64_t size, ByteRange& out);

// IMF-fixdate as used by the Date header: "Sun, 06 Nov 1994 08:49:37 GMT".
std::string http_date(std::chrono::system_clock::time_point t);

// True when `s` may be sent as a header name or value (no CR, LF or NUL).
bool header_text_ok(std::string_view s);

}  // namespace arca::http
