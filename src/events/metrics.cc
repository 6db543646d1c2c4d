#include "events/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <mutex>
#include <stdexcept>
#include <utility>

namespace arca::events {
namespace {

// Above this magnitude a sum in micro-units no longer fits an int64; observations are clamped.
constexpr double kMaxMicros = 9.2e18;
constexpr double kInf = std::numeric_limits<double>::infinity();

enum class Type { kCounter, kGauge, kHistogram };

std::string_view type_name(Type t) {
  switch (t) {
    case Type::kCounter:
      return "counter";
    case Type::kGauge:
      return "gauge";
    case Type::kHistogram:
      return "histogram";
  }
  return "untyped";
}

bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Metric names: [a-zA-Z_:][a-zA-Z0-9_:]*.
bool valid_metric_name(std::string_view s) {
  if (s.empty() || is_digit(s[0])) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return is_name_start(c) || is_digit(c) || c == ':'; });
}

// Label names: [a-zA-Z_][a-zA-Z0-9_]*, and "__" prefixes are reserved by Prometheus.
bool valid_label_name(std::string_view s) {
  if (s.empty() || is_digit(s[0]) || s.starts_with("__")) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return is_name_start(c) || is_digit(c); });
}

void append_escaped_help(std::string& out, std::string_view s) {
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

void append_escaped_label_value(std::string& out, std::string_view s) {
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

template <typename Int>
void append_int(std::string& out, Int v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// Shortest round-trip form, laid out like Go's strconv.FormatFloat(v, 'g', -1, 64) (what
// client_golang writes): plain decimal for exponents in [-4, 6), otherwise 1.5e+07. Keeping the
// same spelling keeps `le` label values identical to other exporters' ("0.005", "1", "2.5").
void append_double(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buf[64];
  auto sci = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string_view s(buf, sci.ptr);
  int exp = 0;
  std::string_view exp_digits = s.substr(s.find('e') + 1);
  std::from_chars(exp_digits.data() + (exp_digits[0] == '+' ? 1 : 0),
                  exp_digits.data() + exp_digits.size(), exp);
  if (exp < -4 || exp >= 6) {
    out += s;
    return;
  }
  auto fixed = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  out.append(buf, fixed.ptr);
}

// The sample names a family writes, which must not collide with another family's.
std::vector<std::string> sample_names(const std::string& name, Type type) {
  if (type != Type::kHistogram) return {name};
  return {name + "_bucket", name + "_sum", name + "_count"};
}

void check_label_count(std::string_view name, size_t want, size_t got) {
  if (want != got) {
    throw std::invalid_argument("metric " + std::string(name) + " takes " + std::to_string(want) +
                                " label values, got " + std::to_string(got));
  }
}

struct Series {
  // Exactly one is set, by the family's type.
  std::unique_ptr<Counter> counter;
  std::unique_ptr<Gauge> gauge;
  std::unique_ptr<Histogram> histogram;
};

struct Family {
  std::string name;
  std::string help;
  Type type;
  std::vector<std::string> label_names;
  std::vector<double> bounds;  // histograms only, normalised (no trailing +Inf)
  // Sorted by label values, which is the render order.
  std::map<std::vector<std::string>, Series> series;
};

std::vector<double> normalise_bounds(std::vector<double> bounds) {
  if (!bounds.empty() && bounds.back() == kInf) bounds.pop_back();
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (std::isnan(bounds[i]) || (i > 0 && !(bounds[i - 1] < bounds[i]))) {
      throw std::invalid_argument("histogram bounds must be strictly increasing numbers");
    }
  }
  return bounds;
}

void append_labels(std::string& out, const std::vector<std::string>& names,
                   const std::vector<std::string>& values, std::string_view le = {}) {
  if (names.empty() && le.empty()) return;
  out += '{';
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ',';
    out += names[i];
    out += "=\"";
    append_escaped_label_value(out, values[i]);
    out += '"';
  }
  if (!le.empty()) {
    if (!names.empty()) out += ',';
    out += "le=\"";
    out += le;
    out += '"';
  }
  out += '}';
}

void render_histogram(std::string& out, const Family& f, const std::vector<std::string>& values,
                      const Histogram& h) {
  std::vector<uint64_t> counts = h.bucket_counts();
  uint64_t cumulative = 0;
  std::string le;
  for (size_t i = 0; i < counts.size(); ++i) {
    cumulative += counts[i];
    le.clear();
    append_double(le, i < f.bounds.size() ? f.bounds[i] : kInf);
    out += f.name;
    out += "_bucket";
    append_labels(out, f.label_names, values, le);
    out += ' ';
    append_int(out, cumulative);
    out += '\n';
  }
  out += f.name;
  out += "_sum";
  append_labels(out, f.label_names, values);
  out += ' ';
  append_double(out, h.sum());
  out += '\n';
  // The +Inf bucket total rather than count(): an observe() racing with render() may have
  // bumped one and not yet the other, and Prometheus expects _count == the +Inf bucket.
  out += f.name;
  out += "_count";
  append_labels(out, f.label_names, values);
  out += ' ';
  append_int(out, cumulative);
  out += '\n';
}

void render_family(std::string& out, const Family& f) {
  // An empty help is left out: Prometheus' parser rejects `# HELP name ` with no text.
  if (!f.help.empty()) {
    out += "# HELP ";
    out += f.name;
    out += ' ';
    append_escaped_help(out, f.help);
    out += '\n';
  }
  out += "# TYPE ";
  out += f.name;
  out += ' ';
  out += type_name(f.type);
  out += '\n';
  for (const auto& [values, s] : f.series) {
    if (f.type == Type::kHistogram) {
      render_histogram(out, f, values, *s.histogram);
      continue;
    }
    out += f.name;
    append_labels(out, f.label_names, values);
    out += ' ';
    if (f.type == Type::kCounter) {
      append_int(out, s.counter->value());
    } else {
      append_int(out, s.gauge->value());
    }
    out += '\n';
  }
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(normalise_bounds(std::move(bounds))),
      buckets_(std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1)) {}

void Histogram::observe(double v) {
  // First bound >= v (Prometheus buckets are `le`); NaN compares false and lands in +Inf.
  size_t i =
      std::partition_point(bounds_.begin(), bounds_.end(), [v](double b) { return !(b >= v); }) -
      bounds_.begin();
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  if (std::isnan(v)) return;  // counted, but a NaN has no micro-unit sum
  auto micros = static_cast<int64_t>(std::llround(std::clamp(v * 1e6, -kMaxMicros, kMaxMicros)));
  // Two's-complement wrap-around makes adding a negative value as uint64 exact.
  sum_micros_.fetch_add(static_cast<uint64_t>(micros), std::memory_order_relaxed);
}

std::vector<uint64_t> Histogram::bucket_counts() const {
  std::vector<uint64_t> out(bounds_.size() + 1);
  for (size_t i = 0; i < out.size(); ++i) out[i] = buckets_[i].load(std::memory_order_relaxed);
  return out;
}

double Histogram::sum() const {
  return static_cast<double>(static_cast<int64_t>(sum_micros_.load(std::memory_order_relaxed))) /
         1e6;
}

std::vector<double> default_latency_buckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
}

struct Registry::Impl {
  mutable std::mutex mu;
  std::vector<std::unique_ptr<Family>> families;  // registration order
  std::map<std::string, Family*, std::less<>> by_name;
  std::map<std::string, std::string, std::less<>> sample_owner;  // sample name -> family name

  Family& family(std::string_view name, std::string_view help, Type type,
                 const std::vector<std::string>& label_names, size_t label_count,
                 const std::vector<double>* bounds);
  Series& series(Family& f, const std::vector<std::string>& labels);
  // family() then series(), under the lock.
  Series& lookup(std::string_view name, std::string_view help, Type type,
                 const std::vector<std::string>& label_names,
                 const std::vector<std::string>& labels, const std::vector<double>* bounds);
};

Family& Registry::Impl::family(std::string_view name, std::string_view help, Type type,
                               const std::vector<std::string>& label_names, size_t label_count,
                               const std::vector<double>* bounds) {
  if (auto it = by_name.find(name); it != by_name.end()) {
    Family& f = *it->second;
    if (f.type != type || f.label_names != label_names ||
        (bounds != nullptr && f.bounds != normalise_bounds(*bounds))) {
      throw std::logic_error("metric " + f.name + " is already registered as a " +
                             std::string(type_name(f.type)) + " with other label names or buckets");
    }
    return f;
  }
  if (!valid_metric_name(name)) {
    throw std::invalid_argument("invalid metric name: " + std::string(name));
  }
  for (size_t i = 0; i < label_names.size(); ++i) {
    const std::string& l = label_names[i];
    if (!valid_label_name(l) || (type == Type::kHistogram && l == "le") ||
        std::find(label_names.begin(), label_names.begin() + i, l) != label_names.begin() + i) {
      throw std::invalid_argument("invalid or duplicate label name " + l + " for metric " +
                                  std::string(name));
    }
  }
  // Checked here too so that a bad first call leaves nothing registered.
  check_label_count(name, label_names.size(), label_count);
  auto f = std::make_unique<Family>();
  f->name = name;
  f->help = help;
  f->type = type;
  f->label_names = label_names;
  if (bounds != nullptr) f->bounds = normalise_bounds(*bounds);
  std::vector<std::string> samples = sample_names(f->name, type);
  for (const std::string& s : samples) {
    if (auto it = sample_owner.find(s); it != sample_owner.end()) {
      throw std::logic_error("metric " + f->name + " would write " + s + ", already written by " +
                             it->second);
    }
  }
  for (std::string& s : samples) sample_owner.emplace(std::move(s), f->name);
  by_name.emplace(f->name, f.get());
  families.push_back(std::move(f));
  return *families.back();
}

Series& Registry::Impl::series(Family& f, const std::vector<std::string>& labels) {
  check_label_count(f.name, f.label_names.size(), labels.size());
  auto [it, inserted] = f.series.try_emplace(labels);
  if (inserted) {
    switch (f.type) {
      case Type::kCounter:
        it->second.counter = std::make_unique<Counter>();
        break;
      case Type::kGauge:
        it->second.gauge = std::make_unique<Gauge>();
        break;
      case Type::kHistogram:
        it->second.histogram = std::make_unique<Histogram>(f.bounds);
        break;
    }
  }
  return it->second;
}

Registry::Registry() : impl_(std::make_unique<Impl>()) {}
Registry::~Registry() = default;

Series& Registry::Impl::lookup(std::string_view name, std::string_view help, Type type,
                               const std::vector<std::string>& label_names,
                               const std::vector<std::string>& labels,
                               const std::vector<double>* bounds) {
  std::lock_guard lock(mu);
  return series(family(name, help, type, label_names, labels.size(), bounds), labels);
}

Counter& Registry::counter(std::string_view name, std::string_view help,
                           const std::vector<std::string>& label_names,
                           const std::vector<std::string>& labels) {
  return *impl_->lookup(name, help, Type::kCounter, label_names, labels, nullptr).counter;
}

Gauge& Registry::gauge(std::string_view name, std::string_view help,
                       const std::vector<std::string>& label_names,
                       const std::vector<std::string>& labels) {
  return *impl_->lookup(name, help, Type::kGauge, label_names, labels, nullptr).gauge;
}

Histogram& Registry::histogram(std::string_view name, std::string_view help,
                               const std::vector<std::string>& label_names,
                               const std::vector<std::string>& labels,
                               const std::vector<double>& bounds) {
  return *impl_->lookup(name, help, Type::kHistogram, label_names, labels, &bounds).histogram;
}

std::string Registry::render() const {
  std::string out;
  std::lock_guard lock(impl_->mu);
  for (const auto& f : impl_->families) render_family(out, *f);
  return out;
}

}  // namespace arca::events
