#include "http/server.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <csignal>
#include <filesystem>
#include <optional>
#include <thread>
#include <vector>

#include "http/runtime.h"

namespace arca::http {
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace detail {

uint64_t Runtime::add_connection(Notify notify) {
  {
    std::lock_guard lock(mu_);
    if (closed_) return 0;
    if (connections_.size() < options.max_connections) {
      uint64_t id = next_id_++;
      connections_.emplace(id, std::move(notify));
      return id;
    }
  }
  spdlog::warn("http: connection limit {} reached; closing new connection",
               options.max_connections);
  return 0;
}

size_t Runtime::close_registry() {
  std::lock_guard lock(mu_);
  closed_ = true;
  return connections_.size();
}

void Runtime::remove_connection(uint64_t id) {
  bool drained = false;
  {
    std::lock_guard lock(mu_);
    connections_.erase(id);
    drained = connections_.empty() && stopping.load();
  }
  if (drained && on_drained) on_drained();
}

size_t Runtime::connection_count() const {
  std::lock_guard lock(mu_);
  return connections_.size();
}

void Runtime::notify_all(bool force) {
  std::vector<Notify> copy;
  {
    std::lock_guard lock(mu_);
    copy.reserve(connections_.size());
    for (const auto& [id, n] : connections_) copy.push_back(n);
  }
  for (auto& n : copy) n(force);
}

void Runtime::clear_connections() {
  std::lock_guard lock(mu_);
  connections_.clear();
}

}  // namespace detail

struct Server::Impl {
  Impl(ServerOptions o, Handler& h)
      : options(std::move(o)),
        pool(std::make_unique<net::thread_pool>(options.blocking_threads ? options.blocking_threads
                                                                         : 1)),
        iocs(make_contexts(io_threads())),
        rt(options, h, raw(iocs), *pool),
        ctl(net::make_strand(*iocs.front())) {
    grace_timer.emplace(*ctl);
    rt.spool_dir = options.spool_dir.empty() ? std::filesystem::temp_directory_path().string()
                                             : options.spool_dir;
    rt.on_drained = [this] { stop_contexts(); };
  }

  // One io_context per I/O thread, each told it is run by a single thread.
  static std::vector<std::unique_ptr<net::io_context>> make_contexts(unsigned n) {
    std::vector<std::unique_ptr<net::io_context>> v;
    for (unsigned i = 0; i < n; ++i) v.push_back(std::make_unique<net::io_context>(1));
    return v;
  }
  static std::vector<net::io_context*> raw(const std::vector<std::unique_ptr<net::io_context>>& v) {
    std::vector<net::io_context*> out;
    for (const auto& c : v) out.push_back(c.get());
    return out;
  }
  void stop_contexts() {
    for (auto& c : iocs) c->stop();
  }

  ~Impl() {
    stop();
    // Handlers still running on the pool finish first; their completions land in the stopped
    // io_context and are destroyed with it, together with the suspended sessions.
    pool->join();
    // Every Asio object goes before the io_context that owns its service.
    signals.reset();
    acceptors.clear();
    grace_timer.reset();
    rt.clear_connections();
    ctl.reset();
    while (!iocs.empty()) iocs.pop_back();
  }

  unsigned io_threads() const {
    unsigned n = options.io_threads ? options.io_threads : std::thread::hardware_concurrency();
    return n ? n : 1;
  }

  Result<uint16_t> start();
  Result<uint16_t> listen(const tcp::endpoint& ep);
  net::awaitable<void> accept_loop(tcp::acceptor& acceptor);
  void stop();
  void begin_shutdown();

  ServerOptions options;
  std::unique_ptr<net::thread_pool> pool;
  std::vector<std::unique_ptr<net::io_context>> iocs;  // one per I/O thread
  detail::Runtime rt;
  // The strand of the signals and the grace timer (on the first io_context).
  std::optional<net::strand<net::io_context::executor_type>> ctl;
  std::optional<net::steady_timer> grace_timer;
  // One listening socket per I/O thread, each used by its thread alone, in a SO_REUSEPORT group
  // when the system allows it (else one, on the first thread). See listen().
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  bool own_acceptors = false;  // each thread serves the connections it accepted
  std::optional<net::signal_set> signals;
};

Result<uint16_t> Server::Impl::start() {
  // sendfile(2) has no MSG_NOSIGNAL: a client that goes away mid-download must give EPIPE, not
  // kill the process.
  std::signal(SIGPIPE, SIG_IGN);
  boost::system::error_code ec;
  tcp::resolver resolver(*iocs.front());
  auto results = resolver.resolve(options.listen_host, std::to_string(options.listen_port),
                                  tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || results.empty()) {
    return unavailable("cannot resolve listen host " + options.listen_host + ": " + ec.message());
  }
  tcp::endpoint ep = results.begin()->endpoint();
  ARCA_ASSIGN_OR_RETURN(uint16_t port, listen(ep));
  for (auto& a : acceptors) {
    // Runs on the acceptor's thread. A loop that died closes its socket: the kernel would go on
    // queueing its share of new connections there, for no one to accept.
    net::co_spawn(a->get_executor(), accept_loop(*a), [a = a.get()](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        spdlog::error("http: accept loop ended: {}", ex.what());
      } catch (...) {
        spdlog::error("http: accept loop ended");
      }
      boost::system::error_code ignored;
      a->close(ignored);
    });
  }
  return port;
}

// A listening socket per I/O thread, bound to one port as a SO_REUSEPORT group: the kernel
// spreads new connections over the threads, and each serves what it accepted. A connection
// accepted by one thread and served by another costs a cross-thread wake-up and four epoll
// changes before its first byte is read (~0.1 ms here), on every new connection. Where the
// group cannot be formed, one socket on the first thread hands connections out round robin.
Result<uint16_t> Server::Impl::listen(const tcp::endpoint& ep) {
  using reuse_port = net::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;
  auto open = [](net::io_context& ioc, const tcp::endpoint& at, bool group,
                 boost::system::error_code& ec) {
    auto a = std::make_unique<tcp::acceptor>(ioc);
    a->open(at.protocol(), ec);
    if (!ec) a->set_option(net::socket_base::reuse_address(true), ec);
    if (!ec && group) a->set_option(reuse_port(true), ec);
    if (!ec) a->bind(at, ec);
    if (!ec) a->listen(net::socket_base::max_listen_connections, ec);
    return a;
  };
  boost::system::error_code ec;
  const bool group = iocs.size() > 1;
  if (group && ep.port() != 0) {
    // SO_REUSEPORT would join a group another server of this user already listens with on that
    // port, instead of failing: a plain bind says first whether the port is free. (A port the
    // kernel picks is never shared.)
    tcp::acceptor probe(*iocs.front());
    probe.open(ep.protocol(), ec);
    if (!ec) probe.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) probe.bind(ep, ec);
  }
  std::unique_ptr<tcp::acceptor> first;
  bool grouped = group;
  if (!ec) first = open(*iocs.front(), ep, grouped, ec);
  if (ec && first && grouped) {  // e.g. no SO_REUSEPORT here: one socket for all threads
    grouped = false;
    first = open(*iocs.front(), ep, false, ec);
  }
  if (ec) {
    return unavailable("cannot listen on " + options.listen_host + ":" +
                       std::to_string(options.listen_port) + ": " + ec.message());
  }
  const uint16_t port = first->local_endpoint(ec).port();
  acceptors.push_back(std::move(first));
  tcp::endpoint bound(ep.address(), port);
  for (size_t i = 1; grouped && i < iocs.size(); ++i) {
    auto more = open(*iocs[i], bound, true, ec);
    if (ec) {
      // One socket without SO_REUSEPORT then, so that no one else can join it later.
      spdlog::warn("http: one listening socket for {} I/O threads ({})", iocs.size(), ec.message());
      acceptors.clear();
      auto single = open(*iocs.front(), bound, false, ec);
      if (ec) {
        return unavailable("cannot listen on " + options.listen_host + ":" + std::to_string(port) +
                           ": " + ec.message());
      }
      acceptors.push_back(std::move(single));
      break;
    }
    acceptors.push_back(std::move(more));
  }
  own_acceptors = acceptors.size() == iocs.size();
  return port;
}

net::awaitable<void> Server::Impl::accept_loop(tcp::acceptor& acceptor) {
  constexpr auto kTok = net::as_tuple(net::use_awaitable);
  net::steady_timer backoff(acceptor.get_executor());
  tcp::endpoint peer;
  while (acceptor.is_open()) {
    // The peer's address comes with accept() itself (no getpeername()).
    auto [ec, sock] = co_await acceptor.async_accept(peer, kTok);
    if (ec) {
      if (ec == net::error::operation_aborted || rt.stopping) co_return;
      // Out of descriptors or a transient network error: back off instead of spinning.
      spdlog::warn("http: accept: {}", ec.message());
      backoff.expires_after(std::chrono::milliseconds(50));
      co_await backoff.async_wait(kTok);
      continue;
    }
    if (rt.stopping) co_return;
    rt.connections_accepted++;
    std::string remote = peer.address().to_string();
    if (own_acceptors) {  // served where it was accepted: no re-registration with another reactor
      detail::spawn_session(rt, std::move(sock), std::move(remote));
      continue;
    }
    boost::system::error_code hand_off;
    tcp::socket moved(rt.next_context());
    int fd = sock.release(hand_off);
    if (fd < 0) continue;
    moved.assign(peer.protocol(), fd, hand_off);
    if (hand_off) {
      ::close(fd);
      continue;
    }
    detail::spawn_session(rt, std::move(moved), std::move(remote));
  }
}

void Server::Impl::stop() {
  if (rt.stopping.exchange(true)) return;
  net::post(*ctl, [this] { begin_shutdown(); });
}

// Runs on ctl: stop accepting, close idle connections, let busy ones finish their current
// response, and force-close whatever is left after the grace period.
void Server::Impl::begin_shutdown() {
  boost::system::error_code ignored;
  for (auto& a : acceptors) {  // each on its own thread
    net::post(a->get_executor(), [a = a.get()] {
      boost::system::error_code ignored;
      a->close(ignored);
    });
  }
  if (signals) signals->cancel(ignored);
  // Closed first: a connection another thread accepts meanwhile is refused, not left behind.
  const size_t open = rt.close_registry();
  rt.notify_all(false);
  if (open == 0) {
    stop_contexts();
    return;
  }
  grace_timer->expires_after(std::chrono::milliseconds(options.shutdown_grace_ms));
  grace_timer->async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    if (rt.connection_count() > 0) {
      spdlog::warn("http: shutdown grace period over; closing {} connection(s)",
                   rt.connection_count());
    }
    rt.notify_all(true);
    stop_contexts();
  });
}

Server::Server(ServerOptions options, Handler& handler)
    : impl_(std::make_unique<Impl>(std::move(options), handler)) {}

Server::~Server() = default;

Result<uint16_t> Server::start() { return impl_->start(); }

void Server::run(bool handle_signals) {
  Impl& im = *impl_;
  if (handle_signals) {
    im.signals.emplace(*im.ctl, SIGINT, SIGTERM);
    im.signals->async_wait([&im](boost::system::error_code ec, int sig) {
      if (ec) return;
      spdlog::info("http: signal {} received; shutting down", sig);
      im.stop();
    });
  }
  std::vector<net::executor_work_guard<net::io_context::executor_type>> guards;
  for (auto& c : im.iocs) guards.push_back(net::make_work_guard(*c));
  auto run_loop = [](net::io_context& ioc) {
    for (;;) {
      try {
        ioc.run();
        return;
      } catch (const std::exception& e) {
        spdlog::error("http: I/O thread caught: {}", e.what());
      }
    }
  };
  std::vector<std::thread> threads;
  for (size_t i = 1; i < im.iocs.size(); ++i)
    threads.emplace_back([&run_loop, &c = *im.iocs[i]] { run_loop(c); });
  run_loop(*im.iocs.front());
  for (auto& t : threads) t.join();
  // The closes begin_shutdown posted do not run when the contexts stopped first (nothing to
  // drain): no thread uses the acceptors any more, so new connections are refused now.
  for (auto& a : im.acceptors) {
    boost::system::error_code ignored;
    a->close(ignored);
  }
}

void Server::stop() { impl_->stop(); }

ServerStats Server::stats() const {
  const detail::Runtime& rt = impl_->rt;
  ServerStats s;
  s.connections_accepted = rt.connections_accepted;
  s.connections_active = rt.connection_count();
  s.requests = rt.requests;
  s.fast_responses = rt.fast_responses;
  s.timeouts = rt.timeouts;
  s.handler_errors = rt.handler_errors;
  return s;
}

}  // namespace arca::http
