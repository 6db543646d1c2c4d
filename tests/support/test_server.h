#pragma once
// A scripted HTTP/1.1 server for HttpClient tests: plain POSIX sockets on 127.0.0.1, port 0, one
// thread per connection, keep-alive, one handler per path, and counters of accepted connections
// and requests (per path too). Destruction interrupts sleeping handlers and joins every thread.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace arca::upstream::testing {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;
  std::string target;  // as sent: origin form, or absolute form through a proxy
  std::string path;    // the target's path, without the query
  Headers headers;     // names lowercased
  std::optional<std::string> header(std::string_view lower_name) const;
};

class TestServer;

// The server side of one request/response exchange on a connection.
class Exchange {
 public:
  Exchange(TestServer& server, int fd) : server_(server), fd_(fd) {}
  // Raw bytes; false when the peer is gone.
  bool send(std::string_view bytes);
  // Status line, headers and the blank line.
  bool send_head(int status, const Headers& headers);
  // False (early) when the server is stopping.
  bool sleep(std::chrono::milliseconds d);
  // Close the connection after this exchange; `reset` sends a TCP RST instead of a FIN.
  void close(bool reset = false) {
    close_ = true;
    reset_ = reset;
  }
  bool closing() const { return close_; }
  bool resetting() const { return reset_; }

 private:
  TestServer& server_;
  int fd_;
  bool close_ = false;
  bool reset_ = false;
};

// `nth` counts the requests of this path, from 1.
using Handler = std::function<void(const Request&, Exchange&, int nth)>;

// Canned behaviours.
Handler respond(int status, std::string body, Headers extra = {});
Handler chunked(std::vector<std::string> chunks, Headers trailers = {});
Handler redirect(std::string location, int status = 302);
// The first `n` requests get `first`, the rest `then`.
Handler times(int n, Handler first, Handler then);
Handler delayed(std::chrono::milliseconds delay, Handler then);
// Content-Length `total`, `sent` bytes, a pause of `stall`, then the rest.
Handler stall_mid_body(size_t total, size_t sent, std::chrono::milliseconds stall);
// Content-Length `total`, `sent` bytes, then a close (or a reset).
Handler truncated(size_t total, size_t sent, bool reset);
// Content-Length `length` (huge), 1 KiB, then nothing until the connection goes away.
Handler huge_length(uint64_t length);
// Reads the request and closes without answering.
Handler hang_up();

class TestServer {
 public:
  TestServer();
  ~TestServer();
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  // Unrouted paths answer 404.
  void route(std::string path, Handler handler);
  std::string url(std::string_view path) const;
  uint16_t port() const { return port_; }

  int connections() const;
  int requests() const;
  int requests(const std::string& path) const;
  std::optional<Request> last_request(const std::string& path) const;

 private:
  friend class Exchange;
  void accept_loop();
  void serve(int fd);
  std::pair<Handler, int> next(const Request& request);

  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::thread acceptor_;

  mutable std::mutex mutex_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::map<std::string, Handler> routes_;
  std::map<std::string, std::vector<Request>> received_;
  std::set<int> open_fds_;
  std::vector<std::thread> connection_threads_;
  int connections_ = 0;
  int requests_ = 0;
};

}  // namespace arca::upstream::testing
