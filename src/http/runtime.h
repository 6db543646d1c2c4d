#pragma once
// Internal to src/http: the state a connection session shares with the server (options, handler,
// executors, the registry used for graceful stop, counters). Asio types are only forward-declared
// here so that Beast/Asio stay in .cc files.
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "http/message.h"
#include "http/server.h"

namespace boost::asio {
class io_context;
class thread_pool;
}  // namespace boost::asio

namespace arca::http::detail {

class Runtime {
 public:
  // `notify(force)` is registered per connection: with force=false it closes the connection only
  // if it is idle (between requests); with force=true it closes it regardless.
  using Notify = std::function<void(bool force)>;

  // `contexts` holds one io_context per I/O thread, each run by that thread alone (as nginx
  // workers): a connection lives on one of them, so its handlers need no strand and its
  // completions never wake another I/O thread.
  Runtime(const ServerOptions& options, Handler& handler,
          std::vector<boost::asio::io_context*> contexts, boost::asio::thread_pool& pool)
      : options(options), handler(handler), contexts(std::move(contexts)), pool(pool) {}

  const ServerOptions& options;
  Handler& handler;
  const std::vector<boost::asio::io_context*> contexts;
  boost::asio::thread_pool& pool;
  std::atomic<bool> stopping{false};
  std::string spool_dir;  // resolved options.spool_dir

  std::atomic<uint64_t> connections_accepted{0};
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> fast_responses{0};
  std::atomic<uint64_t> timeouts{0};
  std::atomic<uint64_t> handler_errors{0};

  // The io_context of the next connection (round robin).
  boost::asio::io_context& next_context() {
    return *contexts[next_context_.fetch_add(1, std::memory_order_relaxed) % contexts.size()];
  }

  // Registry of live connections. Thread-safe. add_connection returns 0 (not registered: the
  // caller closes the connection) once the registry is closed or at options.max_connections.
  uint64_t add_connection(Notify notify);
  // Refuses further connections (shutdown); returns how many are registered.
  size_t close_registry();
  void remove_connection(uint64_t id);  // calls on_drained once stopping and empty
  size_t connection_count() const;
  void notify_all(bool force);
  void clear_connections();          // only when the server is being destroyed
  std::function<void()> on_drained;  // set before start; called with no lock held

 private:
  std::atomic<size_t> next_context_{0};
  mutable std::mutex mu_;
  uint64_t next_id_ = 1;
  bool closed_ = false;
  std::unordered_map<uint64_t, Notify> connections_;
};

// Serves one accepted TCP connection until it closes, on the thread that runs the socket's
// io_context (one of rt.contexts). Registers itself with rt for the lifetime of the session.
void spawn_session(Runtime& rt, boost::asio::ip::tcp::socket sock, std::string remote);

}  // namespace arca::http::detail
