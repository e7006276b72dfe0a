// Drawn and scanned renderings of MNIST digits; see drawn_variants.h.
#include "image/drawn_variants.h"

#include <algorithm>
#include <cmath>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/errors.h"
#include "core/mnist_shape.h"
#include "core/seed.h"
#include "image/image_preprocess.h"

namespace mnist {

namespace {

constexpr int kSide = static_cast<int>(kImageSide);
// Work at four times MNIST's resolution, so strokes can change by fractions of an MNIST pixel.
constexpr int kScale = 4;

// Pixels clipped to [0, 1], as rendered ink and paper must be.
cv::Mat clipped(const cv::Mat& image) { return cv::min(cv::max(image, 0.0), 1.0); }

cv::Mat upscaled(const cv::Mat& digit) {
  cv::Mat large;
  cv::resize(digit, large, cv::Size(kSide * kScale, kSide * kScale), 0, 0, cv::INTER_CUBIC);
  return clipped(large);
}

cv::Mat disk(int diameter) { return cv::getStructuringElement(cv::MORPH_ELLIPSE, {diameter, diameter}); }

// Whether Zhang and Suen's thinning (1984) removes a pixel, in its first and second sub-pass,
// for each of the 256 ways its eight neighbours (bit i: neighbour i clockwise from the one above)
// can be set: it has 2 to 6 of them, one 0-to-1 transition around it, and is on the side the
// sub-pass peels.
struct ThinningTable {
  bool removes[2][256] = {};
  ThinningTable() {
    for (int pass = 0; pass < 2; ++pass) {
      for (int code = 0; code < 256; ++code) {
        int p[8];
        for (int i = 0; i < 8; ++i) p[i] = (code >> i) & 1;
        int neighbours = 0;
        int transitions = 0;
        for (int i = 0; i < 8; ++i) {
          neighbours += p[i];
          transitions += p[i] == 0 && p[(i + 1) % 8] == 1;
        }
        const bool peeled_side = pass == 0 ? (p[0] * p[2] * p[4] == 0 && p[2] * p[4] * p[6] == 0)
                                           : (p[0] * p[2] * p[6] == 0 && p[0] * p[4] * p[6] == 0);
        removes[pass][code] = neighbours >= 2 && neighbours <= 6 && transitions == 1 && peeled_side;
      }
    }
  }
};

// Zhang and Suen's thinning: the one-pixel-wide skeleton of a binary image (the image's outermost
// rows and columns are kept as they are). Only pixels on the ink's edge can be removed (an inner
// pixel has 8 neighbours), so each sub-pass looks at the edge alone, which grows by the neighbours
// of what it removed; this is what makes the redrawing styles cheap enough to train on.
cv::Mat skeleton(const cv::Mat& binary) {
  static const ThinningTable table;
  cv::Mat image;
  binary.convertTo(image, CV_8U, 1.0 / 255.0);
  const int step = static_cast<int>(image.step[0]);
  uchar* pixels = image.data;
  const int neighbour[8] = {-step, -step + 1, 1, step + 1, step, step - 1, -1, -step - 1};
  // Listed: on the edge already, or in the outermost rows and columns, which are never removed.
  cv::Mat listed_mask = cv::Mat::ones(image.size(), CV_8U);
  listed_mask(cv::Rect(1, 1, image.cols - 2, image.rows - 2)).setTo(0);
  uchar* listed = listed_mask.data;
  std::vector<int> edge;
  for (int y = 1; y < image.rows - 1; ++y) {
    for (int x = 1; x < image.cols - 1; ++x) {
      const int at = y * step + x;
      if (pixels[at] == 0) continue;
      for (const int offset : neighbour) {
        if (pixels[at + offset] == 0) {
          edge.push_back(at);
          listed[at] = 1;
          break;
        }
      }
    }
  }
  std::vector<int> removed;
  bool changed = true;
  while (changed) {
    changed = false;
    for (int pass = 0; pass < 2; ++pass) {
      // Decided on the image as the sub-pass found it, then removed together.
      removed.clear();
      for (const int at : edge) {
        int code = 0;
        for (int i = 0; i < 8; ++i) code |= pixels[at + neighbour[i]] << i;
        if (table.removes[pass][code]) removed.push_back(at);
      }
      if (removed.empty()) continue;
      changed = true;
      for (const int at : removed) pixels[at] = 0;
      edge.erase(std::remove_if(edge.begin(), edge.end(), [&](int at) { return pixels[at] == 0; }), edge.end());
      for (const int at : removed) {
        for (const int offset : neighbour) {
          const int next = at + offset;
          if (pixels[next] != 0 && !listed[next]) {
            listed[next] = 1;
            edge.push_back(next);
          }
        }
      }
    }
  }
  return image * 255;
}

// The stroke's skeleton redrawn with a round pen of `radius` pixels (at kScale), as a brush, a
// marker or a ballpoint draws a line whatever the width of the original stroke.
cv::Mat redrawn_with_pen(const cv::Mat& large, int radius) {
  cv::Mat binary;
  cv::threshold(large, binary, 0.5, 255.0, cv::THRESH_BINARY);
  cv::Mat bones = skeleton(binary);
  cv::Mat redrawn = cv::Mat::zeros(large.size(), CV_32F);
  for (int y = 0; y < bones.rows; ++y) {
    for (int x = 0; x < bones.cols; ++x) {
      if (bones.at<uchar>(y, x) != 0) cv::circle(redrawn, {x, y}, radius, cv::Scalar(1.0), cv::FILLED, cv::LINE_AA);
    }
  }
  return redrawn;
}

// The random choices of one variant of one image: the same every time for (stream, index).
cv::RNG variant_rng(uint64_t stream, int64_t index) {
  return cv::RNG(derive_item_seed(stream, static_cast<uint64_t>(index)));
}

// Drawn at side x side (area-averaged, as a sensor or a thumbnail sums light) and scaled up again.
cv::Mat low_resolution(const cv::Mat& digit, int side, int interpolation) {
  cv::Mat small;
  cv::resize(digit, small, cv::Size(side, side), 0, 0, cv::INTER_AREA);
  cv::Mat large;
  cv::resize(small, large, cv::Size(kSide * kScale, kSide * kScale), 0, 0, interpolation);
  return clipped(large);
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
  cv::RNG rng = variant_rng(0x5CA9, index);
  cv::Mat noise(large.size(), CV_32F);
  rng.fill(noise, cv::RNG::NORMAL, 0.0, 0.03);
  cv::Mat paper = 0.92 - 0.8 * large + noise;  // grey-white paper, ink not quite black
  return clipped(paper);
}

// Sheared by `degrees` (positive: the top leans right) in a field wide enough to hold it.
cv::Mat slanted(const cv::Mat& large, double degrees) {
  const double shear = std::tan(degrees * CV_PI / 180.0);
  const int margin = static_cast<int>(std::ceil(std::abs(shear) * large.rows / 2.0));
  const double centre_y = (large.rows - 1) / 2.0;
  // x' = x + shear * (centre_y - y) + margin: rows above the centre move right for shear > 0.
  const cv::Matx23d shearing(1.0, -shear, shear * centre_y + margin, 0.0, 1.0, 0.0);
  cv::Mat leaning;
  cv::warpAffine(large, leaning, shearing, cv::Size(large.cols + 2 * margin, large.rows), cv::INTER_LINEAR,
                 cv::BORDER_CONSTANT, cv::Scalar(0.0));
  return leaning;
}

// `gaps` gaps about 1.5 MNIST pixels wide, each cut through a point of the ink at a random angle,
// as a dry pen or a light touch leaves them; rng picks the points and angles.
cv::Mat broken(const cv::Mat& large, int gaps, cv::RNG& rng) {
  std::vector<cv::Point> inked;
  for (int y = 0; y < large.rows; ++y) {
    for (int x = 0; x < large.cols; ++x) {
      if (large.at<float>(y, x) > 0.5f) inked.emplace_back(x, y);
    }
  }
  cv::Mat cut = large.clone();
  if (inked.empty()) return cut;
  const double half_length = 3.0 * kScale;
  for (int i = 0; i < gaps; ++i) {
    const cv::Point centre = inked[static_cast<size_t>(rng.uniform(0, static_cast<int>(inked.size())))];
    const double angle = rng.uniform(0.0, CV_PI);
    const cv::Point offset(static_cast<int>(std::lround(half_length * std::cos(angle))),
                           static_cast<int>(std::lround(half_length * std::sin(angle))));
    cv::line(cut, centre - offset, centre + offset, cv::Scalar(0.0), static_cast<int>(1.5 * kScale), cv::LINE_AA);
  }
  return cut;
}

// The broken variant: three to five gaps.
cv::Mat broken_variant(const cv::Mat& large, int64_t index) {
  cv::RNG rng = variant_rng(0xB20C, index);
  const int gaps = 3 + rng.uniform(0, 3);
  return broken(large, gaps, rng);
}

// Ink at a third of full strength over a background a little above black, with noise.
cv::Mat faint(const cv::Mat& large, int64_t index) {
  cv::RNG rng = variant_rng(0xFA17, index);
  cv::Mat noise(large.size(), CV_32F);
  rng.fill(noise, cv::RNG::NORMAL, 0.0, 0.02);
  cv::Mat weak = 0.05 + 0.3 * large + noise;
  return clipped(weak);
}

// Dark ink on paper lit from one corner (the light falling to about half at the far corner),
// slightly out of focus and noisy, as a phone photo; encoded as JPEG by the caller.
cv::Mat phone_photo(const cv::Mat& large, int64_t index) {
  cv::RNG rng = variant_rng(0xF070, index);
  const int corner = rng.uniform(0, 4);
  const cv::Point2d lit((corner % 2 == 0) ? 0.0 : large.cols - 1.0, (corner / 2 == 0) ? 0.0 : large.rows - 1.0);
  const double farthest = std::hypot(large.cols - 1.0, large.rows - 1.0);
  cv::Mat light(large.size(), CV_32F);
  for (int y = 0; y < light.rows; ++y) {
    for (int x = 0; x < light.cols; ++x) {
      light.at<float>(y, x) = static_cast<float>(1.0 - 0.45 * std::hypot(x - lit.x, y - lit.y) / farthest);
    }
  }
  cv::Mat paper = 0.9 - 0.75 * large;
  paper = paper.mul(light);
  cv::GaussianBlur(paper, paper, cv::Size(0, 0), 0.6 * kScale);
  cv::Mat noise(large.size(), CV_32F);
  rng.fill(noise, cv::RNG::NORMAL, 0.0, 0.03);
  paper += noise;
  return clipped(paper);
}

// The digit at 40% of its size in the middle of a box of the usual size.
cv::Mat small_centred(const cv::Mat& large) {
  const int side = static_cast<int>(large.cols * 0.4);
  cv::Mat small;
  cv::resize(large, small, cv::Size(side, side), 0, 0, cv::INTER_AREA);
  cv::Mat box = cv::Mat::zeros(large.size(), CV_32F);
  const int at = (large.cols - side) / 2;
  small.copyTo(box(cv::Rect(at, at, side, side)));
  return box;
}

// The digit (28x28) in `style` by `amount`, at kScale times its size; see StrokeStyle.
cv::Mat restyled(const cv::Mat& digit, StrokeStyle style, double amount, uint64_t seed) {
  const auto at_scale = [](double mnist_pixels) { return std::max(1, static_cast<int>(std::lround(mnist_pixels * kScale))); };
  switch (style) {
    case StrokeStyle::kThicker: {
      cv::Mat large = upscaled(digit);
      cv::dilate(large, large, disk(at_scale(amount)));
      return large;
    }
    case StrokeStyle::kThinner: {
      cv::Mat large = upscaled(digit);
      cv::erode(large, large, disk(at_scale(amount)));
      return large;
    }
    case StrokeStyle::kBlurred: {
      cv::Mat large = upscaled(digit);
      cv::GaussianBlur(large, large, cv::Size(0, 0), amount * kScale);
      return large;
    }
    case StrokeStyle::kBlockyLowResolution:
      return low_resolution(digit, static_cast<int>(std::lround(amount)), cv::INTER_NEAREST);
    case StrokeStyle::kSmoothLowResolution:
      return low_resolution(digit, static_cast<int>(std::lround(amount)), cv::INTER_LINEAR);
    case StrokeStyle::kSlanted:
      return slanted(upscaled(digit), amount);
    case StrokeStyle::kPen:
      return redrawn_with_pen(upscaled(digit), at_scale(amount / 2));
    case StrokeStyle::kBroken: {
      cv::RNG rng(seed);
      return broken(upscaled(digit), static_cast<int>(std::lround(amount)), rng);
    }
  }
  throw std::invalid_argument("restyled_digit: unknown style");
}

cv::Mat render(const cv::Mat& digit, DrawnVariant variant, int64_t index) {
  switch (variant) {
    case DrawnVariant::kThicker:
      return restyled(digit, StrokeStyle::kThicker, 1.75, /*seed=*/0);
    case DrawnVariant::kThinner:
      return restyled(digit, StrokeStyle::kThinner, 1.25, /*seed=*/0);
    case DrawnVariant::kBlurred:
      return restyled(digit, StrokeStyle::kBlurred, 1.2, /*seed=*/0);
    case DrawnVariant::kLowResolution:
      return restyled(digit, StrokeStyle::kBlockyLowResolution, 10, /*seed=*/0);
    case DrawnVariant::kRoundBrush:
      // A stroke about 3.5 MNIST pixels wide, as the page's brush is about a twelfth of its canvas.
      return restyled(digit, StrokeStyle::kPen, 3.5, /*seed=*/0);
    case DrawnVariant::kOffCentre:
      return off_centre(digit, index);
    case DrawnVariant::kRotated:
      return rotated(upscaled(digit), index);
    case DrawnVariant::kDarkOnLight:
      return dark_on_light(upscaled(digit), index);
    case DrawnVariant::kTinyBlocky:
      return restyled(digit, StrokeStyle::kBlockyLowResolution, 8, /*seed=*/0);
    case DrawnVariant::kTinySmooth:
      return restyled(digit, StrokeStyle::kSmoothLowResolution, 8, /*seed=*/0);
    case DrawnVariant::kFeltMarker: {
      cv::Mat marker = restyled(digit, StrokeStyle::kPen, 4.5, /*seed=*/0);
      cv::GaussianBlur(marker, marker, cv::Size(0, 0), 0.5 * kScale);
      return marker;
    }
    case DrawnVariant::kBallpoint:
      return restyled(digit, StrokeStyle::kPen, 1.0, /*seed=*/0);
    case DrawnVariant::kSlantedRight:
      return restyled(digit, StrokeStyle::kSlanted, 20.0, /*seed=*/0);
    case DrawnVariant::kSlantedLeft:
      return restyled(digit, StrokeStyle::kSlanted, -20.0, /*seed=*/0);
    case DrawnVariant::kBroken:
      return broken_variant(upscaled(digit), index);
    case DrawnVariant::kFaint:
      return faint(upscaled(digit), index);
    case DrawnVariant::kPhonePhoto:
      return phone_photo(upscaled(digit), index);
    case DrawnVariant::kSmallCentred:
      return small_centred(upscaled(digit));
  }
  throw std::invalid_argument("render_drawn_variant: unknown variant");
}

cv::Mat mnist_digit(const float* pixels) { return cv::Mat(kSide, kSide, CV_32F, const_cast<float*>(pixels)); }

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
    case DrawnVariant::kTinyBlocky: return "8x8-blocky";
    case DrawnVariant::kTinySmooth: return "8x8-smooth";
    case DrawnVariant::kFeltMarker: return "felt-marker";
    case DrawnVariant::kBallpoint: return "ballpoint";
    case DrawnVariant::kSlantedRight: return "slanted-right";
    case DrawnVariant::kSlantedLeft: return "slanted-left";
    case DrawnVariant::kBroken: return "broken";
    case DrawnVariant::kFaint: return "faint";
    case DrawnVariant::kPhonePhoto: return "phone-photo";
    case DrawnVariant::kSmallCentred: return "small-centred";
  }
  return "unknown";
}

std::vector<uint8_t> render_drawn_variant(const std::vector<float>& mnist_pixels, DrawnVariant variant,
                                          int64_t index) {
  if (static_cast<int64_t>(mnist_pixels.size()) != kImagePixels) {
    throw std::invalid_argument("render_drawn_variant: expected 28x28 pixels");
  }
  cv::Mat bytes;
  render(mnist_digit(mnist_pixels.data()), variant, index).convertTo(bytes, CV_8U, 255.0);
  // A phone stores its photos as JPEG, at a quality that leaves artefacts around the strokes.
  const bool photo = variant == DrawnVariant::kPhonePhoto;
  std::vector<uint8_t> encoded;
  const std::vector<int> parameters = photo ? std::vector<int>{cv::IMWRITE_JPEG_QUALITY, 60} : std::vector<int>{};
  if (!cv::imencode(photo ? ".jpg" : ".png", bytes, encoded, parameters)) {
    throw RuntimeError("cannot encode a drawn variant as " + std::string(photo ? "JPEG" : "PNG"));
  }
  return encoded;
}

std::vector<float> restyled_digit(const float* mnist_pixels, StrokeStyle style, double amount, uint64_t seed) {
  // clipped() writes a new matrix, so its rows follow one another as prepare_digit_pixels reads them.
  const cv::Mat image = clipped(restyled(mnist_digit(mnist_pixels), style, amount, seed));
  return prepare_digit_pixels(image.ptr<float>(), image.rows, image.cols).pixels;
}

}  // namespace mnist
