#pragma once
// Beast-free preparation of a response before it is written: status validation, FileBody
// opening and Range handling, body length and whether a body is sent at all.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "http/message.h"

namespace arca::http {

// Owns an open file descriptor (-1 when none).
class FileHandle {
 public:
  FileHandle() = default;
  explicit FileHandle(int fd) : fd_(fd) {}
  FileHandle(FileHandle&& o) noexcept : fd_(o.release()) {}
  FileHandle& operator=(FileHandle&& o) noexcept;
  ~FileHandle();
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

struct ResponsePlan {
  Response res;  // final status and headers (Accept-Ranges, Content-Range)
  // When res.body holds a FileBody (offset/length final): the open file, owned by the plan or,
  // for an immutable file, shared with the calling thread's cache of open files.
  FileHandle file;
  std::shared_ptr<const FileHandle> shared_file;
  std::optional<uint64_t> length;  // nullopt: length unknown (chunked or close-delimited)
  bool send_body = true;           // false for HEAD, 1xx, 204 and 304

  int file_fd() const { return shared_file ? shared_file->get() : file.get(); }
};

// handler.transport_error(req, status, message), or a plain-text response if it throws.
Response render_transport_error(Handler& handler, const Request& req, int status,
                                const std::string& message);

// Resolves `res` for `req`: an out-of-range status becomes 500; a FileBody is opened (500 if it
// cannot be) and a single `Range` of a 200 GET/HEAD answer gives 206 or 416; a HEAD answer with
// an empty string body keeps a Content-Length the handler set.
ResponsePlan plan_response(Handler& handler, const Request& req, Response res);

}  // namespace arca::http
