#pragma once
// Response helpers shared by the npm handlers: JSON bodies and npm's {"error": ...} shape.
#include <boost/json/value.hpp>
#include <string_view>

#include "http/message.h"
#include "util/error.h"

namespace arca::formats::npm {

http::Response json_response(int status, const boost::json::value& body);
// {"ok": message}
http::Response ok_response(int status, std::string_view message);
// {"error": message} with the status the canonical code maps to.
http::Response error_response(const Error& e);
// True when an If-None-Match header lists `etag` (or "*").
bool etag_matches(const http::Request& request, std::string_view etag);
http::Response not_modified(std::string_view etag);

}  // namespace arca::formats::npm
