#include "auth/secure_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace arca::auth {
namespace {

Error io_error(const std::string& what, const std::string& path, int err) {
  return unavailable(what + " " + path + ": " + std::strerror(err));
}

// Closes a file descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

std::string dir_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Status write_all(int fd, const std::string& content, const std::string& path) {
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_error("cannot write", path, errno);
    done += size_t(n);
  }
  return {};
}

Status fsync_dir(const std::string& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return io_error("cannot open directory", dir, errno);
  if (::fsync(fd.get()) != 0) return io_error("cannot fsync directory", dir, errno);
  return {};
}

// Moves tmp to path without replacing an existing file. link() is atomic and fails with EEXIST;
// file systems without hard links fall back to a plain rename after an existence check.
Status move_no_replace(const std::string& tmp, const std::string& path) {
  if (::link(tmp.c_str(), path.c_str()) == 0) {
    ::unlink(tmp.c_str());
    return {};
  }
  int err = errno;
  if (err == EEXIST) {
    ::unlink(tmp.c_str());
    return already_exists("file", path, path + " already exists");
  }
  if (err != EPERM && err != EOPNOTSUPP && err != ENOSYS) {
    ::unlink(tmp.c_str());
    return io_error("cannot link", path, err);
  }
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    ::unlink(tmp.c_str());
    return already_exists("file", path, path + " already exists");
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    err = errno;
    ::unlink(tmp.c_str());
    return io_error("cannot rename to", path, err);
  }
  return {};
}

}  // namespace

Result<std::string> read_small_file(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return not_found("file", path, path + " does not exist");
    return io_error("cannot open", path, errno);
  }
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_error("cannot read", path, errno);
    if (n == 0) break;
    out.append(buf, size_t(n));
    if (out.size() > (1u << 20)) return internal_error(path + " is unexpectedly large");
  }
  return out;
}

Status write_file_atomic(const std::string& path, const std::string& content, mode_t mode,
                         bool replace) {
  std::string tmp = path + ".tmp.XXXXXX";
  Fd fd(::mkostemp(tmp.data(), O_CLOEXEC));  // created with mode 0600
  if (fd.get() < 0) return io_error("cannot create a temporary file for", path, errno);
  auto fail = [&](Error e) {
    ::unlink(tmp.c_str());
    return e;
  };
  if (::fchmod(fd.get(), mode) != 0) return fail(io_error("cannot chmod", tmp, errno));
  if (auto st = write_all(fd.get(), content, tmp); !st) return fail(st.error());
  if (::fsync(fd.get()) != 0) return fail(io_error("cannot fsync", tmp, errno));
  if (::close(fd.release()) != 0) return fail(io_error("cannot close", tmp, errno));
  if (replace) {
    if (::rename(tmp.c_str(), path.c_str()) != 0)
      return fail(io_error("cannot rename to", path, errno));
  } else {
    ARCA_TRY(move_no_replace(tmp, path));
  }
  return fsync_dir(dir_of(path));
}

}  // namespace arca::auth
