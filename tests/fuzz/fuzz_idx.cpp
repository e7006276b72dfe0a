// IDX image/label pair validation, as mnist-train and mnist-evaluate check their data before
// using it. One input holds both files: its first two bytes (little-endian) say where the
// images end and the labels begin.
#include <cstddef>
#include <cstdint>

#include "core/errors.h"
#include "data/idx_files.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t images_size = (size_t{data[0]} | size_t{data[1]} << 8) % (size - 1);
  const std::string_view pair = mnist::fuzz::as_text(data + 2, size - 2);
  try {
    const int64_t count = mnist::validate_idx_pair_bytes(pair.substr(0, images_size), pair.substr(images_size),
                                                         "images", "labels");
    // Each example is 784 image bytes and one label byte after the 16- and 8-byte headers.
    mnist::fuzz::require(count >= 0 && 16 + 784 * count <= static_cast<int64_t>(images_size),
                         "an accepted pair holds every image it counts");
  } catch (const mnist::RuntimeError&) {
  }
  return 0;
}
