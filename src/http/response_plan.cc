#include "http/response_plan.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <unordered_map>
#include <utility>

#include "http/wire.h"

namespace arca::http {
namespace {

bool valid_status(int status) { return status >= 100 && status <= 999; }

// Immutable files (FileBody::immutable) held open per thread, so that no lock is taken: an
// open(2) and a close(2) fewer per response, and a small file's bytes kept in memory so they leave
// with the response head in one write. An entry is reopened after kOpenFor, so a file removed
// from disk is not held for long; the cache is emptied when full (at most
// kMaxOpen * kKeepBytes of content per I/O thread).
struct ImmutableFile {
  std::shared_ptr<const FileHandle> file;
  uint64_t size = 0;
  SharedText content;  // the whole file, once read, when it is at most kKeepBytes
  std::chrono::steady_clock::time_point opened;
};
constexpr uint64_t kKeepBytes = 64 * 1024;

ImmutableFile* open_immutable(const std::string& path) {
  using Clock = std::chrono::steady_clock;
  constexpr auto kOpenFor = std::chrono::seconds(10);
  constexpr size_t kMaxOpen = 64;
  thread_local std::unordered_map<std::string, ImmutableFile> open_files;
  const auto now = Clock::now();
  if (auto it = open_files.find(path); it != open_files.end()) {
    if (now - it->second.opened < kOpenFor) return &it->second;
    open_files.erase(it);
  }
  FileHandle fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat st;
  if (fd.get() < 0 || ::fstat(fd.get(), &st) != 0) return nullptr;
  if (open_files.size() >= kMaxOpen) open_files.clear();
  ImmutableFile entry{std::make_shared<const FileHandle>(std::move(fd)), uint64_t(st.st_size),
                      nullptr, now};
  return &open_files.insert_or_assign(path, std::move(entry)).first->second;
}

// The whole of a small immutable file from memory, read on first use; nullptr otherwise.
SharedText small_content(ImmutableFile& f, const FileBody& body) {
  if (body.offset != 0 || body.length != f.size || f.size > kKeepBytes) return nullptr;
  if (!f.content) {
    std::string bytes(f.size, '\0');
    size_t got = 0;
    while (got < bytes.size()) {
      ssize_t n = ::pread(f.file->get(), bytes.data() + got, bytes.size() - got, off_t(got));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return nullptr;
      got += size_t(n);
    }
    f.content = std::make_shared<const std::string>(std::move(bytes));
  }
  return f.content;
}

// Opens the file and applies Range; replaces `res` by an error response when needed.
void resolve_file(Handler& handler, const Request& req, Response& res, ResponsePlan& plan) {
  auto* file = std::get_if<FileBody>(&res.body);
  ImmutableFile* kept = nullptr;
  if (file->immutable) {
    kept = open_immutable(file->path);
    if (kept) plan.shared_file = kept->file;
  } else {
    plan.file = FileHandle(::open(file->path.c_str(), O_RDONLY | O_CLOEXEC));
  }
  if (plan.file_fd() < 0) {
    spdlog::error("http: cannot open response file {}: {}", file->path, strerror(errno));
    res = render_transport_error(handler, req, 500, "internal error");
    if (std::holds_alternative<FileBody>(res.body)) res.body = std::string();
    return;
  }
  if (!res.headers.get("Accept-Ranges")) res.headers.add("Accept-Ranges", "bytes");
  auto range = req.headers.get("Range");
  const bool get_or_head = req.method == "GET" || req.method == "HEAD";
  if (!range || res.status != 200 || !get_or_head) {
    if (SharedText bytes = kept ? small_content(*kept, *file) : nullptr) {
      plan.shared_file.reset();
      res.body = std::move(bytes);
    }
    return;
  }
  const uint64_t size = file->length;
  ByteRange br;
  switch (parse_range(*range, size, br)) {
    case RangeResult::kIgnore:
      return;
    case RangeResult::kSatisfiable:
      res.status = 206;
      res.headers.set("Content-Range", "bytes " + std::to_string(br.first) + "-" +
                                           std::to_string(br.last) + "/" + std::to_string(size));
      file->offset += br.first;
      file->length = br.length();
      return;
    case RangeResult::kUnsatisfiable:
      plan.file = FileHandle();
      plan.shared_file.reset();
      res = render_transport_error(handler, req, 416, "requested range not satisfiable");
      if (std::holds_alternative<FileBody>(res.body)) res.body = std::string();
      res.headers.set("Content-Range", "bytes */" + std::to_string(size));
      res.headers.set("Accept-Ranges", "bytes");
      return;
  }
}

}  // namespace

FileHandle& FileHandle::operator=(FileHandle&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.release();
  }
  return *this;
}

FileHandle::~FileHandle() {
  if (fd_ >= 0) ::close(fd_);
}

Response render_transport_error(Handler& handler, const Request& req, int status,
                                const std::string& message) {
  try {
    Response res = handler.transport_error(req, status, message);
    if (valid_status(res.status)) return res;
    spdlog::error("http: transport_error returned status {}", res.status);
  } catch (const std::exception& e) {
    spdlog::error("http: transport_error threw: {}", e.what());
  }
  Response res;
  res.status = status;
  res.headers.set("Content-Type", "text/plain; charset=utf-8");
  res.body = message + "\n";
  return res;
}

ResponsePlan plan_response(Handler& handler, const Request& req, Response res) {
  if (!valid_status(res.status)) {
    spdlog::error("http: handler returned status {} for {}", res.status, req.target);
    res = render_transport_error(handler, req, 500, "internal error");
  }
  ResponsePlan plan;
  if (std::holds_alternative<FileBody>(res.body)) resolve_file(handler, req, res, plan);
  if (const std::string* s = body_text(res)) {
    plan.length = s->size();
    auto cl = res.headers.get("Content-Length");
    if (req.method == "HEAD" && s->empty() && cl) {
      try {
        plan.length = std::stoull(std::string(*cl));
      } catch (const std::exception&) {
      }
    }
  } else if (auto* f = std::get_if<FileBody>(&res.body)) {
    plan.length = f->length;
  } else {
    plan.length = res.content_length;
  }
  plan.send_body =
      req.method != "HEAD" && res.status >= 200 && res.status != 204 && res.status != 304;
  plan.res = std::move(res);
  return plan;
}

}  // namespace arca::http
