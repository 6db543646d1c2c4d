#include "http/response_plan.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <string.h>
#include <unistd.h>

#include <utility>

#include "http/wire.h"

namespace arca::http {
namespace {

bool valid_status(int status) { return status >= 100 && status <= 999; }

// Opens the file and applies Range; replaces `res` by an error response when needed.
void resolve_file(Handler& handler, const Request& req, Response& res, ResponsePlan& plan) {
  auto* file = std::get_if<FileBody>(&res.body);
  plan.file = FileHandle(::open(file->path.c_str(), O_RDONLY | O_CLOEXEC));
  if (plan.file.get() < 0) {
    spdlog::error("http: cannot open response file {}: {}", file->path, strerror(errno));
    res = render_transport_error(handler, req, 500, "internal error");
    if (std::holds_alternative<FileBody>(res.body)) res.body = std::string();
    return;
  }
  if (!res.headers.get("Accept-Ranges")) res.headers.add("Accept-Ranges", "bytes");
  auto range = req.headers.get("Range");
  const bool get_or_head = req.method == "GET" || req.method == "HEAD";
  if (!range || res.status != 200 || !get_or_head) return;
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
