#pragma once
#include <string>

#include "auth/principal.h"
#include "util/error.h"

namespace arca::core {

// AccessDeniedException in AWS's wording for `caller` attempting `action` on `arn`.
Error access_denied(const auth::Principal& caller, const char* action, const std::string& arn);

}  // namespace arca::core
