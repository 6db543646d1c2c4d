#pragma once
// Renders canonical errors as CodeArtifact restJson1 errors: the status from http_status(), the
// `x-amzn-ErrorType` header, and a JSON body with `message` (+ resourceId/resourceType/reason).
#include "http/message.h"
#include "util/error.h"

namespace arca::api {

// The AWS error shape name for an error (Error::aws_type wins when set).
std::string aws_error_type(const Error& e);

http::Response render_error(const Error& e, const std::string& request_id);

}  // namespace arca::api
