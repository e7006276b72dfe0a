// The drawn and scanned renderings of MNIST digits: every variant of real test digits is a PNG
// the preparation accepts, renders the same twice, and differs from MNIST's own image in the way
// it says (ink on light paper is inverted back, a low-resolution digit is blockier, a slant leans
// the way its name says, ...).
#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <numeric>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <stdexcept>
#include <utility>
#include <vector>

#include "data/drawn_variant_set.h"
#include "data/mnist_dataset.h"
#include "image/drawn_variants.h"
#include "image/image_preprocess.h"

namespace {

std::vector<std::vector<float>> test_digits(int count) {
  const auto test = mnist::load_mnist(MNIST_TEST_DATA_DIR, mnist::MnistSplit::kTest, count);
  std::vector<std::vector<float>> digits;
  for (int i = 0; i < count; ++i) {
    const auto pixels = test.images[i].reshape({-1}).contiguous();
    digits.emplace_back(pixels.data_ptr<float>(), pixels.data_ptr<float>() + pixels.numel());
  }
  return digits;
}

double ink(const std::vector<float>& pixels) { return std::accumulate(pixels.begin(), pixels.end(), 0.0); }

cv::Mat decoded(const std::vector<float>& digit, mnist::DrawnVariant variant, int64_t index) {
  return cv::imdecode(mnist::render_drawn_variant(digit, variant, index), cv::IMREAD_GRAYSCALE);
}

// Ink of a decoded rendering in MNIST pixels (the renderings are at four times MNIST's side).
double decoded_ink(const cv::Mat& image) { return cv::sum(image)[0] / (255.0 * 16); }

// The horizontal position of the ink's centre of mass in the top and in the bottom third.
std::pair<double, double> ink_centre_top_and_bottom(const cv::Mat& image) {
  const int third = image.rows / 3;
  const auto centre_x = [&](const cv::Mat& rows) {
    const cv::Moments m = cv::moments(rows);
    return m.m00 > 0 ? m.m10 / m.m00 : 0.0;
  };
  return {centre_x(image.rowRange(0, third)), centre_x(image.rowRange(image.rows - third, image.rows))};
}

}  // namespace

TEST(DrawnVariants, EveryVariantIsAnImageThePreparationAcceptsAndIsDeterministic) {
  const auto digits = test_digits(20);
  for (const auto variant : mnist::kAllDrawnVariants) {
    SCOPED_TRACE(mnist::to_string(variant));
    for (size_t i = 0; i < digits.size(); ++i) {
      const auto png = mnist::render_drawn_variant(digits[i], variant, static_cast<int64_t>(i));
      EXPECT_EQ(png, mnist::render_drawn_variant(digits[i], variant, static_cast<int64_t>(i)));
      const auto prepared = mnist::prepare_digit(png);
      const bool photo = variant == mnist::DrawnVariant::kPhonePhoto;
      EXPECT_EQ(prepared.format, photo ? "JPEG" : "PNG");
      EXPECT_EQ(prepared.inverted, photo || variant == mnist::DrawnVariant::kDarkOnLight);
      EXPECT_FALSE(prepared.already_mnist);
      EXPECT_GT(ink(prepared.pixels), 10.0);
    }
  }
}

TEST(DrawnVariants, StrokesChangeTheWayTheirNamesSay) {
  const auto digits = test_digits(20);
  double plain = 0, thicker = 0, thinner = 0;
  for (size_t i = 0; i < digits.size(); ++i) {
    const auto index = static_cast<int64_t>(i);
    plain += ink(digits[i]);
    thicker += decoded_ink(decoded(digits[i], mnist::DrawnVariant::kThicker, index));
    thinner += decoded_ink(decoded(digits[i], mnist::DrawnVariant::kThinner, index));
  }
  EXPECT_GT(thicker, 1.3 * plain);
  EXPECT_LT(thinner, 0.8 * plain);
  const cv::Mat off = cv::imdecode(mnist::render_drawn_variant(digits[0], mnist::DrawnVariant::kOffCentre, 0),
                                   cv::IMREAD_GRAYSCALE);
  EXPECT_EQ(off.cols, 84);
  EXPECT_EQ(cv::countNonZero(off(cv::Rect(42, 42, 42, 42))), 0) << "index 0 is the top-left corner";
  EXPECT_THROW(mnist::render_drawn_variant(std::vector<float>(10), mnist::DrawnVariant::kBlurred, 0),
               std::invalid_argument);
}

TEST(DrawnVariants, PensSlantsAndPaperChangeTheDigitTheWayTheirNamesSay) {
  const auto digits = test_digits(20);
  double plain = 0, brush = 0, felt = 0, ballpoint = 0, broken = 0;
  for (size_t i = 0; i < digits.size(); ++i) {
    const auto index = static_cast<int64_t>(i);
    plain += ink(digits[i]);
    brush += decoded_ink(decoded(digits[i], mnist::DrawnVariant::kRoundBrush, index));
    felt += decoded_ink(decoded(digits[i], mnist::DrawnVariant::kFeltMarker, index));
    ballpoint += decoded_ink(decoded(digits[i], mnist::DrawnVariant::kBallpoint, index));
    broken += decoded_ink(decoded(digits[i], mnist::DrawnVariant::kBroken, index));

    // A slant to the right puts the top of the digit to the right of its bottom, and the other
    // way round, more than the upright digit does.
    const auto right = ink_centre_top_and_bottom(decoded(digits[i], mnist::DrawnVariant::kSlantedRight, index));
    const auto left = ink_centre_top_and_bottom(decoded(digits[i], mnist::DrawnVariant::kSlantedLeft, index));
    EXPECT_GT(right.first - right.second, left.first - left.second + 10.0) << "digit " << i;

    const cv::Mat faint = decoded(digits[i], mnist::DrawnVariant::kFaint, index);
    double darkest = 0, brightest = 0;
    cv::minMaxLoc(faint, &darkest, &brightest);
    EXPECT_LT(brightest, 0.5 * 255) << "digit " << i;

    // The small digit's ink lies within the middle of its box.
    const cv::Mat small = decoded(digits[i], mnist::DrawnVariant::kSmallCentred, index);
    const cv::Rect box = cv::boundingRect(small > 0);
    EXPECT_GE(box.x, small.cols / 4);
    EXPECT_LE(box.x + box.width, small.cols * 3 / 4);
    EXPECT_GE(box.y, small.rows / 4);
    EXPECT_LE(box.y + box.height, small.rows * 3 / 4);

    // Light falls off from one corner of the photo: its paper corners differ in brightness.
    const cv::Mat photo = decoded(digits[i], mnist::DrawnVariant::kPhonePhoto, index);
    const int c = 8;
    const double corners[] = {cv::mean(photo(cv::Rect(0, 0, c, c)))[0],
                              cv::mean(photo(cv::Rect(photo.cols - c, 0, c, c)))[0],
                              cv::mean(photo(cv::Rect(0, photo.rows - c, c, c)))[0],
                              cv::mean(photo(cv::Rect(photo.cols - c, photo.rows - c, c, c)))[0]};
    const auto [dimmest, brightest_corner] = std::minmax_element(std::begin(corners), std::end(corners));
    EXPECT_GT(*brightest_corner - *dimmest, 0.15 * 255) << "digit " << i;
  }
  EXPECT_GT(felt, 1.15 * brush);
  EXPECT_LT(ballpoint, 0.6 * plain);
  EXPECT_LT(broken, 0.97 * plain);
  EXPECT_GT(broken, 0.6 * plain);

  // 8x8 blocky: every 14x14 block of the 112x112 rendering is one grey; smooth: it is not.
  const cv::Mat blocky = decoded(digits[0], mnist::DrawnVariant::kTinyBlocky, 0);
  const cv::Mat smooth = decoded(digits[0], mnist::DrawnVariant::kTinySmooth, 0);
  ASSERT_EQ(blocky.cols, 112);
  int uneven_blocky = 0, uneven_smooth = 0;
  for (int y = 0; y < 112; y += 14) {
    for (int x = 0; x < 112; x += 14) {
      double low = 0, high = 0;
      cv::minMaxLoc(blocky(cv::Rect(x, y, 14, 14)), &low, &high);
      uneven_blocky += high - low > 1;
      cv::minMaxLoc(smooth(cv::Rect(x, y, 14, 14)), &low, &high);
      uneven_smooth += high - low > 1;
    }
  }
  EXPECT_EQ(uneven_blocky, 0);
  EXPECT_GT(uneven_smooth, 5);
}

// Training's broken strokes: the same cuts as the variant's, placed by the caller's seed.
TEST(DrawnVariants, BrokenStrokesForTrainingAreCutWhereTheSeedSays) {
  const auto digits = test_digits(10);
  for (size_t i = 0; i < digits.size(); ++i) {
    SCOPED_TRACE(i);
    const float* digit = digits[i].data();
    const auto whole = mnist::restyled_digit(digit, mnist::StrokeStyle::kBroken, 0, /*seed=*/7);
    const auto cut = mnist::restyled_digit(digit, mnist::StrokeStyle::kBroken, 4, /*seed=*/7);
    EXPECT_EQ(cut, mnist::restyled_digit(digit, mnist::StrokeStyle::kBroken, 4, /*seed=*/7));
    EXPECT_NE(cut, mnist::restyled_digit(digit, mnist::StrokeStyle::kBroken, 4, /*seed=*/8));
    // The preparation scales the brightest ink to 1, so the ink lost is measured against the
    // uncut digit prepared the same way.
    EXPECT_LT(ink(cut), 0.97 * ink(whole));
    EXPECT_GT(ink(cut), 0.5 * ink(whole));
  }
}

TEST(DrawnVariantSet, HoldsTheImagesThenEveryNthInEachVariantAsAnUploadIsPrepared) {
  const auto bytes = mnist::load_mnist(MNIST_TEST_DATA_DIR, mnist::MnistSplit::kTest, 10, mnist::PixelFormat::kBytes);
  const auto digits = test_digits(10);
  const auto set = mnist::with_drawn_variants(bytes, 3);
  // Images 0, 3, 6 and 9 in each variant, after the ten themselves; none refused.
  const int64_t variants = static_cast<int64_t>(std::size(mnist::kAllDrawnVariants));
  ASSERT_EQ(set.size(), 10 + 4 * variants);
  ASSERT_EQ(set.images.scalar_type(), at::kFloat);
  ASSERT_EQ(set.images.sizes(), (at::IntArrayRef{10 + 4 * variants, 1, 28, 28}));
  for (int64_t i = 0; i < 10; ++i) {
    const auto pixels = set.images[i].reshape({-1}).contiguous();
    EXPECT_EQ(std::vector<float>(pixels.data_ptr<float>(), pixels.data_ptr<float>() + pixels.numel()), digits[i]);
    EXPECT_EQ(set.labels[i].item<int64_t>(), bytes.labels[i].item<int64_t>());
  }
  for (int64_t v = 0; v < variants; ++v) {
    for (int64_t k = 0; k < 4; ++k) {
      const int64_t row = 10 + v * 4 + k;
      const int64_t source = 3 * k;
      const auto expected =
          mnist::prepare_digit(mnist::render_drawn_variant(digits[source], mnist::kAllDrawnVariants[v], source)).pixels;
      const auto pixels = set.images[row].reshape({-1}).contiguous();
      EXPECT_EQ(std::vector<float>(pixels.data_ptr<float>(), pixels.data_ptr<float>() + pixels.numel()), expected)
          << mnist::to_string(mnist::kAllDrawnVariants[v]) << " of image " << source;
      EXPECT_EQ(set.labels[row].item<int64_t>(), bytes.labels[source].item<int64_t>());
    }
  }
  EXPECT_THROW(mnist::with_drawn_variants(bytes, 0), std::invalid_argument);
}
