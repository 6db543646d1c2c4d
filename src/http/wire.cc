#include "http/wire.h"

#include <strings.h>

#include <ctime>
#include <limits>

namespace arca::http {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Parses a non-empty run of decimal digits without overflow.
bool parse_u64(std::string_view s, uint64_t& out) {
  if (s.empty()) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    uint64_t d = uint64_t(c - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}

}  // namespace

bool parse_target(std::string_view target, Request& request) {
  request.target = std::string(target);
  size_t q = target.find('?');
  request.path = std::string(target.substr(0, q));
  request.raw_query =
      q == std::string_view::npos ? std::string() : std::string(target.substr(q + 1));
  request.query.clear();
  std::string_view rest = request.raw_query;
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view piece = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (piece.empty()) continue;
    size_t eq = piece.find('=');
    std::string key, value;
    if (!percent_decode(piece.substr(0, eq), key)) return false;
    if (eq != std::string_view::npos && !percent_decode(piece.substr(eq + 1), value)) return false;
    request.query.emplace_back(std::move(key), std::move(value));
  }
  return true;
}

RangeResult parse_range(std::string_view header, uint64_t size, ByteRange& out) {
  std::string_view s = trim(header);
  constexpr std::string_view kUnit = "bytes=";
  if (s.size() < kUnit.size() || strncasecmp(s.data(), kUnit.data(), kUnit.size()) != 0) {
    return RangeResult::kIgnore;
  }
  s = trim(s.substr(kUnit.size()));
  if (s.find(',') != std::string_view::npos) return RangeResult::kIgnore;  // multi-range
  size_t dash = s.find('-');
  if (dash == std::string_view::npos) return RangeResult::kIgnore;
  std::string_view a = trim(s.substr(0, dash)), b = trim(s.substr(dash + 1));
  if (a.empty()) {  // suffix range: the last n bytes
    uint64_t n = 0;
    if (!parse_u64(b, n)) return RangeResult::kIgnore;
    if (n == 0 || size == 0) return RangeResult::kUnsatisfiable;
    out.first = size > n ? size - n : 0;
    out.last = size - 1;
    return RangeResult::kSatisfiable;
  }
  uint64_t first = 0, last = std::numeric_limits<uint64_t>::max();
  if (!parse_u64(a, first)) return RangeResult::kIgnore;
  if (!b.empty() && !parse_u64(b, last)) return RangeResult::kIgnore;
  if (last < first) return RangeResult::kIgnore;
  if (first >= size) return RangeResult::kUnsatisfiable;
  out.first = first;
  out.last = last < size - 1 ? last : size - 1;
  return RangeResult::kSatisfiable;
}

std::string http_date(std::chrono::system_clock::time_point t) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

bool header_text_ok(std::string_view s) {
  for (char c : s)
    if (c == '\r' || c == '\n' || c == '\0') return false;
  return true;
}

}  // namespace arca::http
