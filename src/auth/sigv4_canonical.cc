// The canonical request and the string to sign of AWS SigV4, as botocore computes them for
// services other than S3 (botocore/auth.py SigV4Auth), plus the date formats SigV4 uses.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <vector>

#include "auth/sigv4.h"
#include "util/crypto.h"

namespace arca::auth::sigv4_detail {
namespace {

bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

// The whitespace Python's str.split() collapses (ASCII part), which botocore uses to trim.
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

void append_trimmed(std::string& out, std::string_view value) {
  bool pending_space = false, any = false;
  for (char c : value) {
    if (is_space(c)) {
      pending_space = any;
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    any = true;
    out += c;
  }
}

// RFC 3986 5.2.4 dot-segment removal plus removal of empty segments, as botocore's
// remove_dot_segments: "/a//b/../c/" -> "/a/c/".
std::string normalize_path(std::string_view path) {
  if (path.empty()) return "/";
  std::vector<std::string_view> segments;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    std::string_view seg = path.substr(pos, end - pos);
    if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!seg.empty() && seg != ".") {
      segments.push_back(seg);
    }
    pos = end + 1;
  }
  std::string out = path.front() == '/' ? "/" : "";
  for (size_t i = 0; i < segments.size(); ++i) {
    if (i) out += '/';
    out += segments[i];
  }
  if (path.back() == '/' && !segments.empty()) out += '/';
  return out;
}

bool parse_digits(std::string_view s, size_t pos, size_t n, int& out) {
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

bool to_epoch(int y, int mo, int d, int h, int mi, int s, int64_t& epoch) {
  using namespace std::chrono;
  year_month_day ymd{year{y}, month{unsigned(mo)}, day{unsigned(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 60) return false;
  epoch = sys_days{ymd}.time_since_epoch().count() * 86400LL + h * 3600 + mi * 60 + s;
  return true;
}

}  // namespace

std::string uri_encode(std::string_view s, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() + s.size() / 2);
  for (unsigned char c : s) {
    if (is_unreserved(c) || (keep_slash && c == '/')) {
      out += char(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string uri_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    int hi, lo;
    if (s[i] == '%' && i + 2 < s.size() && (hi = hex_value(s[i + 1])) >= 0 &&
        (lo = hex_value(s[i + 2])) >= 0) {
      out += char(hi * 16 + lo);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string canonical_uri(std::string_view raw_path) {
  return uri_encode(normalize_path(raw_path), true);
}

std::string canonical_query(std::string_view raw_query, bool presigned) {
  std::vector<std::pair<std::string, std::string>> params;
  size_t pos = 0;
  while (pos <= raw_query.size()) {
    size_t end = raw_query.find('&', pos);
    if (end == std::string_view::npos) end = raw_query.size();
    std::string_view item = raw_query.substr(pos, end - pos);
    pos = end + 1;
    if (item.empty()) continue;
    size_t eq = item.find('=');
    std::string name = uri_decode(item.substr(0, eq));
    if (presigned && name == "X-Amz-Signature") continue;
    std::string value = eq == std::string_view::npos ? "" : uri_decode(item.substr(eq + 1));
    params.emplace_back(uri_encode(name, false), uri_encode(value, false));
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out += '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

std::string canonical_header_value(const HeaderList& headers, std::string_view lower_name) {
  std::string out;
  bool first = true;
  for (const auto& [name, value] : headers) {
    if (!iequals(name, lower_name)) continue;
    if (!first) out += ',';
    first = false;
    append_trimmed(out, value);
  }
  return out;
}

std::string canonical_request(std::string_view method, std::string_view raw_path,
                              std::string_view raw_query, bool presigned, const HeaderList& headers,
                              std::string_view signed_headers, std::string_view payload_hash) {
  std::string cr;
  cr.reserve(256 + raw_path.size() + raw_query.size());
  cr.append(method).append("\n");
  cr.append(canonical_uri(raw_path)).append("\n");
  cr.append(canonical_query(raw_query, presigned)).append("\n");
  size_t pos = 0;
  while (pos < signed_headers.size()) {
    size_t end = std::min(signed_headers.find(';', pos), signed_headers.size());
    std::string_view name = signed_headers.substr(pos, end - pos);
    cr.append(name).append(":").append(canonical_header_value(headers, name)).append("\n");
    pos = end + 1;
  }
  cr.append("\n").append(signed_headers).append("\n").append(payload_hash);
  return cr;
}

std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical_request) {
  std::string sts = "AWS4-HMAC-SHA256\n";
  sts.append(amz_date).append("\n").append(scope).append("\n");
  sts.append(crypto::sha256_hex(canonical_request));
  return sts;
}

std::string signing_key(std::string_view secret, std::string_view date, std::string_view region,
                        std::string_view service) {
  std::string k = crypto::hmac_sha256(std::string("AWS4").append(secret), date);
  k = crypto::hmac_sha256(k, region);
  k = crypto::hmac_sha256(k, service);
  return crypto::hmac_sha256(k, "aws4_request");
}

std::string signature_hex(std::string_view signing_key, std::string_view string_to_sign) {
  return crypto::to_hex(crypto::hmac_sha256(signing_key, string_to_sign));
}

bool parse_amz_date(std::string_view s, int64_t& epoch) {
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return false;
  int y, mo, d, h, mi, sec;
  if (!parse_digits(s, 0, 4, y) || !parse_digits(s, 4, 2, mo) || !parse_digits(s, 6, 2, d) ||
      !parse_digits(s, 9, 2, h) || !parse_digits(s, 11, 2, mi) || !parse_digits(s, 13, 2, sec))
    return false;
  return to_epoch(y, mo, d, h, mi, sec, epoch);
}

std::string format_amz_date(int64_t epoch) {
  using namespace std::chrono;
  sys_seconds tp{seconds{epoch}};
  auto day_point = floor<days>(tp);
  year_month_day ymd{day_point};
  hh_mm_ss hms{tp - day_point};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02u%02uT%02d%02d%02dZ", int(ymd.year()),
                unsigned(ymd.month()), unsigned(ymd.day()), int(hms.hours().count()),
                int(hms.minutes().count()), int(hms.seconds().count()));
  return buf;
}

bool parse_http_date(std::string_view s, int64_t& epoch) {
  // "Sun, 06 Nov 1994 08:49:37 GMT"
  static constexpr std::string_view kMonths = "JanFebMarAprMayJunJulAugSepOctNovDec";
  if (s.size() != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
      s[19] != ':' || s[22] != ':' || s.substr(25) != " GMT")
    return false;
  size_t m = kMonths.find(s.substr(8, 3));
  if (m == std::string_view::npos || m % 3 != 0) return false;
  int d, y, h, mi, sec;
  if (!parse_digits(s, 5, 2, d) || !parse_digits(s, 12, 4, y) || !parse_digits(s, 17, 2, h) ||
      !parse_digits(s, 20, 2, mi) || !parse_digits(s, 23, 2, sec))
    return false;
  return to_epoch(y, int(m / 3) + 1, d, h, mi, sec, epoch);
}

}  // namespace arca::auth::sigv4_detail
