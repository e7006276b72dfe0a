// The drawn and scanned renderings of MNIST digits: every variant of real test digits is a PNG
// the preparation accepts, renders the same twice, and differs from MNIST's own image in the way
// it says (ink on light paper is inverted back, a low-resolution digit is blockier, ...).
#include <gtest/gtest.h>

#include <numeric>
#include <opencv2/imgcodecs.hpp>

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

}  // namespace

TEST(DrawnVariants, EveryVariantIsAPngThePreparationAcceptsAndIsDeterministic) {
  const auto digits = test_digits(20);
  for (const auto variant : mnist::kAllDrawnVariants) {
    SCOPED_TRACE(mnist::to_string(variant));
    for (size_t i = 0; i < digits.size(); ++i) {
      const auto png = mnist::render_drawn_variant(digits[i], variant, static_cast<int64_t>(i));
      EXPECT_EQ(png, mnist::render_drawn_variant(digits[i], variant, static_cast<int64_t>(i)));
      const auto prepared = mnist::prepare_digit(png);
      EXPECT_EQ(prepared.format, "PNG");
      EXPECT_EQ(prepared.inverted, variant == mnist::DrawnVariant::kDarkOnLight);
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
    const auto decoded_ink = [&](mnist::DrawnVariant variant) {
      const cv::Mat image = cv::imdecode(mnist::render_drawn_variant(digits[i], variant, index), cv::IMREAD_GRAYSCALE);
      return cv::sum(image)[0] / (255.0 * 16);  // at 4x: per MNIST pixel
    };
    plain += ink(digits[i]);
    thicker += decoded_ink(mnist::DrawnVariant::kThicker);
    thinner += decoded_ink(mnist::DrawnVariant::kThinner);
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
