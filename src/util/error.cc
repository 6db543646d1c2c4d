#include "util/error.h"

#include <stdexcept>

namespace arca {

int http_status(Code code) {
  switch (code) {
    case Code::kInvalidArgument:
      return 400;
    case Code::kNotFound:
      return 404;
    case Code::kAlreadyExists:
      return 409;
    case Code::kFailedPrecondition:
      return 409;
    case Code::kQuotaExceeded:
      return 402;  // CodeArtifact's ServiceQuotaExceededException
    case Code::kTooLarge:
      return 413;
    case Code::kUnauthenticated:
      return 401;
    case Code::kPermissionDenied:
      return 403;
    case Code::kThrottled:
      return 429;
    case Code::kUnavailable:
      return 503;
    case Code::kInternal:
      return 500;
  }
  return 500;
}

const char* code_name(Code code) {
  switch (code) {
    case Code::kInvalidArgument:
      return "INVALID_ARGUMENT";
    case Code::kNotFound:
      return "NOT_FOUND";
    case Code::kAlreadyExists:
      return "ALREADY_EXISTS";
    case Code::kFailedPrecondition:
      return "FAILED_PRECONDITION";
    case Code::kQuotaExceeded:
      return "QUOTA_EXCEEDED";
    case Code::kTooLarge:
      return "TOO_LARGE";
    case Code::kUnauthenticated:
      return "UNAUTHENTICATED";
    case Code::kPermissionDenied:
      return "PERMISSION_DENIED";
    case Code::kThrottled:
      return "THROTTLED";
    case Code::kUnavailable:
      return "UNAVAILABLE";
    case Code::kInternal:
      return "INTERNAL";
  }
  return "INTERNAL";
}

Error invalid_argument(std::string message, std::string reason) {
  return Error{Code::kInvalidArgument, std::move(message), {}, {}, std::move(reason), {}};
}
Error not_found(std::string resource_type, std::string resource_id, std::string message) {
  return Error{Code::kNotFound,
               std::move(message),
               std::move(resource_type),
               std::move(resource_id),
               {},
               {}};
}
Error already_exists(std::string resource_type, std::string resource_id, std::string message) {
  return Error{Code::kAlreadyExists,
               std::move(message),
               std::move(resource_type),
               std::move(resource_id),
               {},
               {}};
}
Error failed_precondition(std::string message, std::string resource_type, std::string resource_id) {
  return Error{Code::kFailedPrecondition,
               std::move(message),
               std::move(resource_type),
               std::move(resource_id),
               {},
               {}};
}
Error quota_exceeded(std::string resource_type, std::string resource_id, std::string message) {
  return Error{Code::kQuotaExceeded,
               std::move(message),
               std::move(resource_type),
               std::move(resource_id),
               {},
               {}};
}
Error internal_error(std::string message) {
  return Error{Code::kInternal, std::move(message), {}, {}, {}, {}};
}
Error unavailable(std::string message) {
  return Error{Code::kUnavailable, std::move(message), {}, {}, {}, {}};
}

void throw_exception_from_error(const Error& e, const boost::source_location&) {
  throw std::runtime_error(std::string(code_name(e.code)) + ": " + e.message);
}

}  // namespace arca
