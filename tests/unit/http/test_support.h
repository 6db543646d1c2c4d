#pragma once
// Test helpers for the HTTP server: a configurable Handler, a server running on a background
// thread on 127.0.0.1:0, and a blocking POSIX-socket client with a receive timeout that parses
// responses with Beast's parser.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include "http/message.h"
#include "http/server.h"

namespace arca::http::testing {

namespace bhttp = boost::beast::http;
using Resp = bhttp::response<bhttp::string_body>;

class TestHandler : public Handler {
 public:
  std::function<BodyPolicy(const Request&)> policy = [](const Request&) { return BodyPolicy{}; };
  std::function<Response(Request&)> fn = [](Request&) {
    Response r;
    r.body = std::string("ok");
    return r;
  };

  // Handler::try_fast; declines by default.
  std::function<std::optional<Response>(Request&)> fast = [](Request&) {
    return std::optional<Response>();
  };

  BodyPolicy body_policy(const Request& head) const override { return policy(head); }
  Response handle(Request& request) override { return fn(request); }
  std::optional<Response> try_fast(Request& request) override { return fast(request); }
  Response transport_error(const Request&, int status, std::string message) override {
    Response r;
    r.status = status;
    r.headers.set("Content-Type", "text/plain");
    r.body = "error: " + message;
    return r;
  }
};

class RunningServer {
 public:
  explicit RunningServer(TestHandler& handler, ServerOptions options = {}) {
    options.listen_host = "127.0.0.1";
    options.listen_port = 0;
    if (options.io_threads == 0) options.io_threads = 2;
    server_ = std::make_unique<Server>(options, handler);
    auto port = server_->start();
    if (!port) throw std::runtime_error(port.error().message);
    port_ = *port;
    thread_ = std::thread([this] { server_->run(false); });
  }
  ~RunningServer() { stop_and_join(); }
  void stop_and_join() {
    if (!thread_.joinable()) return;
    server_->stop();
    thread_.join();
  }
  uint16_t port() const { return port_; }
  Server& server() { return *server_; }
  bool running() const { return thread_.joinable(); }
  std::thread& thread() { return thread_; }

 private:
  std::unique_ptr<Server> server_;
  uint16_t port_ = 0;
  std::thread thread_;
};

class Client {
 public:
  explicit Client(uint16_t port, int timeout_ms = 5000) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      throw std::runtime_error("connect failed");
    }
  }
  ~Client() {
    if (fd_ >= 0) ::close(fd_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends everything; false if the peer closed the connection.
  bool send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(size_t(n));
    }
    return true;
  }

  // Reads one response (throws on timeout or a close before it is complete).
  Resp read(bool head_request = false) {
    bhttp::response_parser<bhttp::string_body> p;
    p.body_limit(boost::none);
    p.skip(head_request);
    p.eager(true);
    for (;;) {
      if (!pending_.empty()) {
        boost::beast::error_code ec;
        size_t n = p.put(boost::asio::buffer(pending_), ec);
        pending_.erase(0, n);
        if (ec && ec != bhttp::error::need_more) throw std::runtime_error(ec.message());
        if (p.is_done()) return p.release();
        if (n > 0 && !pending_.empty()) continue;
      }
      char buf[65536];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        if (n == 0 && p.is_header_done()) {
          boost::beast::error_code ec;
          p.put_eof(ec);
          if (!ec && p.is_done()) return p.release();
        }
        throw std::runtime_error(n == 0 ? "connection closed" : "receive failed or timed out");
      }
      pending_.append(buf, size_t(n));
    }
  }

  int fd() const { return fd_; }

  // True when the server closes the connection (EOF or reset) within the receive timeout.
  bool closed_by_peer() {
    char buf[4096];
    for (;;) {
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET;
    }
  }

 private:
  int fd_ = -1;
  std::string pending_;
};

// Options of a test server that writes no access log.
inline ServerOptions quiet_options() {
  ServerOptions o;
  o.access_log = false;
  return o;
}

// A text/plain response.
inline Response text(std::string body) {
  Response r;
  r.headers.set("Content-Type", "text/plain");
  r.body = std::move(body);
  return r;
}

inline std::string get_request(std::string_view target, std::string_view extra = "") {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: t\r\n" + std::string(extra) + "\r\n";
}

}  // namespace arca::http::testing
