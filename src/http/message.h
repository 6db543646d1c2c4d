#pragma once
// Beast-free request/response types shared by the server and every handler, so that api/ and
// formats/ compile without Boost.Beast.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace arca::http {

// Case-insensitive header list preserving order and duplicates.
class Headers {
 public:
  // First value of `name`, or nullopt.
  std::optional<std::string_view> get(std::string_view name) const;
  std::vector<std::string_view> get_all(std::string_view name) const;
  void add(std::string name, std::string value);
  void set(std::string name, std::string value);  // replaces every existing value
  void remove(std::string_view name);
  const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

// The request body as the handler receives it, chosen by Handler::body_policy.
struct SpooledBody {
  std::string path;  // temp file holding the body; deleted after the handler returns
  uint64_t size = 0;
  std::string sha256;  // lowercase hex of the bytes
};

struct Request {
  std::string method;     // upper case as sent: "GET", "PUT", ...
  std::string target;     // raw request target, e.g. "/v1/domain?domain=x"
  std::string path;       // raw (still percent-encoded) path part of target
  std::string raw_query;  // raw query string without '?'
  // Query parameters, percent-decoded, in order (duplicates kept).
  std::vector<std::pair<std::string, std::string>> query;
  Headers headers;
  std::string body;                    // BodyMode::kBuffer
  std::optional<SpooledBody> spooled;  // BodyMode::kSpool
  std::string remote_address;
  std::string request_id;  // UUID assigned by the server; also sent as x-amzn-RequestId

  std::optional<std::string_view> query_param(std::string_view name) const;
};

// A range of a file sent as the body (sendfile where possible).
struct FileBody {
  std::string path;
  uint64_t offset = 0;
  uint64_t length = 0;
  // The bytes under `path` never change while the file exists (a content-addressed blob): the
  // server may keep the file open for a few seconds and send later responses from the same
  // descriptor, as nginx's open_file_cache does.
  bool immutable = false;
};

// A body produced in chunks on the blocking pool: each call fills `out` (cleared by the caller)
// and returns false once there is nothing more. Used for blobs without a local file.
using ChunkSource = std::function<bool(std::string& out)>;

// A body read from a file that another thread is still appending to (a pull-through miss's
// spool): the server sends what is readable with sendfile(2) from its I/O thread and waits for
// more without holding any thread, as a reverse proxy does.
class GrowingFile {
 public:
  struct View {
    int fd = -1;            // valid while the GrowingFile lives
    uint64_t readable = 0;  // bytes [0, readable) of the file may be sent
    bool complete = false;  // `readable` is the whole body
    // Set when the body cannot be completed: the server cuts the connection, so that a client
    // never takes a partial body for a whole one.
    std::optional<std::string> failed;
  };
  virtual ~GrowingFile() = default;
  // Never blocks.
  virtual View view() = 0;
  // Calls `wake` exactly once, from any thread (possibly before returning), as soon as view()
  // shows more than `seen` readable bytes, completion or failure.
  virtual void when_more(uint64_t seen, std::function<void()> wake) = 0;
};
using GrowingBody = std::shared_ptr<GrowingFile>;

struct Response;
// A response that another thread completes later (a pull-through miss, once the upstream
// answered), so that no thread waits for it. The server calls `start` once, on the connection's
// I/O thread; `start` must not block, and must make `done` be called exactly once, from any
// thread (possibly before `start` returns), with the final response, which is not Deferred.
struct Deferred {
  std::function<void(std::function<void(Response)> done)> start;
};

// An immutable in-memory body shared with a cache, sent without copying it.
using SharedText = std::shared_ptr<const std::string>;

struct Response {
  int status = 200;
  Headers headers;
  std::variant<std::string, FileBody, ChunkSource, SharedText, GrowingBody, Deferred> body;
  // Set when the body length is known for a ChunkSource or GrowingBody (else chunked encoding).
  std::optional<uint64_t> content_length;
};

enum class BodyMode {
  kReject,  // a body is an error (413 if non-empty)
  kBuffer,  // read into Request::body, up to max_bytes
  kSpool,   // stream to a temp file while hashing, up to max_bytes
  kSkip,    // answer without reading the body (e.g. 401 before an upload); the connection
            // closes after the response when a body was announced
};

struct BodyPolicy {
  BodyMode mode = BodyMode::kBuffer;
  uint64_t max_bytes = 1 << 20;
};

// The application side of the server.
class Handler {
 public:
  virtual ~Handler() = default;
  // Called on an I/O thread once headers are parsed; must not block. Decides how the body is read.
  virtual BodyPolicy body_policy(const Request& head) const = 0;
  // Called on the blocking pool with the complete request. May block (database, disk). A
  // Deferred response releases the pool thread until its producer completes it.
  virtual Response handle(Request& request) = 0;
  // Called on an I/O thread for a request without a body (GET or HEAD) once its head is parsed,
  // before body_policy: the response when the handler can give it from memory without blocking
  // (no database, no fsync; opening a file to send is fine), else nullopt and the request takes
  // the normal path (body_policy, then handle on the blocking pool). It must answer exactly as
  // handle would; a Deferred response is fine. An exception is logged and taken as nullopt.
  virtual std::optional<Response> try_fast(Request& head) {
    (void)head;
    return std::nullopt;
  }
  // Renders a transport-level error (body too large, bad request, timeout) for this request in
  // the format its client reads. `status` is the HTTP status to send.
  virtual Response transport_error(const Request& head, int status, std::string message) = 0;
};

// The in-memory text of a body (std::string or SharedText), or nullptr for file/chunk bodies.
const std::string* body_text(const Response& response);

// Percent-decodes `in`; '+' stays '+'. Returns false on a malformed escape.
bool percent_decode(std::string_view in, std::string& out);

}  // namespace arca::http
