#include "events/metrics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace arca::events {
namespace {

// Checks `text` against the text exposition grammar (format 0.0.4) line by line, plus the
// rules Prometheus enforces across lines: one TYPE per family before its samples, samples named
// for their family's type, no duplicate series, histogram buckets cumulative with +Inf last and
// equal to _count. Returns "" when valid, else the first problem.
std::string validate_exposition(const std::string& text) {
  static const std::string kName = "[a-zA-Z_:][a-zA-Z0-9_:]*";
  static const std::string kLabel = "[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\\\n]|\\\\[\\\\\"n])*\"";
  static const std::string kValue =
      "(?:[-+]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:[eE][-+]?[0-9]+)?|[-+]Inf|NaN)";
  static const std::regex kHelp("^# HELP (" + kName + ") (?:[^\\\\\\n]|\\\\[\\\\n])+$");
  static const std::regex kType("^# TYPE (" + kName +
                                ") (counter|gauge|histogram|summary|untyped)$");
  static const std::regex kSample("^(" + kName + ")(\\{(?:" + kLabel + "(?:," + kLabel +
                                  ")*)?\\})? (" + kValue + ")$");
  static const std::regex kLe(",?le=\"([^\"]*)\"\\}$");

  if (!text.empty() && text.back() != '\n') return "missing final newline";
  std::map<std::string, std::string> types;  // family -> type
  std::map<std::string, bool> seen_series;
  std::string family, type;
  std::map<std::string, double> last_bucket;  // labels without le -> last cumulative count
  std::map<std::string, double> inf_bucket;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    std::string where = "line " + std::to_string(n) + " `" + line + "`: ";
    std::smatch m;
    if (std::regex_match(line, m, kHelp)) continue;
    if (std::regex_match(line, m, kType)) {
      if (types.count(m[1])) return where + "second TYPE for the family";
      family = m[1];
      type = m[2];
      types[family] = type;
      continue;
    }
    if (!std::regex_match(line, m, kSample)) return where + "not a HELP, TYPE or sample line";
    std::string name = m[1], labels = m[2];
    double value = std::stod(m[3]);  // strtod reads +Inf and NaN too
    if (family.empty()) return where + "sample before any TYPE";
    if (!seen_series.emplace(name + labels, true).second) return where + "duplicate series";
    if (type != "histogram") {
      if (name != family) return where + "sample outside its family";
      continue;
    }
    if (name == family + "_bucket") {
      std::smatch le;
      if (!std::regex_search(labels, le, kLe)) return where + "bucket without trailing le";
      std::string key = labels.substr(0, labels.size() - le[0].length());
      if (last_bucket.count(key) && value < last_bucket[key]) return where + "not cumulative";
      if (inf_bucket.count(key)) return where + "bucket after +Inf";
      last_bucket[key] = value;
      if (le[1] == "+Inf") inf_bucket[key] = value;
    } else if (name == family + "_count") {
      std::string key = labels.empty() ? "{" : labels.substr(0, labels.size() - 1);
      if (!inf_bucket.count(key)) return where + "_count without a +Inf bucket";
      if (inf_bucket[key] != value) return where + "_count differs from the +Inf bucket";
    } else if (name != family + "_sum") {
      return where + "sample outside its family";
    }
  }
  return "";
}

TEST(Metrics, CounterWithoutLabels) {
  Registry r;
  r.counter("arca_requests_total", "Requests served.", {}, {}).inc();
  r.counter("arca_requests_total", "Requests served.", {}, {}).inc(41);
  EXPECT_EQ(r.render(),
            "# HELP arca_requests_total Requests served.\n"
            "# TYPE arca_requests_total counter\n"
            "arca_requests_total 42\n");
}

TEST(Metrics, CounterWithLabels) {
  Registry r;
  r.counter("arca_http_requests_total", "HTTP requests.", {"method", "code"}, {"GET", "200"})
      .inc(3);
  r.counter("arca_http_requests_total", "HTTP requests.", {"method", "code"}, {"GET", "404"}).inc();
  EXPECT_EQ(r.render(),
            "# HELP arca_http_requests_total HTTP requests.\n"
            "# TYPE arca_http_requests_total counter\n"
            "arca_http_requests_total{method=\"GET\",code=\"200\"} 3\n"
            "arca_http_requests_total{method=\"GET\",code=\"404\"} 1\n");
}

TEST(Metrics, GaugeGoesUpAndDown) {
  Registry r;
  Gauge& g = r.gauge("arca_open_connections", "Open client connections.", {}, {});
  g.set(5);
  g.add(-7);
  EXPECT_EQ(g.value(), -2);
  EXPECT_EQ(r.render(),
            "# HELP arca_open_connections Open client connections.\n"
            "# TYPE arca_open_connections gauge\n"
            "arca_open_connections -2\n");
}

TEST(Metrics, Histogram) {
  Registry r;
  Histogram& h = r.histogram("arca_upstream_seconds", "Upstream latency.", {"upstream"}, {"npmjs"},
                             {0.005, 0.1, 1, 2.5, 10});
  for (double v : {0.001, 0.005, 0.05, 0.5, 3.0, 42.0}) h.observe(v);
  EXPECT_EQ(h.count(), 6u);
  EXPECT_EQ(h.bucket_counts(), (std::vector<uint64_t>{2, 1, 1, 0, 1, 1}));
  EXPECT_DOUBLE_EQ(h.sum(), 45.556);
  EXPECT_EQ(r.render(),
            "# HELP arca_upstream_seconds Upstream latency.\n"
            "# TYPE arca_upstream_seconds histogram\n"
            "arca_upstream_seconds_bucket{upstream=\"npmjs\",le=\"0.005\"} 2\n"
            "arca_upstream_seconds_bucket{upstream=\"npmjs\",le=\"0.1\"} 3\n"
            "arca_upstream_seconds_bucket{upstream=\"npmjs\",le=\"1\"} 4\n"
            "arca_upstream_seconds_bucket{upstream=\"npmjs\",le=\"2.5\"} 4\n"
            "arca_upstream_seconds_bucket{upstream=\"npmjs\",le=\"10\"} 5\n"
            "arca_upstream_seconds_bucket{upstream=\"npmjs\",le=\"+Inf\"} 6\n"
            "arca_upstream_seconds_sum{upstream=\"npmjs\"} 45.556\n"
            "arca_upstream_seconds_count{upstream=\"npmjs\"} 6\n");
}

TEST(Metrics, HistogramWithoutLabelsAndEmpty) {
  Registry r;
  r.histogram("arca_gc_seconds", "GC time.", {}, {}, {1, 30});
  EXPECT_EQ(r.render(),
            "# HELP arca_gc_seconds GC time.\n"
            "# TYPE arca_gc_seconds histogram\n"
            "arca_gc_seconds_bucket{le=\"1\"} 0\n"
            "arca_gc_seconds_bucket{le=\"30\"} 0\n"
            "arca_gc_seconds_bucket{le=\"+Inf\"} 0\n"
            "arca_gc_seconds_sum 0\n"
            "arca_gc_seconds_count 0\n");
}

TEST(Metrics, HistogramEdgeValues) {
  Histogram h({1, 2, std::numeric_limits<double>::infinity()});  // a trailing +Inf is implied
  EXPECT_EQ(h.bounds(), (std::vector<double>{1, 2}));
  h.observe(1);  // bounds are inclusive (le)
  h.observe(-0.25);
  h.observe(std::nan(""));
  h.observe(std::numeric_limits<double>::infinity());
  EXPECT_EQ(h.bucket_counts(), (std::vector<uint64_t>{2, 0, 2}));
  EXPECT_EQ(h.count(), 4u);
  EXPECT_GT(h.sum(), 1e12);  // +Inf is clamped, not lost
  Histogram small({0.5});
  small.observe(0.25);
  small.observe(-1);
  EXPECT_DOUBLE_EQ(small.sum(), -0.75);
  EXPECT_THROW(Histogram({2, 1}), std::invalid_argument);
  EXPECT_THROW(Histogram({1, 1}), std::invalid_argument);
  EXPECT_THROW(Histogram({std::nan("")}), std::invalid_argument);
}

TEST(Metrics, NumberFormatting) {
  Registry r;
  r.histogram("h", "", {}, {}, {1e-6, 0.0001, 0.25, 100000, 1e6, 123456789}).observe(0.1234567);
  EXPECT_EQ(r.render(),
            "# TYPE h histogram\n"  // no HELP line for an empty help
            "h_bucket{le=\"1e-06\"} 0\n"
            "h_bucket{le=\"0.0001\"} 0\n"
            "h_bucket{le=\"0.25\"} 1\n"
            "h_bucket{le=\"100000\"} 1\n"
            "h_bucket{le=\"1e+06\"} 1\n"
            "h_bucket{le=\"1.23456789e+08\"} 1\n"
            "h_bucket{le=\"+Inf\"} 1\n"
            "h_sum 0.123457\n"
            "h_count 1\n");
}

TEST(Metrics, DefaultLatencyBuckets) {
  std::vector<double> b = default_latency_buckets();
  ASSERT_FALSE(b.empty());
  EXPECT_EQ(b.front(), 0.005);
  EXPECT_EQ(b.back(), 30);
  EXPECT_TRUE(std::is_sorted(b.begin(), b.end()));
  EXPECT_NO_THROW(Histogram{b});
}

TEST(Metrics, Escaping) {
  Registry r;
  r.counter("c_total", "Help with \\ backslash,\nnewline and \"quotes\".", {"repo"}, {"a\\b\"c\nd"})
      .inc();
  EXPECT_EQ(r.render(),
            "# HELP c_total Help with \\\\ backslash,\\nnewline and \"quotes\".\n"
            "# TYPE c_total counter\n"
            "c_total{repo=\"a\\\\b\\\"c\\nd\"} 1\n");
  EXPECT_EQ(validate_exposition(r.render()), "");
}

TEST(Metrics, FamiliesInRegistrationOrderSeriesSortedByLabelValues) {
  Registry r;
  r.gauge("zz", "z", {"repo"}, {"b"}).set(2);
  r.counter("aa_total", "a", {}, {}).inc();
  r.gauge("zz", "z", {"repo"}, {"a"}).set(1);
  r.gauge("zz", "z", {"repo"}, {"c"}).set(3);
  EXPECT_EQ(r.render(),
            "# HELP zz z\n"
            "# TYPE zz gauge\n"
            "zz{repo=\"a\"} 1\n"
            "zz{repo=\"b\"} 2\n"
            "zz{repo=\"c\"} 3\n"
            "# HELP aa_total a\n"
            "# TYPE aa_total counter\n"
            "aa_total 1\n");
}

TEST(Metrics, SameSeriesIsTheSameObject) {
  Registry r;
  Counter& a = r.counter("c_total", "c", {"repo"}, {"x"});
  // Creating many more series must not move the first one.
  for (int i = 0; i < 1000; ++i) r.counter("c_total", "c", {"repo"}, {std::to_string(i)});
  for (int i = 0; i < 100; ++i) r.gauge("g" + std::to_string(i), "g", {}, {});
  EXPECT_EQ(&a, &r.counter("c_total", "c", {"repo"}, {"x"}));
  EXPECT_NE(&a, &r.counter("c_total", "c", {"repo"}, {"y"}));
  Gauge& g = r.gauge("g0", "g", {}, {});
  EXPECT_EQ(&g, &r.gauge("g0", "other help is ignored", {}, {}));
  Histogram& h = r.histogram("h", "h", {}, {}, default_latency_buckets());
  EXPECT_EQ(&h, &r.histogram("h", "h", {}, {}, default_latency_buckets()));
}

TEST(Metrics, ConflictingRegistrationThrows) {
  Registry r;
  r.counter("m", "m", {"repo"}, {"x"});
  EXPECT_THROW(r.gauge("m", "m", {"repo"}, {"x"}), std::logic_error);
  EXPECT_THROW(r.histogram("m", "m", {"repo"}, {"x"}, {1}), std::logic_error);
  EXPECT_THROW(r.counter("m", "m", {"other"}, {"x"}), std::logic_error);
  EXPECT_THROW(r.counter("m", "m", {}, {}), std::logic_error);
  r.histogram("h", "h", {}, {}, {1, 2});
  EXPECT_THROW(r.histogram("h", "h", {}, {}, {1, 3}), std::logic_error);
  // A histogram writes h_count, so no other family may take that name.
  EXPECT_THROW(r.counter("h_count", "c", {}, {}), std::logic_error);
  r.counter("x_sum", "c", {}, {});
  EXPECT_THROW(r.histogram("x", "h", {}, {}, {1}), std::logic_error);
  EXPECT_NO_THROW(r.counter("m", "m", {"repo"}, {"x"}));
}

TEST(Metrics, InvalidArgumentsThrow) {
  Registry r;
  r.counter("m", "m", {"repo", "kind"}, {"x", "y"});
  EXPECT_THROW(r.counter("m", "m", {"repo", "kind"}, {"x"}), std::invalid_argument);
  EXPECT_THROW(r.counter("n", "n", {"repo"}, {}), std::invalid_argument);
  EXPECT_THROW(r.counter("1bad", "n", {}, {}), std::invalid_argument);
  EXPECT_THROW(r.counter("bad-name", "n", {}, {}), std::invalid_argument);
  EXPECT_THROW(r.counter("n", "n", {"bad-label"}, {"x"}), std::invalid_argument);
  EXPECT_THROW(r.counter("n", "n", {"__reserved"}, {"x"}), std::invalid_argument);
  EXPECT_THROW(r.counter("n", "n", {"a", "a"}, {"x", "y"}), std::invalid_argument);
  EXPECT_THROW(r.histogram("n", "n", {"le"}, {"x"}, {1}), std::invalid_argument);
  EXPECT_THROW(r.histogram("n", "n", {}, {}, {2, 1}), std::invalid_argument);
  // Failed first calls registered nothing: `n` is still free for any type.
  EXPECT_NO_THROW(r.gauge("n", "n", {}, {}));
  EXPECT_EQ(r.render(),
            "# HELP m m\n# TYPE m counter\nm{repo=\"x\",kind=\"y\"} 0\n"
            "# HELP n n\n# TYPE n gauge\nn 0\n");
}

TEST(Metrics, ConcurrentUpdatesSumExactly) {
  Registry r;
  constexpr int kThreads = 8;
  constexpr int kIncrements = 100000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&r, t] {
      // Lookups race with each other and with render(); updates race with each other.
      Counter& c = r.counter("c_total", "c", {}, {});
      Histogram& h = r.histogram("h", "h", {"repo"}, {"r"}, {0.5});
      Gauge& g = r.gauge("g", "g", {"thread"}, {std::to_string(t % 2)});
      for (int i = 0; i < kIncrements; ++i) {
        c.inc();
        h.observe(i % 2 == 0 ? 0.25 : 1.0);
        g.add(1);
        if (i % 20000 == 0) {
          EXPECT_EQ(validate_exposition(r.render()), "");
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(r.counter("c_total", "c", {}, {}).value(), uint64_t{kThreads} * kIncrements);
  Histogram& h = r.histogram("h", "h", {"repo"}, {"r"}, {0.5});
  EXPECT_EQ(h.count(), uint64_t{kThreads} * kIncrements);
  EXPECT_EQ(h.bucket_counts(),
            (std::vector<uint64_t>{kThreads * kIncrements / 2, kThreads * kIncrements / 2}));
  EXPECT_DOUBLE_EQ(h.sum(), kThreads * kIncrements / 2 * 1.25);
  EXPECT_EQ(
      r.gauge("g", "g", {"thread"}, {"0"}).value() + r.gauge("g", "g", {"thread"}, {"1"}).value(),
      int64_t{kThreads} * kIncrements);
}

TEST(Metrics, RenderedOutputParses) {
  Registry r;
  r.counter("arca_requests_total", "Requests.\nSecond line \\ end", {"repo", "code"},
            {"npm-\"main\"", "200"})
      .inc(7);
  r.counter("arca_requests_total", "", {"repo", "code"}, {"pypi\\x\ny", "500"}).inc();
  r.gauge("arca_up", "", {}, {}).set(1);
  Histogram& h = r.histogram("arca_upstream_seconds", "Latency.", {"upstream"}, {"a"},
                             default_latency_buckets());
  for (int i = 0; i < 200; ++i) h.observe(i * 0.17);
  r.histogram("arca_upstream_seconds", "Latency.", {"upstream"}, {"b"}, default_latency_buckets())
      .observe(std::nan(""));
  r.histogram("arca_tiny", "", {}, {}, {}).observe(3);
  std::string text = r.render();
  EXPECT_EQ(validate_exposition(text), "") << text;
}

TEST(Metrics, ValidatorRejectsMalformedText) {
  EXPECT_NE(validate_exposition("m 1\n"), "");  // no TYPE
  EXPECT_NE(validate_exposition("# HELP m \n# TYPE m counter\nm 1\n"), "");
  EXPECT_NE(validate_exposition("# TYPE m counter\nm{a=\"x\"\"} 1\n"), "");
  EXPECT_NE(validate_exposition("# TYPE m counter\nm{a=\"x\ny\"} 1\n"), "");
  EXPECT_NE(validate_exposition("# TYPE m counter\nm{a=x} 1\n"), "");
  EXPECT_NE(validate_exposition("# TYPE m counter\nm 1.2.3\n"), "");
  EXPECT_NE(validate_exposition("# TYPE m counter\nm inf\n"), "");
  EXPECT_NE(validate_exposition("# TYPE m counter\nm 1\nm 2\n"), "");
  EXPECT_NE(validate_exposition("# TYPE m counter\nm 1"), "");
  EXPECT_NE(
      validate_exposition("# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\n"
                          "h_count 1\n"),
      "");
  EXPECT_NE(validate_exposition("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_count 2\n"), "");
  EXPECT_EQ(validate_exposition("# HELP m x\\\\y\\n\n# TYPE m gauge\nm{a=\"\\\"\"} -1.5e+06\n"),
            "");
}

}  // namespace
}  // namespace arca::events
