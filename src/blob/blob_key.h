#pragma once
// Validation of BlobStore keys, shared by every backend. A key is a lowercase hex SHA-256 (64
// characters of [0-9a-f]); anything else is rejected before it reaches a path or an object name,
// so keys cannot traverse directories or smuggle separators.
#include <string_view>

#include "util/error.h"

namespace arca::blob {

inline constexpr size_t kBlobKeyLength = 64;

constexpr bool is_lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

constexpr bool is_valid_blob_key(std::string_view key) {
  if (key.size() != kBlobKeyLength) return false;
  for (char c : key) {
    if (!is_lower_hex(c)) return false;
  }
  return true;
}

// kInvalidArgument naming the rejected key (truncated, so a hostile key cannot flood logs).
inline Status check_blob_key(std::string_view key) {
  if (is_valid_blob_key(key)) return {};
  std::string shown(key.substr(0, 80));
  return invalid_argument("invalid blob key '" + shown +
                          "': expected 64 lowercase hex characters (a SHA-256)");
}

}  // namespace arca::blob
