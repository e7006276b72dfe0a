// gzip inflation with its output cap, as the MNIST .gz files are read: corrupt, truncated and
// concatenated streams, and bombs (the cap here is 64 KiB so that they are refused quickly).
#include <cstddef>
#include <cstdint>

#include "core/errors.h"
#include "data/idx_files.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr uint64_t kCap = 64 << 10;
  try {
    const std::string inflated = mnist::inflate_gzip(mnist::fuzz::as_text(data, size), kCap, "fuzz.gz");
    mnist::fuzz::require(inflated.size() <= kCap, "inflated output stays within the cap");
  } catch (const mnist::RuntimeError&) {
  }
  return 0;
}
