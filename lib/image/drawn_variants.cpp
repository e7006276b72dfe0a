// Drawn and scanned renderings of MNIST digits; see drawn_variants.h.
#include "image/drawn_variants.h"

#include <algorithm>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <stdexcept>

#include "core/errors.h"
#include "core/mnist_shape.h"
#include "core/seed.h"

namespace mnist {

namespace {

constexpr int kSide = static_cast<int>(kImageSide);
// Work at four times MNIST's resolution, so strokes can change by fractions of an MNIST pixel.
constexpr int kScale = 4;

cv::Mat upscaled(const cv::Mat& digit) {
  cv::Mat large;
  cv::resize(digit, large, cv::Size(kSide * kScale, kSide * kScale), 0, 0, cv::INTER_CUBIC);
  return cv::min(cv::max(large, 0.0), 1.0);
}

cv::Mat disk(int diameter) { return cv::getStructuringElement(cv::MORPH_ELLIPSE, {diameter, diameter}); }

// Zhang and Suen's thinning (1984): the one-pixel-wide skeleton of a binary image.
cv::Mat skeleton(const cv::Mat& binary) {
  cv::Mat image;
  binary.convertTo(image, CV_8U);
  image /= 255;
  bool changed = true;
  while (changed) {
    changed = false;
    for (int pass = 0; pass < 2; ++pass) {
      cv::Mat remove = cv::Mat::zeros(image.size(), CV_8U);
      for (int y = 1; y < image.rows - 1; ++y) {
        for (int x = 1; x < image.cols - 1; ++x) {
          if (image.at<uchar>(y, x) == 0) continue;
          const int p[8] = {image.at<uchar>(y - 1, x),     image.at<uchar>(y - 1, x + 1),
                            image.at<uchar>(y, x + 1),     image.at<uchar>(y + 1, x + 1),
                            image.at<uchar>(y + 1, x),     image.at<uchar>(y + 1, x - 1),
                            image.at<uchar>(y, x - 1),     image.at<uchar>(y - 1, x - 1)};
          int neighbours = 0;
          int transitions = 0;
          for (int i = 0; i < 8; ++i) {
            neighbours += p[i];
            transitions += p[i] == 0 && p[(i + 1) % 8] == 1;
          }
          const bool first = pass == 0 ? (p[0] * p[2] * p[4] == 0 && p[2] * p[4] * p[6] == 0)
                                       : (p[0] * p[2] * p[6] == 0 && p[0] * p[4] * p[6] == 0);
          if (neighbours >= 2 && neighbours <= 6 && transitions == 1 && first) remove.at<uchar>(y, x) = 1;
        }
      }
      if (cv::countNonZero(remove) > 0) changed = true;
      image -= remove;
    }
  }
  return image * 255;
}

cv::Mat round_brush(const cv::Mat& large) {
  cv::Mat binary;
  cv::threshold(large, binary, 0.5, 255.0, cv::THRESH_BINARY);
  cv::Mat bones = skeleton(binary);
  cv::Mat redrawn = cv::Mat::zeros(large.size(), CV_32F);
  // A stroke about 3.5 MNIST pixels wide, as the page's brush is about a twelfth of its canvas.
  const int radius = 7;
  for (int y = 0; y < bones.rows; ++y) {
    for (int x = 0; x < bones.cols; ++x) {
      if (bones.at<uchar>(y, x) != 0) cv::circle(redrawn, {x, y}, radius, cv::Scalar(1.0), cv::FILLED, cv::LINE_AA);
    }
  }
  return redrawn;
}

cv::Mat off_centre(const cv::Mat& digit, int64_t index) {
  cv::Mat field = cv::Mat::zeros(kSide * 3, kSide * 3, CV_32F);
  const int corner = static_cast<int>(index % 4);
  const int x = (corner % 2 == 0) ? 2 : field.cols - kSide - 2;
  const int y = (corner / 2 == 0) ? 2 : field.rows - kSide - 2;
  digit.copyTo(field(cv::Rect(x, y, kSide, kSide)));
  return field;
}

cv::Mat rotated(const cv::Mat& large, int64_t index) {
  const double angle = index % 2 == 0 ? 10.0 : -10.0;
  const cv::Point2f centre((large.cols - 1) / 2.0f, (large.rows - 1) / 2.0f);
  cv::Mat turned;
  cv::warpAffine(large, turned, cv::getRotationMatrix2D(centre, angle, 1.0), large.size(), cv::INTER_LINEAR,
                 cv::BORDER_CONSTANT, cv::Scalar(0.0));
  return turned;
}

cv::Mat dark_on_light(const cv::Mat& large, int64_t index) {
  cv::RNG rng(derive_item_seed(/*stream_seed=*/0x5CA9, static_cast<uint64_t>(index)));
  cv::Mat noise(large.size(), CV_32F);
  rng.fill(noise, cv::RNG::NORMAL, 0.0, 0.03);
  cv::Mat paper = 0.92 - 0.8 * large + noise;  // grey-white paper, ink not quite black
  return cv::min(cv::max(paper, 0.0), 1.0);
}

cv::Mat render(const cv::Mat& digit, DrawnVariant variant, int64_t index) {
  switch (variant) {
    case DrawnVariant::kThicker: {
      cv::Mat large = upscaled(digit);
      cv::dilate(large, large, disk(7));
      return large;
    }
    case DrawnVariant::kThinner: {
      cv::Mat large = upscaled(digit);
      cv::erode(large, large, disk(5));
      return large;
    }
    case DrawnVariant::kBlurred: {
      cv::Mat large = upscaled(digit);
      cv::GaussianBlur(large, large, cv::Size(0, 0), 1.2 * kScale);
      return large;
    }
    case DrawnVariant::kLowResolution: {
      cv::Mat small;
      cv::resize(digit, small, cv::Size(10, 10), 0, 0, cv::INTER_AREA);
      cv::Mat blocky;
      cv::resize(small, blocky, cv::Size(kSide * kScale, kSide * kScale), 0, 0, cv::INTER_NEAREST);
      return blocky;
    }
    case DrawnVariant::kRoundBrush:
      return round_brush(upscaled(digit));
    case DrawnVariant::kOffCentre:
      return off_centre(digit, index);
    case DrawnVariant::kRotated:
      return rotated(upscaled(digit), index);
    case DrawnVariant::kDarkOnLight:
      return dark_on_light(upscaled(digit), index);
  }
  throw std::invalid_argument("render_drawn_variant: unknown variant");
}

}  // namespace

std::string to_string(DrawnVariant variant) {
  switch (variant) {
    case DrawnVariant::kThicker: return "thicker";
    case DrawnVariant::kThinner: return "thinner";
    case DrawnVariant::kBlurred: return "blurred";
    case DrawnVariant::kLowResolution: return "low-resolution";
    case DrawnVariant::kRoundBrush: return "round-brush";
    case DrawnVariant::kOffCentre: return "off-centre";
    case DrawnVariant::kRotated: return "rotated";
    case DrawnVariant::kDarkOnLight: return "dark-on-light";
  }
  return "unknown";
}

std::vector<uint8_t> render_drawn_variant(const std::vector<float>& mnist_pixels, DrawnVariant variant,
                                          int64_t index) {
  if (static_cast<int64_t>(mnist_pixels.size()) != kImagePixels) {
    throw std::invalid_argument("render_drawn_variant: expected 28x28 pixels");
  }
  const cv::Mat digit(kSide, kSide, CV_32F, const_cast<float*>(mnist_pixels.data()));
  cv::Mat bytes;
  render(digit, variant, index).convertTo(bytes, CV_8U, 255.0);
  std::vector<uint8_t> png;
  if (!cv::imencode(".png", bytes, png)) throw RuntimeError("cannot encode a drawn variant as PNG");
  return png;
}

}  // namespace mnist
