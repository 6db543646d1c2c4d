#include "blob/fs/posix_file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

namespace arca::blob::fs {

namespace {
constexpr size_t kMaxWriteSlice = 1 << 20;
constexpr mode_t kDirMode = 0750;
}  // namespace

void UniqueFd::reset() {
  if (fd_ >= 0) ::close(fd_);  // error ignored: callers that care use close()
  fd_ = -1;
}

Status UniqueFd::close() {
  int fd = std::exchange(fd_, -1);
  if (fd < 0) return {};
  // Linux always releases the descriptor, even on EINTR: never retry close().
  if (::close(fd) != 0 && errno != EINTR) return errno_error("close", "", errno);
  return {};
}

Error errno_error(std::string_view what, std::string_view path, int err) {
  char buf[256];
  const char* text = strerror_r(err, buf, sizeof buf);  // GNU variant
  std::string msg(what);
  if (!path.empty()) msg.append(" ").append(path);
  msg.append(": ").append(text);
  return unavailable(std::move(msg));
}

Status write_all(int fd, std::string_view data, std::string_view path_for_errors) {
  while (!data.empty()) {
    size_t n = std::min(data.size(), kMaxWriteSlice);
    ssize_t w = ::write(fd, data.data(), n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return errno_error("write", path_for_errors, errno);
    }
    data.remove_prefix(static_cast<size_t>(w));
  }
  return {};
}

Status fsync_dir(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return errno_error("open directory", dir, errno);
  if (::fsync(fd.get()) != 0) return errno_error("fsync directory", dir, errno);
  return fd.close();
}

Status ensure_dir(const std::string& dir, bool& created) {
  created = false;
  if (::mkdir(dir.c_str(), kDirMode) == 0) {
    created = true;
    return {};
  }
  int err = errno;
  struct stat st;
  if (err == EEXIST && ::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return {};
  return errno_error("mkdir", dir, err == EEXIST ? ENOTDIR : err);
}

}  // namespace arca::blob::fs
