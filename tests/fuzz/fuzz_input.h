// What every fuzz target shares: the input as text, and a check that fails loudly. A target
// catches only the errors its parser documents (mnist::UsageError, RuntimeError, HttpError);
// anything else escapes and aborts, which libFuzzer reports as a crash, as ctest does when the
// regression inputs are replayed (replay_main.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace mnist::fuzz {

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// A property every accepted input must have; the message says which one broke.
inline void require(bool holds, const char* property) {
  if (!holds) {
    std::fprintf(stderr, "fuzz property broken: %s\n", property);
    std::abort();
  }
}

// The first byte picks a variant (of n), the rest is the input; an empty input picks 0.
inline size_t variant_of(const uint8_t*& data, size_t& size, size_t n) {
  if (size == 0) return 0;
  const size_t variant = data[0] % n;
  ++data;
  --size;
  return variant;
}

}  // namespace mnist::fuzz
