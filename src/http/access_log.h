#pragma once
// The per-request JSON access-log line.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace arca::http {

struct AccessRecord {
  std::string_view remote;
  std::string_view method;
  std::string_view target;
  std::string_view request_id;
  int status = 0;
  uint64_t bytes_in = 0;   // request body bytes read
  uint64_t bytes_out = 0;  // response body bytes written
  double ms = 0;           // from the first byte of the head to the end of the response
};

// {"ts":"2024-05-01T12:00:00.123Z","remote":...,"method":...,"target":...,"status":...,
//  "bytes_in":...,"bytes_out":...,"ms":...,"request_id":...}; strings JSON-escaped.
std::string access_log_line(const AccessRecord& record, std::chrono::system_clock::time_point ts);

// Writes the line to stderr through a dedicated spdlog logger (pattern "%v"). Thread-safe.
void write_access_log(const AccessRecord& record);

}  // namespace arca::http
