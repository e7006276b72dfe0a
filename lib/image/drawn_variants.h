// MNIST digits rendered the way the digits a page, a pen, a phone or a scanner delivers differ
// from MNIST's: strokes thicker or thinner, blurred, drawn at low resolution and scaled up
// (blocky or smooth, down to 8x8), redrawn with a thick round brush (as the page's canvas draws),
// a felt marker or a ballpoint, off-centre in a larger field or small in the middle of its box,
// rotated, slanted, broken or faint strokes, dark ink on light paper, and a phone photo (uneven
// light, blur, JPEG). Each comes out as an encoded image (PNG; JPEG for the photo), so that it
// goes through the same preparation (image_preprocess.h) as an uploaded image does. For
// measuring a model on input like the real one (mnist-evaluate --drawn-variants); deterministic
// per (image, variant). The families themselves, with an amount, are StrokeStyle below.
// Not for: the random draws of training augmentation (data/augmentation.h chooses its own).
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
  kTinyBlocky,     // drawn at 8x8 and scaled up without smoothing
  kTinySmooth,     // drawn at 8x8 and scaled up smoothly, as thumbnails and scanners do
  kFeltMarker,     // the skeleton redrawn with a felt marker about 4.5 px wide, soft-edged
  kBallpoint,      // the skeleton redrawn with a ballpoint line about 1 px wide
  kSlantedRight,   // sheared by 20 degrees, the top leaning right
  kSlantedLeft,    // sheared by 20 degrees, the top leaning left
  kBroken,         // a few gaps of about 1.5 px cut across the strokes
  kFaint,          // ink at a third of full strength on a slightly noisy background
  kPhonePhoto,     // dark ink, light falling off from a corner, slight blur and noise, JPEG
  kSmallCentred,   // the digit at 40% of its size in the middle of its box
};

inline constexpr DrawnVariant kAllDrawnVariants[] = {
    DrawnVariant::kThicker,      DrawnVariant::kThinner,     DrawnVariant::kBlurred,
    DrawnVariant::kLowResolution, DrawnVariant::kRoundBrush, DrawnVariant::kOffCentre,
    DrawnVariant::kRotated,      DrawnVariant::kDarkOnLight, DrawnVariant::kTinyBlocky,
    DrawnVariant::kTinySmooth,   DrawnVariant::kFeltMarker,  DrawnVariant::kBallpoint,
    DrawnVariant::kSlantedRight, DrawnVariant::kSlantedLeft, DrawnVariant::kBroken,
    DrawnVariant::kFaint,        DrawnVariant::kPhonePhoto,  DrawnVariant::kSmallCentred};

// "thicker", "thinner", "blurred", "low-resolution", "round-brush", "off-centre", "rotated",
// "dark-on-light", "8x8-blocky", "8x8-smooth", "felt-marker", "ballpoint", "slanted-right",
// "slanted-left", "broken", "faint", "phone-photo", "small-centred".
std::string to_string(DrawnVariant variant);

// The 28x28 MNIST image (floats in [0, 1], white on black) as an encoded image of that variant:
// a JPEG for kPhonePhoto, a PNG for the others. index (the image's place in its set) picks the
// variant's random choices, such as the direction of a rotation or where a stroke breaks.
// Throws std::invalid_argument for pixels that are not 28x28.
std::vector<uint8_t> render_drawn_variant(const std::vector<float>& mnist_pixels,
                                          DrawnVariant variant, int64_t index);

// The families of the variants above as transformations with an amount, for training on
// people's styles (data/augmentation.h): the same renderings as the variants', at amounts the
// caller draws with its own generator. The amount is, by style:
enum class StrokeStyle {
  kThicker,              // pixels (of 28) added to the stroke's width (thicker: 1.75)
  kThinner,              // pixels taken from it (thinner: 1.25)
  kBlurred,              // the Gaussian's width in pixels (blurred: 1.2)
  kBlockyLowResolution,  // the side drawn at, scaled up without smoothing (low-resolution: 10)
  kSmoothLowResolution,  // the side drawn at, scaled up bilinearly (8x8-smooth: 8)
  kSlanted,              // degrees of shear, positive leaning right (slanted-right: 20)
  kPen,                  // the width in pixels of the pen that redraws the skeleton (round-brush: 3.5)
  kBroken,               // the number of gaps cut across the strokes, rounded (broken: 3 to 5)
};

// The 28x28 digit (row-major floats in [0, 1], white on black) in that style, prepared as an
// uploaded image is (image_preprocess.h) back to 28x28 floats. `seed` picks what the style leaves
// to chance (where kBroken cuts); the other styles ignore it. Throws RuntimeError where nothing
// is left of the digit (a thin digit thinned away).
std::vector<float> restyled_digit(const float* mnist_pixels, StrokeStyle style, double amount, uint64_t seed);

}  // namespace mnist
