#include "formats/npm/npm_responses.h"

#include <boost/json/serialize.hpp>

#include "formats/endpoint.h"

namespace arca::formats::npm {

http::Response json_response(int status, const boost::json::value& body) {
  http::Response r;
  r.status = status;
  r.headers.set("Content-Type", "application/json");
  r.body = boost::json::serialize(body);
  return r;
}

http::Response ok_response(int status, std::string_view message) {
  return json_response(status, boost::json::object{{"ok", message}});
}

http::Response error_response(const Error& e) { return json_error(http_status(e.code), e.message); }

bool etag_matches(const http::Request& request, std::string_view etag) {
  for (std::string_view header : request.headers.get_all("If-None-Match")) {
    while (!header.empty()) {
      size_t comma = header.find(',');
      std::string_view item = header.substr(0, comma);
      while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
      while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
      if (item.starts_with("W/")) item.remove_prefix(2);  // weak comparison for GET
      if (item == "*" || item == etag) return true;
      if (comma == std::string_view::npos) break;
      header.remove_prefix(comma + 1);
    }
  }
  return false;
}

http::Response not_modified(std::string_view etag) {
  http::Response r;
  r.status = 304;
  r.headers.set("ETag", std::string(etag));
  r.body = std::string();
  return r;
}

}  // namespace arca::formats::npm
