// Random affine and elastic distortion of MNIST images; see augmentation.h.
#include "data/augmentation.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iterator>
#include <vector>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "core/errors.h"
#include "core/mnist_shape.h"
#include "core/seed.h"
#include "image/drawn_variants.h"

namespace mnist {

namespace {

constexpr int kSide = static_cast<int>(kImageSide);
constexpr int kPixels = static_cast<int>(kImagePixels);

// A smoothed displacement field, x and y as the two channels: uniform noise in [-1, 1] blurred
// with a Gaussian of width sigma, times alpha. The kernel is cut at 3 sigma (at most 13 px);
// the noise is taken as 0 beyond the field, as in the usual implementations of Simard's method,
// which keeps the displacements near the edges small (a reflecting border doubles them there
// and pushes digits out of the field).
cv::Mat displacement(cv::RNG& rng, double alpha, double sigma) {
  cv::Mat field(kSide, kSide, CV_32FC2);
  rng.fill(field, cv::RNG::UNIFORM, -1.0, 1.0);
  const int radius = std::min(static_cast<int>(std::ceil(3 * sigma)), kSide / 2 - 1);
  cv::GaussianBlur(field, field, cv::Size(2 * radius + 1, 2 * radius + 1), sigma, sigma,
                   cv::BORDER_CONSTANT);
  field *= alpha;
  return field;
}

// The amounts each style of people's digits is drawn at, uniformly: around and beyond those
// --drawn-variants measures (image/drawn_variants.h), so that training covers them.
struct StyleRange {
  StrokeStyle style;
  double low;
  double high;
};
constexpr StyleRange kStyleRanges[] = {
    {StrokeStyle::kThicker, 0.5, 2.5},
    {StrokeStyle::kThinner, 0.5, 1.5},
    {StrokeStyle::kBlurred, 0.5, 1.5},
    {StrokeStyle::kBlockyLowResolution, 7, 14},
    {StrokeStyle::kSmoothLowResolution, 7, 14},
    {StrokeStyle::kSlanted, -25, 25},
    {StrokeStyle::kPen, 1.0, 5.0},
    {StrokeStyle::kBroken, 1.0, 6.0},
};

// Redraws the image in place in a random style; an image the style wipes out (a thin digit
// thinned away) stays as it was.
void redraw_in_a_drawn_style(float* image, cv::RNG& rng) {
  const StyleRange& range = kStyleRanges[rng.uniform(0, static_cast<int>(std::size(kStyleRanges)))];
  const double amount = rng.uniform(range.low, range.high);
  try {
    const std::vector<float> restyled = restyled_digit(image, range.style, amount, rng.next());
    std::copy(restyled.begin(), restyled.end(), image);
  } catch (const RuntimeError&) {
  }
}

}  // namespace

AugmentParams augment_params_for_strength(double strength) {
  AugmentParams params;
  if (strength == 0) return params;
  params.max_shift = 2.0 * strength;
  params.max_rotation = 10.0 * strength;
  params.min_scale = 1.0 - 0.1 * strength;
  params.max_scale = 1.0 + 0.1 * strength;
  params.elastic_alpha = 34.0 * strength;
  params.elastic_sigma = 4.0;
  return params;
}

void augment_images(const float* input, float* output, int64_t count, const AugmentParams& params,
                    uint64_t seed, int64_t first_index) {
  if (params.is_identity()) {
    std::memcpy(output, input, static_cast<size_t>(count) * kPixels * sizeof(float));
    return;
  }
  const cv::Point2f centre((kSide - 1) / 2.0f, (kSide - 1) / 2.0f);
  cv::Mat map_x(kSide, kSide, CV_32F);
  cv::Mat map_y(kSide, kSide, CV_32F);
  for (int64_t i = 0; i < count; ++i) {
    cv::RNG rng(derive_item_seed(seed, static_cast<uint64_t>(first_index + i)));
    float* image = output + i * kPixels;
    // The style is drawn after the affine transform's draws, and only where styles are on, so
    // that those draws are the same with and without styles.
    const auto restyle = [&] {
      if (params.drawn_styles > 0 && rng.uniform(0.0, 1.0) < params.drawn_styles) redraw_in_a_drawn_style(image, rng);
    };
    if (params.is_affine_identity()) {
      std::memcpy(image, input + i * kPixels, kPixels * sizeof(float));
      restyle();
      continue;
    }
    const double angle = rng.uniform(-params.max_rotation, params.max_rotation);
    const double scale = params.min_scale + (params.max_scale - params.min_scale) * rng.uniform(0.0, 1.0);
    const double shift_x = rng.uniform(-params.max_shift, params.max_shift);
    const double shift_y = rng.uniform(-params.max_shift, params.max_shift);
    // The forward transform (rotate and scale about the centre, then shift), inverted: remap
    // asks, for every output pixel, where in the input to read.
    cv::Mat forward = cv::getRotationMatrix2D(centre, angle, scale);
    forward.at<double>(0, 2) += shift_x;
    forward.at<double>(1, 2) += shift_y;
    cv::Mat inverse;
    cv::invertAffineTransform(forward, inverse);
    const auto* m = inverse.ptr<double>();

    // The elastic displacement applies in the output's frame, after the affine transform.
    const bool elastic = params.elastic_alpha != 0;
    const cv::Mat moves =
        elastic ? displacement(rng, params.elastic_alpha, params.elastic_sigma) : cv::Mat();
    for (int y = 0; y < kSide; ++y) {
      auto* row_x = map_x.ptr<float>(y);
      auto* row_y = map_y.ptr<float>(y);
      const float* move = elastic ? moves.ptr<float>(y) : nullptr;
      for (int x = 0; x < kSide; ++x) {
        const double qx = x + (elastic ? move[2 * x] : 0.0f);
        const double qy = y + (elastic ? move[2 * x + 1] : 0.0f);
        row_x[x] = static_cast<float>(m[0] * qx + m[1] * qy + m[2]);
        row_y[x] = static_cast<float>(m[3] * qx + m[4] * qy + m[5]);
      }
    }
    const cv::Mat source(kSide, kSide, CV_32F, const_cast<float*>(input + i * kPixels));
    cv::Mat target(kSide, kSide, CV_32F, image);
    cv::remap(source, target, map_x, map_y, cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(0));
    restyle();
  }
}

}  // namespace mnist
