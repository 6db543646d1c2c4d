#pragma once
// Stateless authorization tokens for package managers (GetAuthorizationToken).
//
// Format: "arca1." + base64url(payload) + "." + base64url(HMAC-SHA256(token_key, payload)).
// Only [A-Za-z0-9._-] characters, so a token fits unescaped in a URL userinfo, a Bearer header
// and a Basic password. The payload carries the principal, the domain and the expiry; nothing is
// stored. A token dies when it expires or when the access key that issued it is deleted; it
// survives restarts because the master key persists.
//
// Thread safety: both methods are const and may be called concurrently. verify never reads the
// store (the KeyCache answers whether the issuing key still exists).
#include <cstdint>
#include <string>
#include <string_view>

#include "auth/key_cache.h"
#include "auth/keyring.h"
#include "auth/principal.h"
#include "util/error.h"

namespace arca::auth {

struct TokenClaims {
  Principal principal;
  std::string domain_owner;
  std::string domain_name;
  int64_t expires_at = 0;  // epoch seconds
};

class TokenService {
 public:
  // Both references must outlive the service.
  TokenService(const Keyring& keyring, const KeyCache& keys);

  std::string issue(const Principal& principal, const std::string& domain_owner,
                    const std::string& domain_name, int64_t expires_at) const;

  // Errors, all kUnauthenticated: "invalid authorization token" (malformed or bad MAC),
  // "authorization token expired" (now >= expires_at), "the access key that issued this token
  // was deleted".
  // A token this thread verified recently is recognised by its exact text, without the MAC and
  // the decoding again (tens of µs when OpenSSL's code is cold between sparse requests); its
  // expiry and issuing key are still checked on every call.
  Result<TokenClaims> verify(std::string_view token, int64_t now) const;

 private:
  // The MAC and payload checks: the claims of a well-formed, authentic token.
  Result<TokenClaims> decode(std::string_view token) const;

  const Keyring& keyring_;
  const KeyCache& keys_;
  const uint64_t id_;  // distinguishes services (and their keys) in the per-thread cache
};

}  // namespace arca::auth
