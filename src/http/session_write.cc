// Writing a response: the head serialized by hand, then the body from memory, a file
// (sendfile), a chunk source on the blocking pool, or a file still being written.
#include <spdlog/spdlog.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include <array>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <cstdio>
#include <ctime>

#include "http/session.h"
#include "http/wire.h"

namespace arca::http::detail {
namespace {

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

// Appends "Name: value\r\n".
void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
}

}  // namespace

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

awaitable<bool> Session::write_response(Exchange& x, Response res) {
  if (std::holds_alternative<Deferred>(res.body)) res = co_await settle(std::move(res));
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
  if (auto* g = std::get_if<GrowingBody>(&out.res.body)) {
    co_return co_await send_growing(**g, out.length, chunked, x);
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

// Waits on the connection's I/O thread for the producer of a Deferred response; nothing else
// of this session runs meanwhile. The producer may complete it from any thread.
awaitable<Response> Session::settle(Response res) {
  while (auto* deferred = std::get_if<Deferred>(&res.body)) {
    auto start = std::move(deferred->start);
    if (!start) co_return render_error(Request{}, 500, "internal error");
    auto executor = stream().get_executor();
    res = co_await net::async_initiate<decltype(net::use_awaitable), void(Response)>(
        [&start, executor](auto handler) {
          // The completion handler is move-only; `done` must be copyable.
          auto shared = std::make_shared<decltype(handler)>(std::move(handler));
          start([shared, executor](Response r) {
            net::post(executor, [shared, r = std::move(r)]() mutable { (*shared)(std::move(r)); });
          });
        },
        net::use_awaitable);
  }
  co_return res;
}

awaitable<void> Session::wait_more(GrowingFile& src, uint64_t seen) {
  auto executor = stream().get_executor();
  co_await net::async_initiate<decltype(net::use_awaitable), void()>(
      [&src, seen, executor](auto handler) {
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        src.when_more(seen, [shared, executor] { net::post(executor, [shared] { (*shared)(); }); });
      },
      net::use_awaitable);
}

// Sends a file as another thread appends to it: each readable range with sendfile(2), then
// waits for more. A failure, or a body that disagrees with the declared length, ends the
// connection (the head is already sent).
awaitable<bool> Session::send_growing(GrowingFile& src, std::optional<uint64_t> length,
                                      bool chunked, Exchange& x) {
  uint64_t sent = 0;
  for (;;) {
    GrowingFile::View v = src.view();
    if (v.failed) {
      spdlog::error("http: streamed body of {} (request {}) failed: {}", x.req.target,
                    x.req.request_id, *v.failed);
      co_return false;
    }
    if (v.readable > sent) {
      uint64_t n = v.readable - sent;
      if (length && v.readable > *length) {
        spdlog::error("http: streamed body exceeded its content length {}", *length);
        co_return false;
      }
      if (chunked) {
        char size_line[32];
        int len = std::snprintf(size_line, sizeof size_line, "%llx\r\n", (unsigned long long)n);
        if (!co_await write_all(net::buffer(size_line, size_t(len)))) co_return false;
      }
      if (!co_await send_file(v.fd, sent, n, x)) co_return false;
      if (chunked && !co_await write_all(net::buffer("\r\n", 2))) co_return false;
      sent = v.readable;
      continue;
    }
    if (v.complete) break;
    co_await wait_more(src, sent);
  }
  if (length && sent != *length) {
    spdlog::error("http: streamed body had {} of {} bytes", sent, *length);
    co_return false;
  }
  if (chunked) co_return co_await write_all(net::buffer("0\r\n\r\n", 5));
  co_return true;
}

}  // namespace arca::http::detail
