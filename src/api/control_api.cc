#include "api/control_api.h"

#include "api/errors.h"
#include "api/operations.h"
#include "auth/sigv4.h"
#include "util/clock.h"
#include "util/crypto.h"

namespace arca::api {

namespace json = boost::json;

namespace {

// Request bodies are JSON objects; an absent or empty body means {}.
Result<json::object> parse_body(const std::string& body) {
  if (body.empty()) return json::object{};
  json::parse_options opts;
  opts.max_depth = 32;
  boost::system::error_code ec;
  json::value v = json::parse(body, ec, {}, opts);
  if (ec)
    return invalid_argument("Request body is not valid JSON: " + ec.message(), "CANNOT_PARSE");
  if (!v.is_object()) return invalid_argument("Request body must be a JSON object", "CANNOT_PARSE");
  return std::move(v.get_object());
}

http::Response json_response(const json::object& body, const std::string& request_id) {
  http::Response r;
  r.headers.set("Content-Type", "application/json");
  r.headers.set("x-amzn-RequestId", request_id);
  r.body = json::serialize(body);
  return r;
}

}  // namespace

ControlApi::ControlApi(core::ControlPlane& control, core::Packages& packages,
                       core::PackageGroups& groups, const auth::KeyCache& keys,
                       std::string public_url)
    : control_(control),
      packages_(packages),
      groups_(groups),
      keys_(keys),
      public_url_(std::move(public_url)) {}

http::BodyPolicy ControlApi::body_policy(const http::Request&) const {
  return {http::BodyMode::kBuffer, kMaxBodyBytes};
}

http::Response ControlApi::handle(http::Request& request) {
  auth::SignedRequest signed_request{request.method, request.path, request.raw_query,
                                     &request.headers.items(), crypto::sha256_hex(request.body)};
  auto caller = auth::verify_sigv4(signed_request, keys_, now_epoch_seconds());
  if (!caller) return render_error(caller.error(), request.request_id);

  const Operation* op = find_operation(request.method, request.path);
  if (!op) {
    Error e = invalid_argument("Unknown operation: " + request.method + " " + request.path,
                               "UNKNOWN_OPERATION");
    if (!known_path(request.path)) e.message = "Unknown path: " + request.path;
    return render_error(e, request.request_id);
  }
  auto body = parse_body(request.body);
  if (!body) return render_error(body.error(), request.request_id);

  OpContext ctx{request, *caller, control_, packages_, groups_, public_url_, std::move(*body)};
  if (op->raw) {
    auto raw = op->raw(ctx);
    if (!raw) return render_error(raw.error(), request.request_id);
    raw->headers.set("x-amzn-RequestId", request.request_id);
    return std::move(*raw);
  }
  OpResult result = op->fn(ctx);
  if (!result) return render_error(result.error(), request.request_id);
  return json_response(*result, request.request_id);
}

http::Response ControlApi::transport_error(const http::Request& head, int status,
                                           std::string message) const {
  Error e = invalid_argument(std::move(message), "OTHER");
  http::Response r = render_error(e, head.request_id);
  r.status = status;
  return r;
}

}  // namespace arca::api
