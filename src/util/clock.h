#pragma once
#include <chrono>
#include <cstdint>

namespace arca {

// Wall-clock seconds since the epoch, millisecond precision.
inline double now_epoch() {
  using namespace std::chrono;
  return double(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count()) /
         1000.0;
}
inline int64_t now_epoch_seconds() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace arca
