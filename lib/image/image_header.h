// Recognising an encoded image and reading its pixel dimensions from the header alone, so that an
// image too large to decode safely is refused before any decoder allocates memory for it.
// Handles the formats OpenCV decodes whose headers are cheap to read: PNG, JPEG, BMP, the PNM
// family (PBM, PGM, PPM, PAM, PFM), TIFF, WebP and Sun raster.
// Not for: decoding pixels (image_preprocess.h does that with OpenCV).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mnist {

// The largest image accepted, in pixels (width x height): enough for a 48-megapixel photo
// (8000 x 6000). A larger image would need gigabytes once decoded and converted.
inline constexpr int64_t kMaxImagePixels = 50'000'000;

// The largest image file read, in bytes. An uncompressed 50-megapixel colour BMP is about 150 MB.
inline constexpr int64_t kMaxImageFileBytes = 256LL * 1024 * 1024;

struct ImageHeader {
  std::string format;  // "PNG", "JPEG", "BMP", "PGM", ..., as people name them
  int64_t width = 0;
  int64_t height = 0;
};

// Reads the format and dimensions from the start of an encoded image. Throws RuntimeError with a
// message (without the file name; callers add it) for an empty buffer, a signature of no
// supported format, a truncated or malformed header, or a header claiming zero pixels.
ImageHeader read_image_header(const std::vector<uint8_t>& encoded);

// width x height > limit, compared without the multiplication, which overflows for the
// dimensions a header may claim (PNG allows 2^31 x 2^31).
bool has_more_pixels_than(const ImageHeader& header, int64_t limit);

// read_image_header, then refuses images above kMaxImagePixels with a RuntimeError saying how
// large the image is and what the limit is.
ImageHeader check_image_header(const std::vector<uint8_t>& encoded);

// Whether a JPEG reaches its end-of-image marker after the main image's data. Decoders accept
// a truncated JPEG without complaint and paint the missing part grey.
bool jpeg_is_complete(const std::vector<uint8_t>& encoded);

}  // namespace mnist
