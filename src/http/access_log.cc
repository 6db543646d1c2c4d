#include "http/access_log.h"

#include <fmt/format.h>
#include <spdlog/async.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <ctime>

namespace arca::http {
namespace {

std::string iso8601_ms(std::chrono::system_clock::time_point t) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  std::time_t secs = std::time_t(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, int(ms % 1000));
  return buf;
}

// Lines are handed to one background writer thread so an I/O thread never waits on a write(2)
// to stderr; when the queue is full the caller blocks rather than losing lines.
spdlog::logger& access_logger() {
  static std::shared_ptr<spdlog::logger> logger = [] {
    static auto pool = std::make_shared<spdlog::details::thread_pool>(8192, 1);
    auto l = std::make_shared<spdlog::async_logger>(
        "arca.access", std::make_shared<spdlog::sinks::stderr_sink_mt>(), pool,
        spdlog::async_overflow_policy::block);
    l->set_pattern("%v");
    l->flush_on(spdlog::level::off);
    return l;
  }();
  return *logger;
}

}  // namespace

std::string access_log_line(const AccessRecord& r, std::chrono::system_clock::time_point ts) {
  // Built by hand to keep the key order and a fixed-point "ms"; strings go through Boost.JSON.
  auto str = [](std::string_view v) { return boost::json::serialize(boost::json::string_view(v)); };
  return fmt::format(
      R"({{"ts":{},"remote":{},"method":{},"target":{},"status":{},"bytes_in":{},"bytes_out":{},)"
      R"("ms":{:.3f},"request_id":{}}})",
      str(iso8601_ms(ts)), str(r.remote), str(r.method), str(r.target), r.status, r.bytes_in,
      r.bytes_out, r.ms, str(r.request_id));
}

void write_access_log(const AccessRecord& record) {
  access_logger().info(access_log_line(record, std::chrono::system_clock::now()));
}

}  // namespace arca::http
