// Wall-clock seconds for the timings the tools report.
#pragma once

#include <chrono>

namespace mnist {

inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace mnist
