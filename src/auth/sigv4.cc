// SigV4 verification: parse the signature (header or presigned query), check scope and time,
// recompute the signature with the key from the KeyCache and compare in constant time.
#include "auth/sigv4.h"

#include <charconv>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "util/crypto.h"

namespace arca::auth {
namespace {

using namespace sigv4_detail;

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
constexpr int64_t kMaxPresignedExpires = 7 * 24 * 3600;

Error sig_error(Code code, std::string aws_type, std::string message) {
  Error e{code, std::move(message), {}, {}, {}, {}};
  e.aws_type = std::move(aws_type);
  return e;
}
Error incomplete(std::string message) {
  return sig_error(Code::kInvalidArgument, "IncompleteSignatureException", std::move(message));
}
Error invalid(std::string message) {
  return sig_error(Code::kPermissionDenied, "InvalidSignatureException", std::move(message));
}

std::optional<std::string_view> find_header(const HeaderList& headers, std::string_view lower) {
  for (const auto& [name, value] : headers) {
    if (name.size() != lower.size()) continue;
    bool eq = true;
    for (size_t i = 0; i < name.size() && eq; ++i)
      eq = std::tolower(static_cast<unsigned char>(name[i])) == lower[i];
    if (eq) return std::string_view(value);
  }
  return std::nullopt;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The signature's claims, from either form.
struct Claims {
  bool presigned = false;
  std::string credential;      // AKID/YYYYMMDD/region/service/aws4_request
  std::string signed_headers;  // lower-case, ';'-separated
  std::string signature;       // hex
  std::string amz_date;        // YYYYMMDDTHHMMSSZ, as used in the string to sign
  int64_t expires = 0;         // presigned only
};

struct Scope {
  std::string_view key_id, date, region, service, terminator;
};

// The "Name=value" components of an Authorization header or the X-Amz-* query parameters.
using Fields = std::map<std::string, std::string, std::less<>>;

const std::string* field(const Fields& f, std::string_view name) {
  auto it = f.find(name);
  return it == f.end() ? nullptr : &it->second;
}

// The request time from x-amz-date, else from Date; nullopt if neither is present.
Result<std::optional<std::string>> header_date(const HeaderList& headers) {
  if (auto d = find_header(headers, "x-amz-date")) return std::string(trim(*d));
  auto date = find_header(headers, "date");
  if (!date) return std::nullopt;
  int64_t epoch = 0;
  if (!parse_http_date(trim(*date), epoch))
    return incomplete(
        "Date header must be an RFC 7231 date such as 'Sun, 06 Nov 1994 08:49:37 "
        "GMT'; got '" +
        std::string(*date) + "'.");
  return format_amz_date(epoch);
}

Result<Claims> parse_authorization_header(std::string_view auth, const HeaderList& headers) {
  std::string_view rest = trim(auth);
  size_t sp = rest.find_first_of(" \t");
  std::string_view algorithm = rest.substr(0, sp);
  if (algorithm != kAlgorithm)
    return incomplete("Unsupported AWS 'algorithm': '" + std::string(algorithm) +
                      "'. Only AWS4-HMAC-SHA256 is supported.");
  rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
  Fields f;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view item = trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    size_t eq = item.find('=');
    if (eq != std::string_view::npos) f.emplace(item.substr(0, eq), item.substr(eq + 1));
  }
  std::string missing;
  for (const char* name : {"Credential", "Signature", "SignedHeaders"})
    if (!field(f, name))
      missing += std::string("Authorization header requires '") + name + "' parameter. ";
  ARCA_ASSIGN_OR_RETURN(std::optional<std::string> date, header_date(headers));
  if (!date)
    missing +=
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' "
        "header. ";
  if (!missing.empty()) return incomplete(missing + "Authorization=" + std::string(auth));
  Claims c;
  c.credential = *field(f, "Credential");
  c.signed_headers = lower(*field(f, "SignedHeaders"));
  c.signature = *field(f, "Signature");
  c.amz_date = std::move(*date);
  return c;
}

Result<Claims> parse_presigned_query(std::string_view raw_query) {
  Fields f;
  size_t pos = 0;
  while (pos <= raw_query.size()) {
    size_t end = std::min(raw_query.find('&', pos), raw_query.size());
    std::string_view item = raw_query.substr(pos, end - pos);
    pos = end + 1;
    size_t eq = item.find('=');
    std::string name = uri_decode(item.substr(0, eq));
    if (name.starts_with("X-Amz-"))
      f.emplace(std::move(name),
                eq == std::string_view::npos ? "" : uri_decode(item.substr(eq + 1)));
  }
  const std::string* algorithm = field(f, "X-Amz-Algorithm");
  if (!algorithm || *algorithm != kAlgorithm)
    return incomplete("Unsupported AWS 'algorithm': '" + (algorithm ? *algorithm : "") +
                      "'. Only AWS4-HMAC-SHA256 is supported.");
  std::string missing;
  for (const char* name : {"X-Amz-Credential", "X-Amz-SignedHeaders", "X-Amz-Signature",
                           "X-Amz-Date", "X-Amz-Expires"})
    if (!field(f, name)) missing += std::string("'") + name + "' ";
  if (!missing.empty())
    return incomplete("AWS query-string parameters must include " + missing +
                      "for a presigned request.");
  Claims c;
  c.presigned = true;
  c.credential = *field(f, "X-Amz-Credential");
  c.signed_headers = lower(*field(f, "X-Amz-SignedHeaders"));
  c.signature = *field(f, "X-Amz-Signature");
  c.amz_date = *field(f, "X-Amz-Date");
  const std::string& expires = *field(f, "X-Amz-Expires");
  auto [p, ec] = std::from_chars(expires.data(), expires.data() + expires.size(), c.expires);
  if (ec != std::errc() || p != expires.data() + expires.size() || c.expires < 1 ||
      c.expires > kMaxPresignedExpires)
    return incomplete("X-Amz-Expires must be an integer between 1 and 604800, got '" + expires +
                      "'.");
  return c;
}

Result<Scope> parse_scope(const Claims& c, const SigV4Options& options) {
  std::string_view parts[5];
  std::string_view rest = c.credential;
  for (int i = 0; i < 5; ++i) {
    size_t slash = i < 4 ? rest.find('/') : std::string_view::npos;
    if (i < 4 && slash == std::string_view::npos) {
      return incomplete(
          "Credential must have the form "
          "'<access key id>/<YYYYMMDD>/<region>/<service>/aws4_request', got '" +
          c.credential + "'.");
    }
    parts[i] = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  }
  Scope s{parts[0], parts[1], parts[2], parts[3], parts[4]};
  if (s.key_id.empty() || s.region.empty())
    return incomplete("Credential has an empty access key id or region: '" + c.credential + "'.");
  if (s.terminator != "aws4_request")
    return incomplete("Credential should be scoped with a valid terminator: 'aws4_request', not '" +
                      std::string(s.terminator) + "'.");
  if (s.service != options.service)
    return invalid("Credential should be scoped to correct service: '" + options.service + "'.");
  return s;
}

Status check_time(const Claims& c, const Scope& scope, int64_t now, const SigV4Options& options) {
  int64_t t = 0;
  if (!parse_amz_date(c.amz_date, t))
    return incomplete("Date must be in ISO-8601 'basic format'. Got '" + c.amz_date + "'.");
  if (scope.date != std::string_view(c.amz_date).substr(0, 8))
    return invalid(
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
        "date from HTTP: '" +
        std::string(scope.date) + "' != '" + c.amz_date.substr(0, 8) + "', from '" + c.amz_date +
        "'.");
  const int64_t skew = options.max_skew_seconds;
  const std::string minutes = std::to_string(skew / 60) + " min.)";
  if (t > now + skew)
    return invalid("Signature not yet current: " + c.amz_date + " is still later than " +
                   format_amz_date(now + skew) + " (" + format_amz_date(now) + " + " + minutes);
  if (c.presigned) {
    if (now > t + c.expires)
      return invalid("Request has expired: " + c.amz_date + " + " + std::to_string(c.expires) +
                     " s (X-Amz-Expires) is earlier than " + format_amz_date(now) + ".");
  } else if (t < now - skew) {
    return invalid("Signature expired: " + c.amz_date + " is now earlier than " +
                   format_amz_date(now - skew) + " (" + format_amz_date(now) + " - " + minutes);
  }
  return {};
}

// Derived signing keys by (date, region, service, secret); they change once a day per key, so a
// small table spares four HMACs per request. Cleared when full.
class SigningKeyCache {
 public:
  std::string get(std::string_view secret, const Scope& s) {
    std::string k;
    k.reserve(s.date.size() + s.region.size() + s.service.size() + secret.size() + 3);
    k.append(s.date).append("\n").append(s.region).append("\n").append(s.service);
    k.append("\n").append(secret);
    {
      std::lock_guard lock(mu_);
      if (auto it = map_.find(k); it != map_.end()) return it->second;
    }
    std::string key = signing_key(secret, s.date, s.region, s.service);
    std::lock_guard lock(mu_);
    if (map_.size() >= kMaxEntries) map_.clear();
    map_.emplace(std::move(k), key);
    return key;
  }

 private:
  static constexpr size_t kMaxEntries = 4096;
  std::mutex mu_;
  std::unordered_map<std::string, std::string> map_;
};

SigningKeyCache& signing_key_cache() {
  static SigningKeyCache cache;
  return cache;
}

bool signature_matches(const SignedRequest& r, const Claims& c, const Scope& s,
                       std::string_view key, std::string_view payload_hash) {
  std::string scope;
  scope.append(s.date).append("/").append(s.region).append("/").append(s.service);
  scope.append("/aws4_request");
  std::string cr = canonical_request(r.method, r.path, r.raw_query, c.presigned, *r.headers,
                                     c.signed_headers, payload_hash);
  std::string expected = signature_hex(key, string_to_sign(c.amz_date, scope, cr));
  return crypto::constant_time_equal(expected, c.signature);
}

bool has_query_param(std::string_view raw_query, std::string_view name_eq) {
  for (size_t pos = raw_query.find(name_eq); pos != std::string_view::npos;
       pos = raw_query.find(name_eq, pos + 1)) {
    if (pos == 0 || raw_query[pos - 1] == '&') return true;
  }
  return false;
}

bool host_is_signed(std::string_view signed_headers) {
  size_t pos = 0;
  while (pos <= signed_headers.size()) {
    size_t end = std::min(signed_headers.find(';', pos), signed_headers.size());
    if (signed_headers.substr(pos, end - pos) == "host") return true;
    pos = end + 1;
  }
  return false;
}

Result<Claims> parse_claims(const SignedRequest& request, const HeaderList& headers) {
  if (auto auth = find_header(headers, "authorization"))
    return parse_authorization_header(*auth, headers);
  if (has_query_param(request.raw_query, "X-Amz-Algorithm="))
    return parse_presigned_query(request.raw_query);
  return sig_error(Code::kPermissionDenied, "MissingAuthenticationTokenException",
                   "Missing Authentication Token");
}

}  // namespace

Result<Principal> verify_sigv4(const SignedRequest& request, const KeyCache& keys,
                               int64_t now_epoch_seconds, const SigV4Options& options) {
  if (!request.headers) return internal_error("verify_sigv4: SignedRequest::headers is null");
  const HeaderList& headers = *request.headers;

  ARCA_ASSIGN_OR_RETURN(const Claims claims, parse_claims(request, headers));
  ARCA_ASSIGN_OR_RETURN(Scope scope, parse_scope(claims, options));
  if (!host_is_signed(claims.signed_headers))
    return incomplete("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  ARCA_TRY(check_time(claims, scope, now_epoch_seconds, options));

  auto key = keys.find(scope.key_id);
  if (!key)
    return sig_error(Code::kPermissionDenied, "UnrecognizedClientException",
                     "The security token included in the request is invalid.");

  auto content_sha = find_header(headers, "x-amz-content-sha256");
  std::string payload_hash = content_sha ? std::string(trim(*content_sha)) : request.body_sha256;
  if (payload_hash.empty())
    return internal_error("verify_sigv4: body_sha256 is required without x-amz-content-sha256");

  std::string signing = signing_key_cache().get(key->secret, scope);
  bool ok = signature_matches(request, claims, scope, signing, payload_hash);
  // A presigned URL may also be signed over UNSIGNED-PAYLOAD (S3-style presigners).
  if (!ok && claims.presigned && !content_sha)
    ok = signature_matches(request, claims, scope, signing, kUnsignedPayload);
  if (!ok)
    return invalid(
        "The request signature we calculated does not match the signature you provided. Check "
        "your AWS Secret Access Key and signing method. Consult the service documentation for "
        "details.");

  if (content_sha && payload_hash != kUnsignedPayload && !request.body_sha256.empty() &&
      lower(payload_hash) != request.body_sha256)
    return sig_error(Code::kInvalidArgument, "InvalidSignatureException",
                     "The provided 'x-amz-content-sha256' header does not match what was "
                     "computed: the request body's SHA-256 differs.");
  return key->principal;
}

}  // namespace arca::auth
