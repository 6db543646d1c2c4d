// One coroutine per connection: read a head, read the body per the handler's policy, run the
// handler on the blocking pool, write the response (session_write.cc), repeat while keep-alive
// holds.
#include "http/session.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>

#include "http/access_log.h"
#include "http/wire.h"
#include "util/crypto.h"

namespace arca::http::detail {
namespace {

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
}  // namespace

std::string describe(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "unknown exception";
  }
}

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

namespace {
awaitable<void> session_main(std::unique_ptr<Session> session) { co_await session->run(); }
}  // namespace

void spawn_session(Runtime& rt, tcp::socket sock, std::string remote) {
  // The connection's io_context is run by one thread: that is the session's serialization.
  auto executor = sock.get_executor();
  beast::error_code ec;
  sock.set_option(tcp::no_delay(true), ec);
  auto conn = std::make_shared<Connection>(std::move(sock));
  uint64_t id = rt.add_connection([conn](bool force) {
    net::post(conn->stream.get_executor(), [conn, force] {
      if (force || conn->idle) conn->close();
    });
  });
  if (id == 0) return;  // shutting down, or at the connection limit: `conn` closes here
  auto session = std::make_unique<Session>(rt, conn, std::move(remote));
  net::co_spawn(executor, session_main(std::move(session)), [&rt, id](std::exception_ptr e) {
    if (e) spdlog::error("http: session ended with {}", describe(e));
    rt.remove_connection(id);
  });
}

}  // namespace arca::http::detail
