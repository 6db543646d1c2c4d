#include "upstream/upstream_health.h"

#include "util/clock.h"

namespace arca::upstream {

bool UpstreamHealth::may_ask(double now) {
  std::lock_guard lock(mu_);
  if (failures_ < kTripAfter) return true;
  if (now < next_attempt_) return false;
  next_attempt_ = now + backoff_;  // this caller probes; the others wait for it or the backoff
  return true;
}

void UpstreamHealth::answered() {
  std::lock_guard lock(mu_);
  failures_ = 0;
  next_attempt_ = 0;
}

void UpstreamHealth::failed(double now, double backoff) {
  std::lock_guard lock(mu_);
  if (failures_ < kTripAfter) ++failures_;
  backoff_ = backoff;
  if (failures_ >= kTripAfter) next_attempt_ = now + backoff;
}

bool UpstreamHealth::open() const {
  std::lock_guard lock(mu_);
  return failures_ >= kTripAfter;
}

double UpstreamHealth::retry_at() const {
  std::lock_guard lock(mu_);
  return failures_ >= kTripAfter ? next_attempt_ : 0;
}

std::string UpstreamHealth::refusal(const std::string& name) const {
  double wait = std::max(0.0, retry_at() - now_epoch());
  return "upstream " + name + " is not answering (" + std::to_string(kTripAfter) +
         " failures in a row); asking it again in " + std::to_string(int(wait + 0.5)) + " s";
}

}  // namespace arca::upstream
