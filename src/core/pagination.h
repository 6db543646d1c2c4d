#pragma once
// Opaque nextToken values: base64url of a versioned cursor. Tokens are not signed; a forged
// token can only move the cursor within what the caller may list anyway.
#include <string>
#include <string_view>

#include "util/error.h"

namespace arca::core {

constexpr size_t kDefaultMaxResults = 50;

std::string encode_page_token(std::string_view cursor);
// kInvalidArgument (ValidationException naming `field`) for a token this server did not issue.
Result<std::string> decode_page_token(std::string_view field, std::string_view token);

}  // namespace arca::core
