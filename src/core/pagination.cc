#include "core/pagination.h"

#include "core/validate.h"
#include "util/crypto.h"

namespace arca::core {

namespace {
constexpr std::string_view kPrefix = "arca-page-v1:";
}

std::string encode_page_token(std::string_view cursor) {
  return crypto::base64url_encode(std::string(kPrefix) + std::string(cursor));
}

Result<std::string> decode_page_token(std::string_view field, std::string_view token) {
  std::string raw;
  if (token.empty() || token.size() > 2000 || !crypto::base64url_decode(token, raw) ||
      !raw.starts_with(kPrefix))
    return field_error(field, token, "Member must be a token returned by a previous call");
  return raw.substr(kPrefix.size());
}

Result<store::Page> start_keyset_page(const ListParams& p) {
  int64_t max = p.max_results.value_or(kDefaultMaxResults);
  ARCA_TRY(validate_max_results("maxResults", max));
  store::Page page;
  page.limit = size_t(max) + 1;
  if (p.next_token) {
    ARCA_ASSIGN_OR_RETURN(page.after, decode_page_token("nextToken", *p.next_token));
  }
  return page;
}

}  // namespace arca::core
