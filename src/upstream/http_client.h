#pragma once
// HTTP client for external connections (pull-through caching of public registries), on libcurl.
//
// Contract:
//  - get() blocks the calling thread (call it on the blocking pool or an upstream worker, never on
//    an I/O thread) and streams the response body to the sink in bounded chunks: memory does not
//    grow with the body size.
//  - Connections are reused across calls (a pool of curl handles, each keeping its connections,
//    sharing the DNS cache and TLS sessions); redirects are followed up to `max_redirects`.
//  - Timeouts: `connect_timeout` to establish the TCP/TLS connection; `first_byte_timeout` from the
//    start of an attempt to the first response byte; `idle_timeout` without any byte mid-body.
//    They are checked at least every min(first_byte, idle)/8 (5..250 ms), so they fire promptly.
//  - Retries: transport failures (connect error, timeout, reset) and 429/5xx answers are retried up
//    to `max_retries` times with exponential backoff starting at `retry_backoff`, but only while
//    the sink has seen nothing: a retried 5xx is never shown to the sink (the last attempt's answer
//    is delivered like any other); once on_head was called a failure is final. Retry-After is not
//    read: the backoff (doubling from `retry_backoff`) applies. Only GET (idempotent) is offered.
//  - Bytes are delivered exactly as sent: no Accept-Encoding is added and no Content-Encoding is
//    decoded (callers hash what the upstream sent); chunked transfer coding is removed.
//  - Size cap: a body longer than `max_body_bytes` (0 = unlimited), announced by Content-Length or
//    discovered while streaming, fails with kTooLarge.
//  - Proxy: `proxy` ("" = none) is used for every request; environment proxy variables are
//    ignored so that configuration is the only source.
// Errors: kUnavailable for transport failures and timeouts (the message says which, with the
// URL without its credentials), also for redirect loops, redirects to an unsupported scheme and
// TLS certificate failures (those three are not retried); kTooLarge for the size cap;
// kInvalidArgument for a malformed URL, an unsupported scheme (only http and https) or a request
// header with a bad name or a CR/LF in its value (nothing is sent then); kInternal when a sink
// callback returned false (the caller's own reason). A complete HTTP response of any status (after
// retries) is a success: the caller reads `head.status`. Thread safety: one HttpClient is shared by
// all threads; get() may run concurrently.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/error.h"

namespace arca::upstream {

// The kind of a kUnavailable failure, set as its Error::reason (the label of
// arca_upstream_errors_total): a timeout, a connection that could not be made, a connection reset
// or cut mid-answer, or anything else.
inline constexpr char kKindTimeout[] = "timeout";
inline constexpr char kKindConnect[] = "connect";
inline constexpr char kKindReset[] = "reset";
inline constexpr char kKindOther[] = "other";

struct ClientOptions {
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds first_byte_timeout{15'000};
  std::chrono::milliseconds idle_timeout{30'000};
  int max_retries = 2;
  std::chrono::milliseconds retry_backoff{200};
  uint64_t max_body_bytes = 0;
  int max_redirects = 5;
  std::string proxy;
  std::string user_agent = "arca";
  // libcurl's receive buffer: the largest piece a sink's on_data gets. Larger pieces mean fewer
  // callbacks, spool writes and wake-ups per byte on big artifacts (libcurl's default is 16 KiB).
  long receive_buffer_bytes = 128 * 1024;
};

struct FetchRequest {
  std::string url;
  // Extra request headers, e.g. {"Accept", "application/json"}, {"If-None-Match", "\"x\""}.
  std::vector<std::pair<std::string, std::string>> headers;
};

struct ResponseHead {
  int status = 0;
  // Header names lowercased; values trimmed. Of the final response after redirects.
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<uint64_t> content_length;  // absent for a chunked or close-delimited body
  std::string effective_url;
  // The first value of a header (name compared case-insensitively), or nullopt.
  std::optional<std::string> header(std::string_view name) const;
};

// Receives one response. on_head is called once, for the final response, before any on_data (for
// an empty body, once the response is complete). Either callback returns false to abort the
// transfer (get() then fails with kInternal); so does an exception thrown by either, which get()
// catches. An empty std::function accepts everything.
// on_waiting is called at most once per get(), on the calling thread, once the first request
// was handed to the network and the answer is awaited: set-up that the body needs but the
// request does not (files, writers) overlaps the upstream's time to answer. cancelled is polled
// at least every poll tick (and with every chunk); true ends the transfer with kUnavailable and
// no retry (e.g. the server is stopping).
struct FetchSink {
  std::function<bool(const ResponseHead&)> on_head;
  std::function<bool(std::string_view chunk)> on_data;
  std::function<void()> on_waiting;
  std::function<bool()> cancelled;
};

struct FetchResult {
  ResponseHead head;
  uint64_t body_bytes = 0;  // delivered to the sink
  int attempts = 1;
  std::chrono::microseconds time_to_first_byte{0};  // of the successful attempt: its status line
  std::chrono::microseconds total_time{0};          // over all attempts
};

class HttpClient {
 public:
  explicit HttpClient(ClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  Result<FetchResult> get(const FetchRequest& request, FetchSink& sink);

  // Convenience for small documents: the whole body in memory, bounded by `max_bytes` and by
  // options().max_body_bytes, whichever is smaller (0 = no bound of its own); kTooLarge beyond.
  struct Buffered {
    FetchResult result;
    std::string body;
  };
  Result<Buffered> get_buffered(const FetchRequest& request, uint64_t max_bytes);

  const ClientOptions& options() const { return options_; }

 private:
  struct Impl;
  ClientOptions options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace arca::upstream
