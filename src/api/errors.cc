#include "api/errors.h"

#include <boost/json.hpp>

namespace arca::api {

std::string aws_error_type(const Error& e) {
  if (!e.aws_type.empty()) return e.aws_type;
  switch (e.code) {
    case Code::kInvalidArgument:
    case Code::kTooLarge:
      return "ValidationException";
    case Code::kNotFound:
      return "ResourceNotFoundException";
    case Code::kAlreadyExists:
    case Code::kFailedPrecondition:
      return "ConflictException";
    case Code::kQuotaExceeded:
      return "ServiceQuotaExceededException";
    case Code::kUnauthenticated:
      return "UnrecognizedClientException";
    case Code::kPermissionDenied:
      return "AccessDeniedException";
    case Code::kThrottled:
      return "ThrottlingException";
    case Code::kUnavailable:
    case Code::kInternal:
      return "InternalServerException";
  }
  return "InternalServerException";
}

http::Response render_error(const Error& e, const std::string& request_id) {
  boost::json::object body;
  body["message"] = e.message;
  std::string type = aws_error_type(e);
  if (type == "ValidationException") body["reason"] = e.reason.empty() ? "OTHER" : e.reason;
  if (e.code == Code::kNotFound || e.code == Code::kAlreadyExists ||
      e.code == Code::kFailedPrecondition || e.code == Code::kQuotaExceeded) {
    if (!e.resource_id.empty()) body["resourceId"] = e.resource_id;
    if (!e.resource_type.empty()) body["resourceType"] = e.resource_type;
  }
  http::Response r;
  r.status = http_status(e.code);
  r.headers.set("Content-Type", "application/json");
  r.headers.set("x-amzn-ErrorType", type);
  r.headers.set("x-amzn-RequestId", request_id);
  if (e.code == Code::kThrottled) r.headers.set("Retry-After", "1");
  r.body = boost::json::serialize(body);
  return r;
}

}  // namespace arca::api
