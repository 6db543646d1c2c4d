#pragma once
// Small POSIX file helpers for secrets in the data directory (master key, admin credentials).
// Thread-safe (no shared state). Errors: kUnavailable for I/O failures, with path and errno text.
#include <sys/types.h>

#include <string>

#include "util/error.h"

namespace arca::auth {

// Reads a whole file. kNotFound if it does not exist.
Result<std::string> read_small_file(const std::string& path);

// Writes `content` to `path` atomically with permission `mode`: a temporary file in the same
// directory (created with `mode`, written, fsynced), then moved into place and the directory
// fsynced. With `replace == false` the move fails with kAlreadyExists if `path` exists (so two
// processes racing to create it agree on one content); otherwise `path` is replaced.
Status write_file_atomic(const std::string& path, const std::string& content, mode_t mode,
                         bool replace);

}  // namespace arca::auth
