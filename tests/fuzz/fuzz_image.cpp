// An encoded image (PNG, JPEG, BMP, PNM, TIFF, WebP, Sun raster, ...) read from its header and
// prepared MNIST-style, as mnist-predict and mnist-serve do with what people send. Images whose
// header claims more than 250,000 pixels are refused before decoding (as mnist-serve's limit does),
// so that the fuzzer spends its time on parsing, not on decoding large pictures.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/errors.h"
#include "core/mnist_shape.h"
#include "fuzz_input.h"
#include "image/image_header.h"
#include "image/image_preprocess.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<uint8_t> encoded(data, data + size);
  try {
    const mnist::ImageHeader header = mnist::read_image_header(encoded);
    mnist::fuzz::require(header.width > 0 && header.height > 0, "a header read has a size");
    if (mnist::has_more_pixels_than(header, 250'000)) return 0;
    const mnist::PreparedDigit digit = mnist::prepare_digit(encoded);
    mnist::fuzz::require(static_cast<int64_t>(digit.pixels.size()) == mnist::kImagePixels, "28x28 pixels");
    for (const float pixel : digit.pixels) {
      mnist::fuzz::require(std::isfinite(pixel) && pixel >= 0 && pixel <= 1, "pixels in [0, 1]");
    }
  } catch (const mnist::RuntimeError&) {
  }
  return 0;
}
