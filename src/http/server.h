#pragma once
// The HTTP/1.1 server: Boost.Beast on C++20 coroutines, one I/O thread per core plus a bounded
// blocking pool on which Handler::handle runs. Beast stays inside server.cc.
//
// Behaviour: keep-alive; header and body size limits; a deadline on every read and write (a
// client that trickles bytes is cut off when the deadline passes); request bodies buffered or
// spooled to a temp file while hashed, per Handler::body_policy; chunked request bodies; response
// bodies from memory, from a file (sendfile), or from a chunk source; Range on file bodies
// (single range, 206/416); HEAD; one JSON access-log line per request; graceful stop.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "http/message.h"
#include "util/error.h"

namespace arca::http {

struct ServerOptions {
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 8080;  // 0 picks a free port
  unsigned io_threads = 0;      // 0 = one per core
  unsigned blocking_threads = 4;
  uint32_t max_header_bytes = 16 * 1024;
  uint32_t header_timeout_ms = 10'000;     // whole request head must arrive within this
  uint32_t body_idle_timeout_ms = 30'000;  // max gap between body bytes
  uint32_t write_timeout_ms = 60'000;      // max gap between response bytes written
  uint32_t keepalive_timeout_ms = 60'000;  // idle time between requests
  uint32_t shutdown_grace_ms = 10'000;     // in-flight requests get this long on stop()
  std::string spool_dir;                   // where kSpool bodies go (default: temp dir)
  bool access_log = true;
  uint32_t max_connections = 10'000;  // further connections are closed right after accept
};

// Counters since start(); read with Server::stats() from any thread.
struct ServerStats {
  uint64_t connections_accepted = 0;
  uint64_t connections_active = 0;
  uint64_t requests = 0;        // request heads parsed
  uint64_t fast_responses = 0;  // requests answered by Handler::try_fast on an I/O thread
  uint64_t timeouts = 0;        // connections cut off by a header, body or write deadline
  uint64_t handler_errors = 0;  // exceptions thrown by Handler::handle or a ChunkSource
};

class Server {
 public:
  Server(ServerOptions options, Handler& handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens; returns the bound port (useful with port 0). kUnavailable on bind failure.
  // Also ignores SIGPIPE process-wide (sendfile(2) to a closed socket must give EPIPE).
  Result<uint16_t> start();
  // Blocks until stop() (or SIGTERM/SIGINT when handle_signals is true) and the drain ends.
  void run(bool handle_signals);
  // Stops accepting, lets in-flight requests finish up to shutdown_grace_ms, then ends run().
  // Thread-safe; may be called from any thread or a signal-driven handler.
  void stop();
  ServerStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace arca::http
