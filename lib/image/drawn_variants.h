// MNIST digits rendered the way the digits a page or a scanner delivers differ from MNIST's:
// strokes thicker or thinner, blurred, drawn at low resolution and scaled up, redrawn with a
// thick round brush (as the page's canvas draws), off-centre in a larger field, rotated, and
// dark ink on light paper. Each comes out as an encoded PNG, so that it goes through the same
// preparation (image_preprocess.h) as an uploaded image does. For measuring a model on input
// like the real one (mnist-evaluate --drawn-variants); deterministic per (image, variant, seed).
// Not for: training augmentation (data/augmentation.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mnist {

enum class DrawnVariant {
  kThicker,        // strokes about 1.5 px (of 28) thicker
  kThinner,        // strokes about 1 px thinner
  kBlurred,        // Gaussian blur of about 1.2 px
  kLowResolution,  // drawn at 10x10 and scaled up without smoothing
  kRoundBrush,     // the stroke's skeleton redrawn with a thick round brush, as on the page
  kOffCentre,      // a small digit near a corner of a field three times as large
  kRotated,        // turned by 10 degrees, one way or the other
  kDarkOnLight,    // black ink on grey-white paper with a little noise, as a scan or photo
};

inline constexpr DrawnVariant kAllDrawnVariants[] = {
    DrawnVariant::kThicker,    DrawnVariant::kThinner,  DrawnVariant::kBlurred,
    DrawnVariant::kLowResolution, DrawnVariant::kRoundBrush, DrawnVariant::kOffCentre,
    DrawnVariant::kRotated,    DrawnVariant::kDarkOnLight};

// "thicker", "thinner", "blurred", "low-resolution", "round-brush", "off-centre", "rotated",
// "dark-on-light".
std::string to_string(DrawnVariant variant);

// The 28x28 MNIST image (floats in [0, 1], white on black) as a PNG of that variant. index
// (the image's place in its set) picks the variant's random choices, such as the direction of
// a rotation. Throws std::invalid_argument for pixels that are not 28x28.
std::vector<uint8_t> render_drawn_variant(const std::vector<float>& mnist_pixels,
                                          DrawnVariant variant, int64_t index);

}  // namespace mnist
