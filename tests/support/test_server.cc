#include "support/test_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <stdexcept>

namespace arca::upstream::testing {
namespace {

std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Parses "GET /x HTTP/1.1\r\nName: v\r\n..." (without the final blank line).
Request parse_request(std::string_view text) {
  Request r;
  size_t eol = text.find("\r\n");
  std::string_view line = text.substr(0, eol);
  size_t sp1 = line.find(' ');
  size_t sp2 = line.find(' ', sp1 + 1);
  r.method = std::string(line.substr(0, sp1));
  r.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
  std::string_view path = r.target;
  if (path.starts_with("http://")) {  // absolute form, sent to a proxy
    size_t slash = path.find('/', 7);
    path = slash == std::string_view::npos ? "/" : path.substr(slash);
  }
  r.path = std::string(path.substr(0, path.find('?')));
  while (eol != std::string_view::npos) {
    size_t start = eol + 2;
    eol = text.find("\r\n", start);
    std::string_view h = text.substr(start, eol == std::string_view::npos ? eol : eol - start);
    size_t colon = h.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view value = h.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    r.headers.emplace_back(lower(std::string(h.substr(0, colon))), std::string(value));
  }
  return r;
}

const char* reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 302:
      return "Found";
    case 404:
      return "Not Found";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    default:
      return "Status";
  }
}

std::string filler(size_t n) { return std::string(n, 'x'); }

}  // namespace

std::optional<std::string> Request::header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers)
    if (k == lower_name) return v;
  return std::nullopt;
}

bool Exchange::send(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(size_t(n));
  }
  return true;
}

bool Exchange::send_head(int status, const Headers& headers) {
  std::string head = "HTTP/1.1 " + std::to_string(status) + " " + reason(status) + "\r\n";
  for (const auto& [k, v] : headers) head += k + ": " + v + "\r\n";
  return send(head + "\r\n");
}

bool Exchange::sleep(std::chrono::milliseconds d) {
  std::unique_lock lock(server_.mutex_);
  return !server_.stop_cv_.wait_for(lock, d, [&] { return server_.stopping_; });
}

Handler respond(int status, std::string body, Headers extra) {
  return [=](const Request&, Exchange& ex, int) {
    Headers h = extra;
    h.emplace_back("Content-Length", std::to_string(body.size()));
    if (ex.send_head(status, h)) ex.send(body);
  };
}

Handler chunked(std::vector<std::string> chunks, Headers trailers) {
  return [=](const Request&, Exchange& ex, int) {
    if (!ex.send_head(200, {{"Transfer-Encoding", "chunked"}})) return;
    for (const auto& c : chunks) {
      char size[32];
      std::snprintf(size, sizeof size, "%zx\r\n", c.size());
      if (!ex.send(size + c + "\r\n")) return;
    }
    std::string end = "0\r\n";
    for (const auto& [k, v] : trailers) end += k + ": " + v + "\r\n";
    ex.send(end + "\r\n");
  };
}

Handler redirect(std::string location, int status) {
  return respond(status, "", {{"Location", location}});
}

Handler times(int n, Handler first, Handler then) {
  return [=](const Request& r, Exchange& ex, int nth) { (nth <= n ? first : then)(r, ex, nth); };
}

Handler delayed(std::chrono::milliseconds delay, Handler then) {
  return [=](const Request& r, Exchange& ex, int nth) {
    if (ex.sleep(delay)) then(r, ex, nth);
    ex.close();
  };
}

Handler stall_mid_body(size_t total, size_t sent, std::chrono::milliseconds stall) {
  return [=](const Request&, Exchange& ex, int) {
    if (ex.send_head(200, {{"Content-Length", std::to_string(total)}}) && ex.send(filler(sent)) &&
        ex.sleep(stall))
      ex.send(filler(total - sent));
    ex.close();
  };
}

Handler truncated(size_t total, size_t sent, bool reset) {
  return [=](const Request&, Exchange& ex, int) {
    if (ex.send_head(200, {{"Content-Length", std::to_string(total)}})) ex.send(filler(sent));
    // Lets the client read the partial body before a reset, which may discard unread data.
    ex.sleep(std::chrono::milliseconds(50));
    ex.close(reset);
  };
}

Handler huge_length(uint64_t length) {
  return [=](const Request&, Exchange& ex, int) {
    if (ex.send_head(200, {{"Content-Length", std::to_string(length)}}) && ex.send(filler(1024)))
      ex.sleep(std::chrono::seconds(10));
    ex.close();
  };
}

Handler hang_up() {
  return [](const Request&, Exchange& ex, int) { ex.close(); };
}

TestServer::TestServer() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      ::listen(listen_fd_, 64) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw std::runtime_error("test server: cannot listen on 127.0.0.1");
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

TestServer::~TestServer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
  }
  stop_cv_.notify_all();
  ::shutdown(listen_fd_, SHUT_RDWR);  // wakes accept()
  acceptor_.join();
  ::close(listen_fd_);
  for (auto& t : connection_threads_) t.join();  // no new ones once the acceptor is gone
}

void TestServer::route(std::string path, Handler handler) {
  std::lock_guard lock(mutex_);
  routes_[std::move(path)] = std::move(handler);
}

std::string TestServer::url(std::string_view path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
}

int TestServer::connections() const {
  std::lock_guard lock(mutex_);
  return connections_;
}

int TestServer::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

int TestServer::requests(const std::string& path) const {
  std::lock_guard lock(mutex_);
  auto it = received_.find(path);
  return it == received_.end() ? 0 : int(it->second.size());
}

std::optional<Request> TestServer::last_request(const std::string& path) const {
  std::lock_guard lock(mutex_);
  auto it = received_.find(path);
  if (it == received_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

void TestServer::accept_loop() {
  for (;;) {
    int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) return;
    int one = 1;  // the head and the body leave in separate writes: no Nagle delay between them
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::lock_guard lock(mutex_);
    if (stopping_) {
      ::close(fd);
      return;
    }
    ++connections_;
    open_fds_.insert(fd);
    connection_threads_.emplace_back([this, fd] { serve(fd); });
  }
}

std::pair<Handler, int> TestServer::next(const Request& request) {
  std::lock_guard lock(mutex_);
  ++requests_;
  auto& seen = received_[request.path];
  seen.push_back(request);
  auto it = routes_.find(request.path);
  Handler h = it != routes_.end() ? it->second : respond(404, "no route");
  return {h, int(seen.size())};
}

void TestServer::serve(int fd) {
  std::string buffer;
  bool reset = false;
  for (;;) {
    const size_t end = buffer.find("\r\n\r\n");
    if (end == std::string::npos) {
      char chunk[4096];
      ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) break;
      buffer.append(chunk, size_t(n));
      continue;
    }
    Request request = parse_request(std::string_view(buffer).substr(0, end));
    buffer.erase(0, end + 4);
    auto [handler, nth] = next(request);
    Exchange exchange(*this, fd);
    handler(request, exchange, nth);
    if (exchange.closing()) {
      reset = exchange.resetting();
      break;
    }
  }
  std::lock_guard lock(mutex_);
  if (reset) {
    linger l{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  }
  open_fds_.erase(fd);
  ::close(fd);
}

}  // namespace arca::upstream::testing
