#pragma once
// Whether an external connection answers, from its latest requests, so that an upstream that is
// down or hanging costs a build one timeout, not one per package (reference §5.4, outages).
//
// Contract:
//  - After kTripAfter failures in a row to get an answer (no connection, no answer within the
//    timeout, a body cut short) the connection is down for `backoff` seconds: may_ask() refuses,
//    and the caller answers from its cache (STALE) or fails fast instead of sending a request
//    that would wait for the same timeout. An HTTP error status is an answer: it comes at once,
//    and one broken package must not take a healthy upstream's other packages down with it.
//  - When the backoff is over, one caller may ask again (the probe); the others keep being
//    refused for another backoff or until the probe reports. A failed probe starts a new backoff;
//    any answer closes the circuit.
//  - A caller that asked reports exactly one of answered() / failed(); one that reports neither
//    (it could not tell) only delays the next probe by a backoff.
// Thread safety: everything may be called concurrently.
#include <algorithm>
#include <chrono>
#include <mutex>
#include <string>

namespace arca::upstream {

// The arca_upstream_errors_total kind of a request not sent because the connection is down.
inline constexpr char kKindCircuitOpen[] = "circuit_open";

class UpstreamHealth {
 public:
  static constexpr int kTripAfter = 3;
  static constexpr double kBackoffSeconds = 30;
  // The backoff for a connection whose metadata TTL is `ttl`: kBackoffSeconds, at most the TTL
  // (a document is never kept from revalidation longer than its TTL says).
  static double backoff(std::chrono::seconds ttl) {
    return std::min(kBackoffSeconds, double(ttl.count()));
  }

  // True when a request may be sent to the upstream now (see the contract); `now` in seconds.
  bool may_ask(double now);
  void answered();
  void failed(double now, double backoff);
  // True from the failure that trips the circuit until an answer closes it.
  bool open() const;
  // While refused: when asking resumes (seconds since the epoch); 0 when not down.
  double retry_at() const;
  // Why a request to the connection `name` is refused now, for an error message.
  std::string refusal(const std::string& name) const;

 private:
  mutable std::mutex mu_;
  int failures_ = 0;         // in a row
  double next_attempt_ = 0;  // when down: the next probe's time
  double backoff_ = kBackoffSeconds;
};

}  // namespace arca::upstream
