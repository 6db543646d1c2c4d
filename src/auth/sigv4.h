#pragma once
// AWS Signature Version 4 verification for the control plane, computed exactly as botocore and
// the AWS SDKs sign (header form and presigned-query form).
//
// Thread safety: verify_sigv4 may be called concurrently. It never reads the store (keys come
// from the KeyCache) and caches derived signing keys in a small bounded, mutex-guarded table.
//
// Errors (Error::aws_type / Error::code, rendered by the API layer as x-amzn-ErrorType):
//   MissingAuthenticationTokenException  kPermissionDenied  no Authorization, no X-Amz-Algorithm
//   IncompleteSignatureException         kInvalidArgument   malformed or incomplete signature
//   UnrecognizedClientException          kPermissionDenied  unknown access key id
//   InvalidSignatureException            kPermissionDenied  wrong signature, clock skew, expired
//                                                           presigned URL, wrong scope
//   InvalidSignatureException            kInvalidArgument   x-amz-content-sha256 != body hash
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/key_cache.h"
#include "auth/principal.h"
#include "util/error.h"

namespace arca::auth {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct SignedRequest {
  std::string_view method;              // "GET", "POST", ...
  std::string_view path;                // raw request-target path, percent-encoded as on the wire
  std::string_view raw_query;           // raw query string, without '?'
  const HeaderList* headers = nullptr;  // as received: any case, repeated names allowed
  // Lowercase hex SHA-256 of the received body. May be left empty only when the request carries
  // an x-amz-content-sha256 header: verification then trusts that value as the payload hash and
  // the caller must compare it with the streamed body's hash itself.
  std::string body_sha256;
};

struct SigV4Options {
  std::string service = "codeartifact";  // the credential scope's service must equal this
  int64_t max_skew_seconds = 900;
};

// Authenticates a request signed with AWS4-HMAC-SHA256. Any region is accepted.
Result<Principal> verify_sigv4(const SignedRequest& request, const KeyCache& keys,
                               int64_t now_epoch_seconds, const SigV4Options& options = {});

// The building blocks, exposed for tests and tools.
namespace sigv4_detail {

// Percent-encodes every byte outside A-Za-z0-9-_.~ (and '/' when keep_slash), upper-case hex.
std::string uri_encode(std::string_view s, bool keep_slash);
// Decodes %XX escapes; malformed escapes are kept literally. '+' stays '+'.
std::string uri_decode(std::string_view s);
// Non-S3 canonical URI: dot segments and empty segments removed (a trailing '/' kept), then the
// raw path encoded once more (so "%2F" on the wire becomes "%252F"), as botocore does.
std::string canonical_uri(std::string_view raw_path);
// Parameters decoded then re-encoded, sorted by name then value, '=' always present.
// X-Amz-Signature is dropped when `presigned`.
std::string canonical_query(std::string_view raw_query, bool presigned);
// Values of header `lower_name` (case-insensitive), each trimmed with inner whitespace runs
// collapsed to one space, joined with ','.
std::string canonical_header_value(const HeaderList& headers, std::string_view lower_name);
std::string canonical_request(std::string_view method, std::string_view raw_path,
                              std::string_view raw_query, bool presigned, const HeaderList& headers,
                              std::string_view signed_headers, std::string_view payload_hash);
// scope = "YYYYMMDD/region/service/aws4_request"
std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical_request);
std::string signing_key(std::string_view secret, std::string_view date, std::string_view region,
                        std::string_view service);
std::string signature_hex(std::string_view signing_key, std::string_view string_to_sign);

// "YYYYMMDDTHHMMSSZ" <-> epoch seconds. parse returns false on a malformed value.
bool parse_amz_date(std::string_view s, int64_t& epoch);
std::string format_amz_date(int64_t epoch);
// RFC 7231 IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), the form of the Date header.
bool parse_http_date(std::string_view s, int64_t& epoch);

}  // namespace sigv4_detail
}  // namespace arca::auth
