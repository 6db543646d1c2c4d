#pragma once
// Canonical error codes and the result type every fallible function returns.
//
// Rules for choosing a code (a la absl::Status):
//   kInvalidArgument   the input itself is wrong, whatever the state of the system.
//   kNotFound          a named resource does not exist.
//   kAlreadyExists     a create found the resource already there.
//   kFailedPrecondition the request is valid but the resource's state forbids it (delete a
//                      domain that has repositories, wrong revision, ...).
//   kQuotaExceeded     a count limit (domains per account, tags per resource, ...).
//   kTooLarge          a body, header or document over its size limit.
//   kUnauthenticated   no credentials, or credentials that do not identify anyone.
//   kPermissionDenied  the caller is known but not allowed.
//   kThrottled         rate limited; retry later.
//   kUnavailable       a dependency (disk, upstream) failed transiently.
//   kInternal          a bug or an invariant broken; never an input problem.
// Exactly one place (http_status in error.cc) maps codes to HTTP statuses; each front door renders
// the body its clients parse.
#include <boost/system/result.hpp>
#include <string>
#include <utility>

namespace arca {

enum class Code {
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kFailedPrecondition,
  kQuotaExceeded,
  kTooLarge,
  kUnauthenticated,
  kPermissionDenied,
  kThrottled,
  kUnavailable,
  kInternal,
};

struct Error {
  Code code = Code::kInternal;
  std::string message;
  // Optional detail the control plane renders (CodeArtifact resourceType/resourceId, reason).
  std::string resource_type;
  std::string resource_id;
  std::string reason;
  // Optional AWS error type overriding the one derived from `code` (e.g. the SigV4 family).
  std::string aws_type;
};

// HTTP status for a canonical code. The single mapping used by every front door.
int http_status(Code code);
const char* code_name(Code code);

// Constructors for the common cases.
Error invalid_argument(std::string message, std::string reason = "FIELD_VALIDATION_FAILED");
Error not_found(std::string resource_type, std::string resource_id, std::string message);
Error already_exists(std::string resource_type, std::string resource_id, std::string message);
Error failed_precondition(std::string message, std::string resource_type = {},
                          std::string resource_id = {});
Error quota_exceeded(std::string resource_type, std::string resource_id, std::string message);
Error internal_error(std::string message);
Error unavailable(std::string message);

// Needed by boost::system::result<T, Error>::value() when it holds an error.
[[noreturn]] void throw_exception_from_error(const Error& e, const boost::source_location& loc);

template <class T>
using Result = boost::system::result<T, Error>;
using Status = boost::system::result<void, Error>;

}  // namespace arca

// Propagates an error from an expression returning Result/Status; otherwise evaluates to nothing.
#define ARCA_TRY(expr)                            \
  do {                                            \
    auto arca_try_r_ = (expr);                    \
    if (!arca_try_r_) return arca_try_r_.error(); \
  } while (0)

// Declares `lhs` from a Result, or returns its error.
#define ARCA_ASSIGN_OR_RETURN(lhs, expr)                                                \
  auto ARCA_CONCAT_(arca_r_, __LINE__) = (expr);                                        \
  if (!ARCA_CONCAT_(arca_r_, __LINE__)) return ARCA_CONCAT_(arca_r_, __LINE__).error(); \
  lhs = std::move(*ARCA_CONCAT_(arca_r_, __LINE__))
#define ARCA_CONCAT_INNER_(a, b) a##b
#define ARCA_CONCAT_(a, b) ARCA_CONCAT_INNER_(a, b)
