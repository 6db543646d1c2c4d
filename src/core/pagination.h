#pragma once
// Opaque nextToken values: base64url of a versioned cursor. Tokens are not signed; a forged
// token can only move the cursor within what the caller may list anyway.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/types.h"
#include "util/error.h"

namespace arca::core {

constexpr size_t kDefaultMaxResults = 50;

std::string encode_page_token(std::string_view cursor);
// kInvalidArgument (ValidationException naming `field`) for a token this server did not issue.
Result<std::string> decode_page_token(std::string_view field, std::string_view token);

template <class T>
struct PageOf {
  std::vector<T> items;
  std::string next_token;  // empty on the last page
};

// Optional list parameters as they come off the wire.
struct ListParams {
  std::optional<int64_t> max_results;
  std::optional<std::string> next_token;
};

// A keyset page for the store from wire parameters: validated maxResults (default 50), the
// decoded cursor, and one extra row so finish_keyset_page can tell whether more pages exist.
Result<store::Page> start_keyset_page(const ListParams& p);

// Trims the extra row and sets next_token to the cursor of the last kept item.
template <class T, class CursorFn>
PageOf<T> finish_keyset_page(std::vector<T> rows, const store::Page& page, CursorFn cursor) {
  PageOf<T> out;
  if (rows.size() == page.limit) {
    rows.pop_back();
    out.next_token = encode_page_token(cursor(rows.back()));
  }
  out.items = std::move(rows);
  return out;
}

}  // namespace arca::core
