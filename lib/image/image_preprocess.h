// Turning an arbitrary image of one handwritten digit (a photo, a scan, a drawing) into the
// 28x28 input the model was trained on, by the steps that made MNIST itself:
//   1. grayscale, with any alpha channel composited on white;
//   2. white ink on black: inverted when the border (the background) is the light side of the
//      image; the background level, and its noise seen at the border, is subtracted; where the
//      light falls unevenly along the border (a phone photo under a lamp), the background is
//      estimated across the image (a morphological opening) and taken out pixel by pixel;
//   3. cropped to the bounding box of the ink (specks under 1/10000 of the image ignored);
//   4. scaled, keeping the aspect ratio, so that the longer side is 20 px (area interpolation),
//      and stretched so that the brightest ink is 1;
//   5. placed in a 28x28 field with its centre of mass at the centre, to the nearest pixel.
// An image that already has MNIST's layout (28x28, clean black background, ink within 20x20,
// centre of mass within 1 px of the centre) is used exactly as it is, so that MNIST's own images
// pass through unchanged: MNIST's preparation does not quite repeat itself (a few of its digits
// are 19 px tall, and rescaling them would change them). Works on encoded bytes with OpenCV; no
// LibTorch here.
// Not for: running the model (inference/prediction_run.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/mnist_shape.h"

namespace mnist {

// Where MNIST puts the centre of mass, in pixel indices (row, column): its test images have it
// between 13.5 and 14.5 on both axes.
inline constexpr double kDigitCentre = 14.0;
// The box MNIST scales each digit into.
inline constexpr int kDigitBox = 20;

struct PreparedDigit {
  std::vector<float> pixels;  // kImageSide x kImageSide row-major, white ink on black, in [0, 1]
  std::string format;         // of the source, e.g. "PNG"
  int64_t source_width = 0;
  int64_t source_height = 0;
  bool inverted = false;       // the source was dark ink on a light background
  bool already_mnist = false;  // the source had MNIST's layout and was used unchanged
};

// Decodes an encoded image (PNG, JPEG, BMP, PGM, ...; see image_header.h), after refusing it from
// its header alone when it is above kMaxImagePixels, and prepares it. Throws RuntimeError with a
// one-line message without a file name: not an image, truncated, too large, undecodable, blank.
// Decoder libraries print their complaints to standard error; they end up in the message instead
// (core/standard_error.h). Safe to call from several threads: the decodes take turns, the rest
// of the preparation runs in parallel.
PreparedDigit prepare_digit(const std::vector<uint8_t>& encoded);

// The same preparation of an image already decoded: rows x cols grayscale pixels in [0, 1],
// row-major (format is left empty). For digits rendered in memory, as the training augmentation
// renders people's styles (image/drawn_variants.h), without encoding them. Throws RuntimeError
// as prepare_digit does, std::invalid_argument for an empty size or one above kMaxImagePixels.
PreparedDigit prepare_digit_pixels(const float* gray, int64_t rows, int64_t cols);

// Reads the file (refusing one above kMaxImageFileBytes) and calls prepare_digit. Every
// RuntimeError message starts with "<path>: ".
PreparedDigit prepare_digit_file(const std::filesystem::path& path);

// The pixels (28x28, [0, 1]) as the bytes of an 8-bit grayscale PNG.
std::vector<uint8_t> encode_digit_png(const std::vector<float>& pixels);

// encode_digit_png written to `path` atomically.
void write_digit_png(const std::filesystem::path& path, const std::vector<float>& pixels);

}  // namespace mnist
