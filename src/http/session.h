#pragma once
// Internal to src/http: one connection's session (session.cc reads requests and runs the handler,
// session_write.cc writes responses). Included only by those two files, so Beast stays out of
// every other translation unit.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "http/message.h"
#include "http/response_plan.h"
#include "http/runtime.h"
#include "http/spool.h"

namespace arca::http::detail {

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

inline bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

inline std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The message of an exception caught as a pointer.
std::string describe(const std::exception_ptr& e);

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
  awaitable<bool> send_growing(GrowingFile& src, std::optional<uint64_t> length, bool chunked,
                               Exchange& x);
  awaitable<void> wait_more(GrowingFile& src, uint64_t seen);
  // The final response: a Deferred one once its producer completed it.
  awaitable<Response> settle(Response res);
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

template <class F>
awaitable<std::exception_ptr> Session::on_pool(F f) {
  co_return co_await boost::asio::co_spawn(
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

}  // namespace arca::http::detail
