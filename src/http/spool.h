#pragma once
// A request body spooled to a temporary file while it is hashed (SHA-256).
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "http/message.h"
#include "util/crypto.h"
#include "util/error.h"

namespace arca::http {

// Owns one temp file created in a directory; the file is deleted when the SpoolFile is destroyed
// (a handler that renamed it away leaves nothing to delete). Not thread-safe; move-free.
class SpoolFile {
 public:
  // Creates "<dir>/arca-spool-XXXXXX" (mode 0600). kUnavailable if it cannot be created.
  static Result<std::unique_ptr<SpoolFile>> create(const std::string& dir);
  ~SpoolFile();
  SpoolFile(const SpoolFile&) = delete;
  SpoolFile& operator=(const SpoolFile&) = delete;

  // Appends and hashes `data`. kUnavailable on a write error (disk full, ...).
  Status write(std::string_view data);
  // Closes the file and describes it; write() must not be called afterwards.
  SpooledBody finish();
  const std::string& path() const { return path_; }

 private:
  SpoolFile(int fd, std::string path);
  int fd_;
  std::string path_;
  uint64_t size_ = 0;
  crypto::Hasher hasher_{crypto::Algo::kSha256};
};

}  // namespace arca::http
