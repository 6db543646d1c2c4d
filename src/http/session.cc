// One coroutine per connection: read a head, read the body per the handler's policy, run the
// handler on the blocking pool, write the response, repeat while keep-alive holds.
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <strings.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <ctime>
#include <optional>

#include "http/access_log.h"
#include "http/response_plan.h"
#include "http/runtime.h"
#include "http/spool.h"
#include "http/wire.h"
#include "util/crypto.h"

namespace arca::http::detail {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;
using net::awaitable;
using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;
using Parser = bhttp::request_parser<bhttp::buffer_body>;

constexpr auto kTok = net::as_tuple(net::use_awaitable);
constexpr size_t kChunk = 64 * 1024;       // body read / copy buffer
constexpr size_t kWriteSlice = 1 << 20;    // one deadline per slice of an in-memory body
constexpr uint64_t kYieldEvery = 8 << 20;  // sendfile bytes between yields to other sessions
constexpr uint64_t kLingerMax = 4 << 20;   // unread body discarded before closing

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_http_error(const beast::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category();
}

// A request id in UUID v4 form, from a per-thread buffer of CSPRNG bytes refilled every 256
// ids: RAND_bytes costs a getpid(2) per call (OpenSSL's fork check), one syscall per request.
std::string next_request_id() {
  constexpr size_t kIds = 256;
  thread_local std::string pool;
  thread_local size_t used = 0;
  if (used == pool.size()) {
    pool = crypto::random_bytes(16 * kIds);
    used = 0;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(36, '-');
  size_t out = 0;
  for (size_t i = 0; i < 16; ++i, ++used) {
    auto b = uint8_t(pool[used]);
    if (i == 6) b = uint8_t((b & 0x0f) | 0x40);  // version 4
    if (i == 8) b = uint8_t((b & 0x3f) | 0x80);  // RFC 4122 variant
    if (i == 4 || i == 6 || i == 8 || i == 10) ++out;
    id[out++] = kHex[b >> 4];
    id[out++] = kHex[b & 0x0f];
  }
  return id;
}

// The Date header value, formatted once per second per I/O thread instead of per response.
const std::string& date_now() {
  thread_local std::time_t formatted_for = -1;
  thread_local std::string text;
  auto now = std::chrono::system_clock::now();
  std::time_t secs = std::chrono::system_clock::to_time_t(now);
  if (secs != formatted_for) {
    text = http_date(now);
    formatted_for = secs;
  }
  return text;
}

std::string describe(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "unknown exception";
  }
}

// The socket plus what the stop notifier needs; shared between the session and the registry.
// Touched only on the connection's I/O thread.
struct Connection {
  explicit Connection(tcp::socket s) : stream(std::move(s)) {}
  beast::tcp_stream stream;
  bool idle = true;  // waiting for the first byte of a request
  void close() {
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream.close();
  }
};

// One request/response exchange.
struct Exchange {
  Request req;
  unsigned version = 11;
  bool keep_alive = true;
  int status = 0;
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  Clock::time_point start = Clock::now();
};

class Session {
 public:
  Session(Runtime& rt, std::shared_ptr<Connection> conn, std::string remote)
      : rt_(rt),
        opt_(rt.options),
        conn_(std::move(conn)),
        remote_(std::move(remote)),
        buffer_(opt_.max_header_bytes + 2 * kChunk) {}

  awaitable<void> run();

 private:
  beast::tcp_stream& stream() { return conn_->stream; }
  awaitable<bool> serve_one(bool first);
  awaitable<bool> wait_for_request(bool first);
  awaitable<bool> on_head_error(const beast::error_code& ec, Parser& parser, Exchange& x);
  awaitable<bool> send_continue();
  awaitable<int> read_body(Parser& parser, Exchange& x, BodyPolicy policy,
                           std::unique_ptr<SpoolFile>& spool, std::string& why);
  std::optional<Response> try_fast(Request& req);
  awaitable<Response> dispatch(Request& req);
  awaitable<bool> respond_error(Exchange& x, int status, std::string message);
  awaitable<bool> write_response(Exchange& x, Response res);
  awaitable<bool> write_body(Exchange& x, ResponsePlan& out, bool chunked);
  awaitable<bool> send_string(const std::string& s, Exchange& x);
  bool write_ok(const beast::error_code& ec, Exchange& x);
  awaitable<bool> send_file(int fd, uint64_t offset, uint64_t length, Exchange& x);
  awaitable<bool> copy_file(int fd, uint64_t offset, uint64_t length, Exchange& x);
  awaitable<bool> send_chunks(ChunkSource& src, std::optional<uint64_t> length, bool chunked,
                              Exchange& x);
  template <class Buffers>
  awaitable<bool> write_all(const Buffers& buffers);
  template <class F>
  awaitable<std::exception_ptr> on_pool(F f);
  awaitable<void> close();
  Response render_error(const Request& req, int status, const std::string& message);
  void log(const Exchange& x);

  Runtime& rt_;
  const ServerOptions& opt_;
  std::shared_ptr<Connection> conn_;
  std::string remote_;
  beast::flat_buffer buffer_;
  std::string head_buf_;  // the response head being written; reused across requests
  bool linger_ = false;   // an unread request body may still be arriving when we close
};

awaitable<void> Session::run() {
  try {
    for (bool first = true;; first = false) {
      if (!co_await serve_one(first)) break;
    }
  } catch (const std::exception& e) {
    spdlog::error("http: session from {} failed: {}", remote_, e.what());
  }
  co_await close();
}

awaitable<bool> Session::serve_one(bool first) {
  if (!co_await wait_for_request(first)) co_return false;
  Exchange x;
  x.req.remote_address = remote_;
  x.req.request_id = next_request_id();
  Parser parser;
  parser.header_limit(opt_.max_header_bytes);
  parser.body_limit(boost::none);  // set per the handler's policy once the head is known
  auto [ec, n] = co_await bhttp::async_read_header(stream(), buffer_, parser, kTok);
  if (ec) co_return co_await on_head_error(ec, parser, x);
  rt_.requests++;

  const auto& head = parser.get();
  x.req.method = std::string(head.method_string());
  x.version = head.version();
  x.keep_alive = head.keep_alive();
  for (const auto& f : head)
    x.req.headers.add(std::string(f.name_string()), std::string(f.value()));
  if (!parse_target(head.target(), x.req)) {
    co_return co_await respond_error(x, 400, "malformed percent-encoding in the query string");
  }
  // A bodiless read the handler can answer from memory skips the hop to the blocking pool.
  if (parser.is_done() && (x.req.method == "GET" || x.req.method == "HEAD")) {
    if (auto fast = try_fast(x.req)) {
      if (rt_.stopping) x.keep_alive = false;
      const bool written = co_await write_response(x, std::move(*fast));
      log(x);
      const bool keep_going = written && x.keep_alive;
      co_return keep_going;
    }
  }

  BodyPolicy policy;
  bool policy_ok = true;
  try {
    policy = rt_.handler.body_policy(x.req);
  } catch (const std::exception& e) {
    rt_.handler_errors++;
    policy_ok = false;
    spdlog::error("http: body_policy threw for {} {}: {}", x.req.method, x.req.target, e.what());
  }
  if (!policy_ok) co_return co_await respond_error(x, 500, "internal error");
  std::unique_ptr<SpoolFile> spool;
  if (policy.mode == BodyMode::kSkip && !parser.is_done()) {
    // The unread body would be taken for the next request: answer, then close.
    x.keep_alive = false;
    linger_ = true;
  } else if (!parser.is_done()) {
    uint64_t max = policy.mode == BodyMode::kReject ? 0 : policy.max_bytes;
    if (auto cl = parser.content_length(); cl && *cl > max) {
      co_return co_await respond_error(x, 413,
                                       "request body of " + std::to_string(*cl) +
                                           " bytes exceeds the limit of " + std::to_string(max) +
                                           " bytes");
    }
    auto expect = x.req.headers.get("Expect");
    if (expect && x.version >= 11 && iequals(trim(*expect), "100-continue")) {
      if (!co_await send_continue()) co_return false;
    }
  }
  // kSpool always yields a spooled body, empty when the request has none.
  if (policy.mode != BodyMode::kSkip && (!parser.is_done() || policy.mode == BodyMode::kSpool)) {
    std::string why;
    int status = co_await read_body(parser, x, policy, spool, why);
    if (status < 0) co_return false;
    if (status > 0) co_return co_await respond_error(x, status, std::move(why));
  }

  Response res = co_await dispatch(x.req);
  spool.reset();  // the handler has returned: the spooled body goes now
  if (rt_.stopping) x.keep_alive = false;
  bool ok = co_await write_response(x, std::move(res));
  log(x);
  const bool keep_going = ok && x.keep_alive;
  co_return keep_going;
}

// Waits for the first byte of a request: the header deadline covers a new connection's wait, the
// keep-alive deadline a reused one's. Closing an idle connection on stop() lands here.
awaitable<bool> Session::wait_for_request(bool first) {
  if (rt_.stopping && !first) co_return false;
  stream().expires_after(Millis(first ? opt_.header_timeout_ms : opt_.keepalive_timeout_ms));
  if (buffer_.size() == 0) {
    conn_->idle = true;
    auto [ec, n] = co_await stream().async_read_some(buffer_.prepare(4096), kTok);
    conn_->idle = false;
    if (ec) {
      if (ec == beast::error::timeout && first) rt_.timeouts++;
      co_return false;
    }
    buffer_.commit(n);
  }
  conn_->idle = false;
  if (!first) stream().expires_after(Millis(opt_.header_timeout_ms));
  co_return true;
}

awaitable<bool> Session::on_head_error(const beast::error_code& ec, Parser& parser, Exchange& x) {
  if (ec == beast::error::timeout) {
    rt_.timeouts++;
    spdlog::debug("http: {} did not send a request head within {} ms", remote_,
                  opt_.header_timeout_ms);
    co_return false;  // the stream closed the socket
  }
  if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
      !is_http_error(ec)) {
    co_return false;  // the client went away
  }
  x.req.method = std::string(parser.get().method_string());
  x.req.target = std::string(parser.get().target());
  x.keep_alive = false;
  linger_ = true;
  if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
    co_return co_await respond_error(
        x, 431, "request header fields exceed " + std::to_string(opt_.max_header_bytes) + " bytes");
  }
  co_return co_await respond_error(x, 400, "malformed HTTP request: " + ec.message());
}

awaitable<bool> Session::send_continue() {
  bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, 11};
  stream().expires_after(Millis(opt_.write_timeout_ms));
  auto [ec, n] = co_await bhttp::async_write(stream(), cont, kTok);
  co_return !ec;
}

// Returns 0 once the body is read, -1 to drop the connection silently (client gone or idle past
// the deadline), or an HTTP status to answer with (`why` says what is wrong).
awaitable<int> Session::read_body(Parser& parser, Exchange& x, BodyPolicy policy,
                                  std::unique_ptr<SpoolFile>& spool, std::string& why) {
  const uint64_t max = policy.mode == BodyMode::kReject ? 0 : policy.max_bytes;
  if (policy.mode == BodyMode::kSpool) {
    auto created = SpoolFile::create(rt_.spool_dir);
    if (!created) {
      spdlog::error("http: {}", created.error().message);
      why = "cannot store the request body";
      co_return 500;
    }
    spool = std::move(*created);
  } else if (auto cl = parser.content_length()) {
    x.req.body.reserve(size_t(*cl));
  }
  parser.body_limit(max);
  const std::string too_large =
      "request body exceeds the limit of " + std::to_string(max) + " bytes";
  std::unique_ptr<char[]> buf(new char[kChunk]);
  while (!parser.is_done()) {
    auto& body = parser.get().body();
    body.data = buf.get();
    body.size = kChunk;
    stream().expires_after(Millis(opt_.body_idle_timeout_ms));
    auto [ec, n] = co_await bhttp::async_read(stream(), buffer_, parser, kTok);
    if (ec == bhttp::error::need_buffer) ec = {};
    size_t got = kChunk - parser.get().body().size;
    x.bytes_in += got;
    if (x.bytes_in > max || ec == bhttp::error::body_limit) {
      linger_ = true;
      why = too_large;
      co_return 413;
    }
    if (ec) {
      if (ec == beast::error::timeout) rt_.timeouts++;
      if (!is_http_error(ec) || ec == bhttp::error::partial_message) co_return -1;
      linger_ = true;
      why = "malformed request body: " + ec.message();
      co_return 400;
    }
    if (got == 0) continue;
    if (spool) {
      // Small bounded write on the I/O thread (at most kChunk bytes into the page cache).
      if (auto st = spool->write(std::string_view(buf.get(), got)); !st) {
        spdlog::error("http: {}", st.error().message);
        linger_ = true;
        why = "cannot store the request body";
        co_return 500;
      }
    } else {
      x.req.body.append(buf.get(), got);
    }
  }
  if (spool) x.req.spooled = spool->finish();
  co_return 0;
}

template <class F>
awaitable<std::exception_ptr> Session::on_pool(F f) {
  co_return co_await net::co_spawn(
      rt_.pool,
      [&f]() -> awaitable<std::exception_ptr> {
        std::exception_ptr error;
        try {
          f();
        } catch (...) {
          error = std::current_exception();
        }
        co_return error;
      },
      net::use_awaitable);
}

std::optional<Response> Session::try_fast(Request& req) {
  std::optional<Response> res;
  try {
    res = rt_.handler.try_fast(req);
  } catch (const std::exception& e) {
    spdlog::error("http: try_fast threw for {} {} (request {}): {}", req.method, req.target,
                  req.request_id, e.what());
    return std::nullopt;
  } catch (...) {
    spdlog::error("http: try_fast threw for {} {} (request {})", req.method, req.target,
                  req.request_id);
    return std::nullopt;
  }
  if (res) rt_.fast_responses++;
  return res;
}

awaitable<Response> Session::dispatch(Request& req) {
  std::optional<Response> res;
  std::exception_ptr error = co_await on_pool([&] { res.emplace(rt_.handler.handle(req)); });
  if (error) {
    rt_.handler_errors++;
    spdlog::error("http: handler threw for {} {} (request {}): {}", req.method, req.target,
                  req.request_id, describe(error));
    co_return render_error(req, 500, "internal error");
  }
  co_return std::move(*res);
}

Response Session::render_error(const Request& req, int status, const std::string& message) {
  return render_transport_error(rt_.handler, req, status, message);
}

awaitable<bool> Session::respond_error(Exchange& x, int status, std::string message) {
  if (status != 500) x.keep_alive = false;
  if (status == 413 || status == 431 || status == 400) linger_ = true;
  co_await write_response(x, render_error(x.req, status, message));
  log(x);
  co_return false;
}

// Appends "Name: value\r\n".
void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
}

awaitable<bool> Session::write_response(Exchange& x, Response res) {
  ResponsePlan out = plan_response(rt_.handler, x.req, std::move(res));
  const Response& r = out.res;
  x.status = r.status;
  // The head is serialized by hand into the session's reused buffer: Beast's header container
  // costs an allocation per field, and this is the hot path of every response.
  const unsigned version = x.version >= 11 ? 11 : 10;
  std::string& head = head_buf_;
  head.clear();
  head.append(version == 11 ? "HTTP/1.1 " : "HTTP/1.0 ");
  head.append(std::to_string(r.status));
  head.push_back(' ');
  head.append(bhttp::obsolete_reason(bhttp::int_to_status(unsigned(r.status))));
  head.append("\r\n");
  for (const auto& [name, value] : r.headers.items()) {
    if (name.empty() || !header_text_ok(name) || !header_text_ok(value)) {
      spdlog::warn("http: dropping invalid response header '{}'", name);
      continue;
    }
    if (iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding")) continue;
    if (iequals(name, "Connection")) {
      if (iequals(trim(value), "close")) x.keep_alive = false;
      continue;
    }
    append_field(head, name, value);
  }
  if (!r.headers.get("Date")) append_field(head, "Date", date_now());
  if (!r.headers.get("Server")) append_field(head, "Server", "arca");
  if (!r.headers.get("x-amzn-RequestId")) append_field(head, "x-amzn-RequestId", x.req.request_id);

  const bool no_body_status = r.status < 200 || r.status == 204 || r.status == 304;
  bool chunked = false;
  if (no_body_status) {
    // No framing headers.
  } else if (out.length) {
    append_field(head, "Content-Length", std::to_string(*out.length));
  } else if (version == 11) {
    append_field(head, "Transfer-Encoding", "chunked");
    chunked = true;
  } else {
    x.keep_alive = false;  // HTTP/1.0 without a length: the close delimits the body
  }
  // HTTP/1.1 is persistent unless it says close; HTTP/1.0 only when it says keep-alive.
  if (version == 11 && !x.keep_alive) append_field(head, "Connection", "close");
  if (version == 10 && x.keep_alive) append_field(head, "Connection", "keep-alive");
  head.append("\r\n");

  // A small in-memory body leaves with its header in one write (one syscall per response).
  const std::string* text = body_text(out.res);
  if (out.send_body && text && !chunked && text->size() <= kWriteSlice) {
    std::array<net::const_buffer, 2> buffers{net::buffer(head),
                                             net::buffer(text->data(), text->size())};
    stream().expires_after(Millis(opt_.write_timeout_ms));
    auto [ec, n] = co_await net::async_write(stream(), buffers, kTok);
    if (!write_ok(ec, x)) co_return false;
    x.bytes_out += text->size();
    co_return true;
  }

  stream().expires_after(Millis(opt_.write_timeout_ms));
  auto [ec, n] = co_await net::async_write(stream(), net::buffer(head), kTok);
  if (!write_ok(ec, x)) co_return false;
  if (!out.send_body) co_return true;
  bool ok = co_await write_body(x, out, chunked);
  if (!ok) x.keep_alive = false;
  co_return ok;
}

// Counts a timed-out write; a failed write ends the connection.
bool Session::write_ok(const beast::error_code& ec, Exchange& x) {
  if (!ec) return true;
  if (ec == beast::error::timeout) rt_.timeouts++;
  x.keep_alive = false;
  return false;
}

awaitable<bool> Session::write_body(Exchange& x, ResponsePlan& out, bool chunked) {
  if (const std::string* s = body_text(out.res)) co_return co_await send_string(*s, x);
  if (auto* f = std::get_if<FileBody>(&out.res.body)) {
    co_return co_await send_file(out.file_fd(), f->offset, f->length, x);
  }
  auto& src = std::get<ChunkSource>(out.res.body);
  if (!src) {  // an empty source is an empty body
    if (out.length && *out.length != 0) co_return false;
    if (chunked) co_return co_await write_all(bhttp::make_chunk_last());
    co_return true;
  }
  co_return co_await send_chunks(src, out.length, chunked, x);
}

template <class Buffers>
awaitable<bool> Session::write_all(const Buffers& buffers) {
  stream().expires_after(Millis(opt_.write_timeout_ms));
  auto [ec, n] = co_await net::async_write(stream(), buffers, kTok);
  if (ec == beast::error::timeout) rt_.timeouts++;
  co_return !ec;
}

awaitable<bool> Session::send_string(const std::string& s, Exchange& x) {
  for (size_t pos = 0; pos < s.size(); pos += kWriteSlice) {
    size_t len = std::min(kWriteSlice, s.size() - pos);
    if (!co_await write_all(net::buffer(s.data() + pos, len))) co_return false;
    x.bytes_out += len;
  }
  co_return true;
}

// sendfile(2) straight from the page cache to the socket. The socket is non-blocking: a partial
// send waits for writability (with the write deadline) and continues. Reading the file happens in
// the kernel on this I/O thread; a cold cache can stall it briefly, as in nginx without aio.
awaitable<bool> Session::send_file(int fd, uint64_t offset, uint64_t length, Exchange& x) {
  using namespace net::experimental::awaitable_operators;
  auto& sock = stream().socket();
  beast::error_code ec;
  if (!sock.native_non_blocking()) sock.native_non_blocking(true, ec);  // an ioctl otherwise
  if (ec) co_return co_await copy_file(fd, offset, length, x);
  stream().expires_never();
  net::steady_timer timer(stream().get_executor());
  off_t off = off_t(offset);
  uint64_t left = length, since_yield = 0;
  while (left > 0) {
    ssize_t n =
        ::sendfile(sock.native_handle(), fd, &off, size_t(std::min<uint64_t>(left, 1 << 20)));
    if (n > 0) {
      left -= uint64_t(n);
      x.bytes_out += uint64_t(n);
      since_yield += uint64_t(n);
      if (since_yield >= kYieldEvery) {  // let other sessions on this thread run
        since_yield = 0;
        co_await net::post(stream().get_executor(), net::use_awaitable);
      }
      continue;
    }
    if (n == 0) {
      spdlog::error("http: response file ended {} bytes early", left);
      co_return false;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN) {
      timer.expires_after(Millis(opt_.write_timeout_ms));
      auto r = co_await (sock.async_wait(tcp::socket::wait_write, kTok) || timer.async_wait(kTok));
      if (r.index() == 1) {
        rt_.timeouts++;
        co_return false;
      }
      if (std::get<0>(std::get<0>(r))) co_return false;
      continue;
    }
    if ((errno == EINVAL || errno == ENOSYS) && left == length) {
      co_return co_await copy_file(fd, offset, length, x);  // file system without sendfile
    }
    co_return false;
  }
  co_return true;
}

awaitable<bool> Session::copy_file(int fd, uint64_t offset, uint64_t length, Exchange& x) {
  std::unique_ptr<char[]> buf(new char[kChunk]);
  while (length > 0) {
    ssize_t n = ::pread(fd, buf.get(), size_t(std::min<uint64_t>(length, kChunk)), off_t(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) co_return false;
    if (!co_await write_all(net::buffer(buf.get(), size_t(n)))) co_return false;
    offset += uint64_t(n);
    length -= uint64_t(n);
    x.bytes_out += uint64_t(n);
  }
  co_return true;
}

// Pulls chunks from the source on the blocking pool and writes each one; a source that throws
// or disagrees with the declared length ends the connection (the head is already sent).
awaitable<bool> Session::send_chunks(ChunkSource& src, std::optional<uint64_t> length, bool chunked,
                                     Exchange& x) {
  std::string chunk;
  bool more = true;
  uint64_t sent = 0;
  while (more) {
    chunk.clear();
    std::exception_ptr error = co_await on_pool([&] { more = src(chunk); });
    if (error) {
      rt_.handler_errors++;
      spdlog::error("http: chunk source threw for {} (request {}): {}", x.req.target,
                    x.req.request_id, describe(error));
      co_return false;
    }
    if (chunk.empty()) continue;
    if (length && sent + chunk.size() > *length) {
      spdlog::error("http: chunk source exceeded its content length {}", *length);
      co_return false;
    }
    bool ok = false;
    if (chunked) {
      ok = co_await write_all(bhttp::make_chunk(net::buffer(chunk)));
    } else {
      ok = co_await write_all(net::buffer(chunk));
    }
    if (!ok) co_return false;
    sent += chunk.size();
    x.bytes_out += chunk.size();
  }
  if (length && sent != *length) {
    spdlog::error("http: chunk source produced {} of {} bytes", sent, *length);
    co_return false;
  }
  if (chunked) co_return co_await write_all(bhttp::make_chunk_last());
  co_return true;
}

// Half-closes, then (after an error answered before the body was read) discards what the client
// still sends for a moment, so that the close does not reset the connection before the client
// has read the response.
awaitable<void> Session::close() {
  auto& sock = stream().socket();
  if (!sock.is_open()) co_return;
  beast::error_code ec;
  sock.shutdown(tcp::socket::shutdown_send, ec);
  if (linger_ && !ec) {
    stream().expires_after(Millis(std::min<uint32_t>(1000, opt_.body_idle_timeout_ms)));
    std::unique_ptr<char[]> buf(new char[kChunk]);
    for (uint64_t drained = 0; drained < kLingerMax;) {
      auto [e, n] = co_await stream().async_read_some(net::buffer(buf.get(), kChunk), kTok);
      if (e) break;
      drained += n;
    }
  }
  stream().close();
}

void Session::log(const Exchange& x) {
  if (!opt_.access_log) return;
  AccessRecord rec;
  rec.remote = remote_;
  rec.method = x.req.method;
  rec.target = x.req.target;
  rec.request_id = x.req.request_id;
  rec.status = x.status;
  rec.bytes_in = x.bytes_in;
  rec.bytes_out = x.bytes_out;
  rec.ms = std::chrono::duration<double, std::milli>(Clock::now() - x.start).count();
  write_access_log(rec);
}

awaitable<void> session_main(std::unique_ptr<Session> session) { co_await session->run(); }

}  // namespace

void spawn_session(Runtime& rt, int fd, bool v6, std::string remote) {
  // The connection's io_context is run by one thread: that is the session's serialization.
  auto executor = rt.next_context().get_executor();
  tcp::socket sock(executor);
  beast::error_code ec;
  sock.assign(v6 ? tcp::v6() : tcp::v4(), fd, ec);
  if (ec) {
    ::close(fd);
    return;
  }
  sock.set_option(tcp::no_delay(true), ec);
  auto conn = std::make_shared<Connection>(std::move(sock));
  uint64_t id = rt.add_connection([conn](bool force) {
    net::post(conn->stream.get_executor(), [conn, force] {
      if (force || conn->idle) conn->close();
    });
  });
  auto session = std::make_unique<Session>(rt, conn, std::move(remote));
  net::co_spawn(executor, session_main(std::move(session)), [&rt, id](std::exception_ptr e) {
    if (e) spdlog::error("http: session ended with {}", describe(e));
    rt.remove_connection(id);
  });
}

}  // namespace arca::http::detail
