#pragma once
// Metrics in the Prometheus text exposition format (version 0.0.4), served at /metrics.
//
// Contract:
//  - A Registry holds metric families (counter, gauge, histogram), each with a fixed list of label
//    names; a series is one tuple of label values. Series are created on first use and live as
//    long as the registry: references returned by counter()/gauge()/histogram() stay valid, so hot
//    paths look a series up once and keep the reference.
//  - Updating a series is lock-free (atomics); looking one up takes a mutex.
//  - Label values are escaped (\\, \", \n) when rendered; callers keep label sets bounded
//    (repository and connection names, never package names or URLs).
//  - render() writes every family in registration order, series sorted by label values, with
//    # HELP (left out when the help is empty) and # TYPE lines; histograms as _bucket{le=...}
//    (cumulative, +Inf last), _sum, _count (equal to the +Inf bucket).
//  - Registering the same name twice with the same type and labels (and, for histograms, bounds)
//    returns the same family, keeping the first help; with a different type, label names or
//    bounds, or a name that collides with a histogram's _bucket/_sum/_count, it throws
//    std::logic_error (a programming error). Invalid metric or label names (Prometheus syntax,
//    no "__" prefix, no "le" on histograms) and bad bounds throw std::invalid_argument, and a
//    call that throws registers nothing.
// Thread safety: everything may be called concurrently.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace arca::events {

class Counter {
 public:
  void inc(uint64_t by = 1) { value_.fetch_add(by, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void set(int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void add(int64_t by) { value_.fetch_add(by, std::memory_order_relaxed); }
  int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

// Observations in seconds (or any unit) into fixed upper bounds; a value v lands in the first
// bucket whose bound is >= v (NaN in +Inf). The sum has a resolution of 1e-6; each observation
// is clamped to about +/-9.2e12 before summing, and a NaN is counted but not summed.
class Histogram {
 public:
  // `bounds` must be strictly increasing (std::invalid_argument); a trailing +Inf is dropped, as
  // the +Inf bucket is always there.
  explicit Histogram(std::vector<double> bounds);
  void observe(double v);
  const std::vector<double>& bounds() const { return bounds_; }
  // Per-bucket (non-cumulative) counts; size bounds().size() + 1, the last one is +Inf.
  std::vector<uint64_t> bucket_counts() const;
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_micros_{0};  // sum * 1e6, so that it is a lock-free integer
};

// Latency buckets for upstream requests, in seconds.
std::vector<double> default_latency_buckets();

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // `labels` must have as many values as the family has label names (std::invalid_argument).
  Counter& counter(std::string_view name, std::string_view help,
                   const std::vector<std::string>& label_names,
                   const std::vector<std::string>& labels);
  Gauge& gauge(std::string_view name, std::string_view help,
               const std::vector<std::string>& label_names, const std::vector<std::string>& labels);
  Histogram& histogram(std::string_view name, std::string_view help,
                       const std::vector<std::string>& label_names,
                       const std::vector<std::string>& labels, const std::vector<double>& bounds);

  std::string render() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace arca::events
