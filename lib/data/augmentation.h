// On-the-fly data augmentation for 28x28 MNIST images, with OpenCV alone (no LibTorch here, so
// that this file builds fast and runs on a thread of its own): a random affine transform about
// the image centre (shift, rotation, scale) and an elastic distortion (Simard, Steinkraus and
// Platt 2003: a uniform random displacement field smoothed with a Gaussian of width sigma and
// scaled by alpha), combined into one cv::remap with bilinear interpolation and a black border;
// then, for a fraction of the images, a redrawing in a style of people's digits, with the
// transformations --drawn-variants measures with (image/drawn_variants.h) but random draws of
// its own, on training images only.
// Every image's transform derives from (seed, image index) alone, so the result does not depend
// on how the work is split or threaded.
// Not for: producing whole epochs in the background (augmented_epochs.h), choosing the
// parameters (train/training_options.h holds the recipes).
#pragma once

#include <cstdint>

namespace mnist {

struct AugmentParams {
  double max_shift = 0;     // pixels, uniform in [-max_shift, max_shift] on each axis
  double max_rotation = 0;  // degrees, uniform in [-max_rotation, max_rotation]
  double min_scale = 1;     // uniform in [min_scale, max_scale], about the image centre
  double max_scale = 1;
  double elastic_alpha = 0;  // displacement scale in pixels; 0: no elastic distortion
  double elastic_sigma = 4;  // width of the Gaussian smoothing the displacement field, pixels
  // The fraction of the images then redrawn in one of the styles of people's digits
  // (image/drawn_variants.h: thicker or thinner strokes, blur, low resolution, slant, another
  // pen, broken strokes), the style and its amount drawn at random, and prepared as an upload is;
  // 0: none.
  double drawn_styles = 0;

  bool is_affine_identity() const {
    return max_shift == 0 && max_rotation == 0 && min_scale == 1 && max_scale == 1 &&
           elastic_alpha == 0;
  }
  bool is_identity() const { return is_affine_identity() && drawn_styles == 0; }
};

// The documented augmentation at strength 1 (what --augment 1 means): shifts up to 2 px,
// rotations up to 10 degrees, scales 0.9 to 1.1 and Simard's elastic distortion (alpha 34,
// sigma 4). Strength s multiplies the shift, the rotation, the scale's deviation from 1 and
// alpha by s; 0 is no augmentation at all.
AugmentParams augment_params_for_strength(double strength);

// Transforms `count` images of 28x28 floats (row-major, one after the other) from `input` into
// `output` (which must not overlap it). Image i uses a generator seeded from (seed,
// first_index + i), so a slice of a set gives the same images as the whole set. With identity
// parameters the output is an exact copy. Values stay in the input's range (bilinear
// interpolation, border 0).
void augment_images(const float* input, float* output, int64_t count, const AugmentParams& params,
                    uint64_t seed, int64_t first_index = 0);

}  // namespace mnist
