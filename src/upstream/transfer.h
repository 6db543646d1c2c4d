#pragma once
// Internal to upstream/: one attempt of a GET on a leased curl handle, streamed to the sink by the
// libcurl callbacks. The retry policy around attempts lives in http_client.cc.
#include <curl/curl.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "upstream/curl_pool.h"
#include "upstream/http_client.h"

namespace arca::upstream::detail {

// The state of one attempt, shared with the libcurl callbacks. The head is rebuilt for every
// response (redirects, 1xx, proxy CONNECT); the sink sees the final response only, and nothing at
// all of an attempt whose status will be retried.
struct Attempt {
  using Clock = std::chrono::steady_clock;

  // Inputs.
  CURL* easy;
  const ClientOptions& options;
  FetchSink& sink;
  const std::string& display_url;  // the request URL without credentials, for messages
  uint64_t max_body_bytes;         // 0 = unlimited
  bool final_attempt;              // a retryable status is delivered instead of swallowed

  // Outcome.
  Clock::time_point start = Clock::now();
  Clock::time_point last_byte{};
  std::optional<Clock::time_point> first_byte;
  ResponseHead head;
  uint64_t body_bytes = 0;
  bool delivered = false;        // on_head was called: the sink has seen this attempt
  bool swallow = false;          // a 429/5xx on a non-final attempt: read, never shown, retried
  std::optional<Error> failure;  // why a callback stopped the transfer (takes precedence)
  bool failure_retryable = false;
  bool in_head = false;  // between a status line and the blank line that ends its head

  // Installs the callbacks and runs the transfer on the lease's multi handle, waking up at least
  // every `tick` so that the first-byte and idle timeouts are enforced promptly. Returns libcurl's
  // result; `failure` is set when a callback (or the multi interface) stopped the transfer.
  CURLcode run(const CurlPool::Lease& lease, std::chrono::milliseconds tick);

 private:
  bool fail(Error e, bool retryable);
  bool begin_body(bool has_body);
  Error too_large(uint64_t bytes) const;
  void saw_bytes();
  void header_line(std::string_view line);
  size_t write(std::string_view chunk);
  size_t threw(const char* what);
  static size_t on_header(char* data, size_t size, size_t n, void* self);
  static size_t on_write(char* data, size_t size, size_t n, void* self);
  static int on_progress(void* self, curl_off_t, curl_off_t, curl_off_t, curl_off_t);
};

// True for the statuses retried by HttpClient (429 and 5xx).
inline bool retryable_status(int status) { return status == 429 || status >= 500; }

// True for the transport failures worth another attempt (connect, reset, timeout, ...).
bool transient(CURLcode rc);
// The kind of a transport failure, set as Error::reason (see http_client.h).
const char* failure_kind(CURLcode rc);
Error with_kind(Error e, const char* kind);

}  // namespace arca::upstream::detail
