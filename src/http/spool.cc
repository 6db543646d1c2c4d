#include "http/spool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vector>

namespace arca::http {

Result<std::unique_ptr<SpoolFile>> SpoolFile::create(const std::string& dir) {
  std::string tmpl = dir;
  if (!tmpl.empty() && tmpl.back() != '/') tmpl += '/';
  tmpl += "arca-spool-XXXXXX";
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');
  int fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0) return unavailable("cannot create spool file in " + dir + ": " + strerror(errno));
  return std::unique_ptr<SpoolFile>(new SpoolFile(fd, std::string(name.data())));
}

SpoolFile::SpoolFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}

SpoolFile::~SpoolFile() {
  if (fd_ >= 0) ::close(fd_);
  ::unlink(path_.c_str());
}

Status SpoolFile::write(std::string_view data) {
  hasher_.update(data);
  while (!data.empty()) {
    ssize_t n = ::write(fd_, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return unavailable("spool write to " + path_ + ": " + strerror(errno));
    data.remove_prefix(size_t(n));
    size_ += uint64_t(n);
  }
  return {};
}

SpooledBody SpoolFile::finish() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  return SpooledBody{path_, size_, hasher_.finish_hex()};
}

}  // namespace arca::http
