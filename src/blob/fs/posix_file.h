#pragma once
// Small POSIX helpers for the filesystem blob store: an owning file descriptor and errno-based
// errors. Internal to src/blob/fs.
#include <string>
#include <string_view>
#include <utility>

#include "util/error.h"

namespace arca::blob::fs {

// Owns a file descriptor; closes it on destruction. Move-only.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void reset();
  // Closes and reports close()'s error (which can be a deferred write error).
  Status close();

 private:
  int fd_ = -1;
};

// kUnavailable "<what> <path>: <strerror(err)>".
Error errno_error(std::string_view what, std::string_view path, int err);

// Writes all of `data`, retrying on EINTR and short writes, in slices of at most `max_slice`.
Status write_all(int fd, std::string_view data, std::string_view path_for_errors);

// open(O_RDONLY | O_DIRECTORY) + fsync, so entries created or renamed in `dir` are durable.
Status fsync_dir(const std::string& dir);

// mkdir that treats an existing directory as success. Sets `created` when it made it.
Status ensure_dir(const std::string& dir, bool& created);

}  // namespace arca::blob::fs
