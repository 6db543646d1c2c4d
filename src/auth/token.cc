#include "auth/token.h"

#include <atomic>
#include <unordered_map>
#include <utility>

#include "util/crypto.h"

namespace arca::auth {
namespace {

constexpr std::string_view kPrefix = "arca1.";

Error unauthenticated(std::string message) {
  return Error{Code::kUnauthenticated, std::move(message), {}, {}, {}, {}};
}

void put_string(std::string& out, std::string_view s) {
  size_t n = std::min<size_t>(s.size(), 0xffff);
  out += char(n >> 8);
  out += char(n & 0xff);
  out.append(s.substr(0, n));
}

void put_int64(std::string& out, int64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out += char((uint64_t(v) >> shift) & 0xff);
}

// Reads the payload written by issue(); false if it is truncated or has trailing bytes.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool string(std::string& out) {
    if (data_.size() < 2) return false;
    size_t n = (size_t(uint8_t(data_[0])) << 8) | uint8_t(data_[1]);
    if (data_.size() < 2 + n) return false;
    out.assign(data_.substr(2, n));
    data_.remove_prefix(2 + n);
    return true;
  }
  bool int64(int64_t& out) {
    if (data_.size() < 8) return false;
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | uint8_t(data_[i]);
    out = int64_t(v);
    data_.remove_prefix(8);
    return true;
  }
  bool done() const { return data_.empty(); }

 private:
  std::string_view data_;
};

// Tokens verified by this thread: text -> (service id, claims). Bounded; cleared when full.
constexpr size_t kMaxVerified = 256;
using VerifiedTokens = std::unordered_map<std::string, std::pair<uint64_t, TokenClaims>>;
VerifiedTokens& verified_tokens() {
  thread_local VerifiedTokens cache;
  return cache;
}

std::atomic<uint64_t> next_service_id{1};

}  // namespace

TokenService::TokenService(const Keyring& keyring, const KeyCache& keys)
    : keyring_(keyring), keys_(keys), id_(next_service_id.fetch_add(1)) {}

std::string TokenService::issue(const Principal& principal, const std::string& domain_owner,
                                const std::string& domain_name, int64_t expires_at) const {
  std::string payload;
  put_string(payload, principal.account_id);
  put_string(payload, principal.access_key_id);
  put_string(payload, principal.user_name);
  put_string(payload, domain_owner);
  put_string(payload, domain_name);
  put_int64(payload, expires_at);
  std::string token(kPrefix);
  token += crypto::base64url_encode(payload);
  std::string mac = crypto::hmac_sha256(keyring_.token_key(), token);
  token += '.';
  token += crypto::base64url_encode(mac);
  return token;
}

Result<TokenClaims> TokenService::verify(std::string_view token, int64_t now) const {
  VerifiedTokens& cache = verified_tokens();
  TokenClaims claims;
  if (auto it = cache.find(std::string(token)); it != cache.end() && it->second.first == id_) {
    claims = it->second.second;
  } else {
    ARCA_ASSIGN_OR_RETURN(claims, decode(token));
    if (cache.size() >= kMaxVerified) cache.clear();
    cache.insert_or_assign(std::string(token), std::make_pair(id_, claims));
  }
  if (now >= claims.expires_at) return unauthenticated("authorization token expired");
  auto key = keys_.find(claims.principal.access_key_id);
  if (!key || key->principal.account_id != claims.principal.account_id)
    return unauthenticated("the access key that issued this token was deleted");
  return claims;
}

Result<TokenClaims> TokenService::decode(std::string_view token) const {
  const Error invalid = unauthenticated("invalid authorization token");
  if (token.size() > 4096 || token.substr(0, kPrefix.size()) != kPrefix) return invalid;
  size_t dot = token.rfind('.');
  if (dot < kPrefix.size()) return invalid;
  std::string_view signed_part = token.substr(0, dot);
  std::string mac, payload;
  if (!crypto::base64url_decode(token.substr(dot + 1), mac)) return invalid;
  if (!crypto::constant_time_equal(mac, crypto::hmac_sha256(keyring_.token_key(), signed_part)))
    return invalid;
  if (!crypto::base64url_decode(signed_part.substr(kPrefix.size()), payload)) return invalid;

  TokenClaims claims;
  Reader r(payload);
  if (!r.string(claims.principal.account_id) || !r.string(claims.principal.access_key_id) ||
      !r.string(claims.principal.user_name) || !r.string(claims.domain_owner) ||
      !r.string(claims.domain_name) || !r.int64(claims.expires_at) || !r.done())
    return invalid;
  return claims;
}

}  // namespace arca::auth
