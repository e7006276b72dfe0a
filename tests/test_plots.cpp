// The pictures: the confusion heatmap (size, colours following viridis, readable annotations),
// the training curves from train_log.csv (parsing and drawing), the misclassified grid and the
// reliability diagram.
// The PNGs are decoded with OpenCV and checked pixel by pixel where it matters.
#include <gtest/gtest.h>

#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "cli/evaluate_options.h"
#include "core/errors.h"
#include "report/confusion_heatmap.h"
#include "report/misclassified_grid.h"
#include "report/reliability_diagram.h"
#include "report/training_curves.h"
#include "test_support.h"

namespace fs = std::filesystem;

namespace {

cv::Mat decode(const std::vector<unsigned char>& png) {
  return cv::imdecode(png, cv::IMREAD_COLOR);
}

cv::Vec3b viridis(int level) {
  cv::Mat gray(1, 1, CV_8UC1, cv::Scalar(level));
  cv::Mat colour;
  cv::applyColorMap(gray, colour, cv::COLORMAP_VIRIDIS);
  return colour.at<cv::Vec3b>(0, 0);
}

int max_channel_difference(const cv::Vec3b& a, const cv::Vec3b& b) {
  int most = 0;
  for (int c = 0; c < 3; ++c) most = std::max(most, std::abs(a[c] - b[c]));
  return most;
}

double luminance(const cv::Vec3b& bgr) { return 0.0722 * bgr[0] + 0.7152 * bgr[1] + 0.2126 * bgr[2]; }

// The background colour of a cell, sampled near its corner, clear of the centred annotation.
cv::Vec3b cell_colour(const cv::Mat& image, const mnist::PixelRect& cell) {
  return image.at<cv::Vec3b>(cell.y + 5, cell.x + 5);
}

// Pixels of the cell (inside its border gap) that differ clearly from its background colour.
int annotation_pixels(const cv::Mat& image, const mnist::PixelRect& cell) {
  const cv::Vec3b background = cell_colour(image, cell);
  int count = 0;
  for (int y = cell.y + 3; y < cell.y + cell.height - 3; ++y) {
    for (int x = cell.x + 3; x < cell.x + cell.width - 3; ++x) {
      if (max_channel_difference(image.at<cv::Vec3b>(y, x), background) > 60) ++count;
    }
  }
  return count;
}

mnist::ConfusionMatrix digit_matrix() {
  mnist::ConfusionMatrix confusion(10, std::vector<int64_t>(10, 0));
  for (int c = 0; c < 10; ++c) confusion[c][c] = 950 + 10 * c;
  confusion[4][9] = 34;
  confusion[9][7] = 3;
  return confusion;
}

mnist::HeatmapStyle style(bool percentages, mnist::ColorScale scale) {
  mnist::HeatmapStyle s;
  s.title = "mnist_mlp (784-300-100-10), MNIST test set";
  s.subtitle = "accuracy 97.81% +/- 0.15% (standard error) on 10000 images";
  s.percentages = percentages;
  s.scale = scale;
  return s;
}

const char* const kLogHeader =
    "epoch,train_loss,train_accuracy,val_loss,val_accuracy,test_loss,test_accuracy,seconds\n";

fs::path write_file(const fs::path& path, const std::string& text) {
  std::ofstream(path) << text;
  return path;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Confusion heatmap

TEST(ConfusionHeatmap, HasTheLayoutSizeOfAtLeast800Pixels) {
  for (const bool percentages : {false, true}) {
    const auto s = style(percentages, mnist::ColorScale::kLog);
    const auto image = decode(mnist::render_confusion_heatmap(digit_matrix(), s));
    const auto layout = mnist::confusion_heatmap_layout(10, s);
    ASSERT_FALSE(image.empty());
    EXPECT_EQ(image.cols, layout.width);
    EXPECT_EQ(image.rows, layout.height);
    EXPECT_GE(image.cols, 800);
    EXPECT_GE(image.rows, 800);
    EXPECT_EQ(image.channels(), 3);
  }
}

TEST(ConfusionHeatmap, CellColoursFollowViridisFromLowToHigh) {
  for (const auto scale : {mnist::ColorScale::kLog, mnist::ColorScale::kLinear}) {
    SCOPED_TRACE(mnist::to_string(scale));
    const auto s = style(false, scale);
    const auto image = decode(mnist::render_confusion_heatmap(digit_matrix(), s));
    const auto layout = mnist::confusion_heatmap_layout(10, s);
    const cv::Vec3b highest = cell_colour(image, layout.cell(9, 9));  // 1040, the maximum
    const cv::Vec3b middle = cell_colour(image, layout.cell(4, 9));   // 34
    const cv::Vec3b zero = cell_colour(image, layout.cell(0, 1));
    EXPECT_LE(max_channel_difference(highest, viridis(255)), 2);
    EXPECT_LE(max_channel_difference(zero, viridis(0)), 2);
    // Viridis runs from dark blue-violet to bright yellow: brighter, greener, less blue.
    EXPECT_GT(luminance(highest), luminance(zero) + 100);
    EXPECT_GT(highest[1], zero[1]);
    EXPECT_LT(highest[0], zero[0]);
    EXPECT_GE(luminance(middle), luminance(zero));
    EXPECT_LE(luminance(middle), luminance(highest));
  }
  // The log scale spreads the small counts out: 34 of 1040 is well up the map, not near black.
  const auto s = style(false, mnist::ColorScale::kLog);
  const auto image = decode(mnist::render_confusion_heatmap(digit_matrix(), s));
  const auto layout = mnist::confusion_heatmap_layout(10, s);
  EXPECT_GT(luminance(cell_colour(image, layout.cell(4, 9))), luminance(viridis(100)));
}

TEST(ConfusionHeatmap, EveryCellIsAnnotatedInAColourThatStandsOut) {
  const auto s = style(false, mnist::ColorScale::kLog);
  const auto image = decode(mnist::render_confusion_heatmap(digit_matrix(), s));
  const auto layout = mnist::confusion_heatmap_layout(10, s);
  for (int truth = 0; truth < 10; ++truth) {
    for (int predicted = 0; predicted < 10; ++predicted) {
      EXPECT_GT(annotation_pixels(image, layout.cell(truth, predicted)), 30)
          << "cell " << truth << "," << predicted << " is one flat colour";
    }
  }
  // Dark ink on the bright diagonal, light ink on the dark zero cells.
  const auto darkest_in = [&](const mnist::PixelRect& cell) {
    double darkest = 255;
    for (int y = cell.y + 3; y < cell.y + cell.height - 3; ++y) {
      for (int x = cell.x + 3; x < cell.x + cell.width - 3; ++x) {
        darkest = std::min(darkest, luminance(image.at<cv::Vec3b>(y, x)));
      }
    }
    return darkest;
  };
  const auto brightest_in = [&](const mnist::PixelRect& cell) {
    double brightest = 0;
    for (int y = cell.y + 3; y < cell.y + cell.height - 3; ++y) {
      for (int x = cell.x + 3; x < cell.x + cell.width - 3; ++x) {
        brightest = std::max(brightest, luminance(image.at<cv::Vec3b>(y, x)));
      }
    }
    return brightest;
  };
  EXPECT_LT(darkest_in(layout.cell(9, 9)), 60);
  EXPECT_GT(brightest_in(layout.cell(0, 1)), 200);
}

TEST(ConfusionHeatmap, PercentagesColourEachRowByItsOwnTotal) {
  // Row 1 has ten times fewer images than row 0, yet its 100% cell reaches the top of the map.
  const mnist::ConfusionMatrix confusion{{900, 100}, {0, 90}};
  const auto s = style(true, mnist::ColorScale::kLinear);
  const auto image = decode(mnist::render_confusion_heatmap(confusion, s));
  const auto layout = mnist::confusion_heatmap_layout(2, s);
  EXPECT_LE(max_channel_difference(cell_colour(image, layout.cell(1, 1)), viridis(255)), 2);
  EXPECT_LE(max_channel_difference(cell_colour(image, layout.cell(0, 0)), viridis(230)), 2);  // 90%
  EXPECT_LE(max_channel_difference(cell_colour(image, layout.cell(0, 1)), viridis(26)), 2);   // 10%
}

TEST(ConfusionHeatmap, WritesAPngFile) {
  mnist::test::TempDir dir;
  const fs::path path = dir.path() / "sub" / "confusion.png";
  mnist::write_confusion_heatmap(path, digit_matrix(), style(false, mnist::ColorScale::kLog));
  const cv::Mat image = cv::imread(path.string(), cv::IMREAD_COLOR);
  EXPECT_GE(image.cols, 800);
  EXPECT_EQ(mnist::test::count_files(dir.path() / "sub"), 1);
}

TEST(ConfusionHeatmap, ColorScaleOption) {
  EXPECT_EQ(mnist::parse_color_scale("log"), mnist::ColorScale::kLog);
  EXPECT_EQ(mnist::parse_color_scale("linear"), mnist::ColorScale::kLinear);
  try {
    mnist::parse_color_scale("cubic");
    FAIL() << "no error";
  } catch (const mnist::UsageError& e) {
    EXPECT_STREQ(e.what(), "--color-scale cubic: must be log or linear");
  }
  EXPECT_THROW(mnist::render_confusion_heatmap({{1, 2}}, style(false, mnist::ColorScale::kLog)),
               std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------
// Training curves

TEST(TrainingCurves, ReadsTheLogWithAndWithoutValidationColumns) {
  mnist::test::TempDir dir;
  const auto csv = write_file(dir.path() / "train_log.csv",
                              std::string(kLogHeader) +
                                  "1,0.200000,0.940000,,,0.110000,0.966000,4.375\n"
                                  "2,0.090000,0.970000,0.100000,0.969000,0.095000,0.970100,2.659\n");
  const auto rows = mnist::read_train_log(csv);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].epoch, 1);
  EXPECT_DOUBLE_EQ(rows[0].train_loss, 0.2);
  EXPECT_DOUBLE_EQ(rows[0].train_accuracy, 0.94);
  EXPECT_FALSE(rows[0].val_loss.has_value());
  EXPECT_FALSE(rows[0].val_accuracy.has_value());
  EXPECT_DOUBLE_EQ(rows[0].test_loss, 0.11);
  EXPECT_DOUBLE_EQ(rows[0].test_accuracy, 0.966);
  EXPECT_DOUBLE_EQ(rows[0].seconds, 4.375);
  EXPECT_EQ(rows[1].epoch, 2);
  EXPECT_DOUBLE_EQ(rows[1].val_loss.value_or(-1), 0.1);
  EXPECT_DOUBLE_EQ(rows[1].val_accuracy.value_or(-1), 0.969);
}

TEST(TrainingCurves, BadLogsAreRuntimeErrorsNamingTheFile) {
  mnist::test::TempDir dir;
  const auto expect_error = [&](const std::string& name, const std::string& text,
                                const std::string& phrase) {
    SCOPED_TRACE(name);
    const fs::path csv = dir.path() / name;
    if (!text.empty()) write_file(csv, text);
    try {
      mnist::read_train_log(csv);
      ADD_FAILURE() << "no error";
    } catch (const mnist::RuntimeError& e) {
      EXPECT_NE(std::string(e.what()).find(csv.string()), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(phrase), std::string::npos) << e.what();
    }
  };
  expect_error("missing.csv", "", "cannot read");
  expect_error("header.csv", "epoch,loss\n1,0.5\n", "header");
  expect_error("empty.csv", kLogHeader, "no epochs");
  expect_error("number.csv", std::string(kLogHeader) + "1,0.2,abc,,,0.1,0.9,1\n", ":2: train_accuracy 'abc'");
  expect_error("fields.csv", std::string(kLogHeader) + "1,0.2,0.9,,,0.1,0.9\n", ":2: expected 8");
  expect_error("epoch.csv", std::string(kLogHeader) + "0.5,0.2,0.9,,,0.1,0.9,1\n", "epoch");
}

TEST(TrainingCurves, DrawsATwoPanelPng) {
  mnist::test::TempDir dir;
  std::string text = kLogHeader;
  for (int epoch = 1; epoch <= 5; ++epoch) {
    text += std::to_string(epoch) + "," + std::to_string(0.3 / epoch) + "," +
            std::to_string(0.9 + 0.01 * epoch) + ",,," + std::to_string(0.2 / epoch) + "," +
            std::to_string(0.92 + 0.005 * epoch) + ",3.0\n";
  }
  const auto csv = write_file(dir.path() / "train_log.csv", text);
  const fs::path png = dir.path() / "training_curves.png";
  mnist::draw_training_curves(csv, png);
  const cv::Mat image = cv::imread(png.string(), cv::IMREAD_COLOR);
  ASSERT_FALSE(image.empty());
  EXPECT_EQ(image.cols, 1280);
  EXPECT_EQ(image.rows, 640);
  // The train curve (blue) and the test curve (bluish green) are both drawn.
  int train_pixels = 0, test_pixels = 0;
  for (int y = 0; y < image.rows; ++y) {
    for (int x = 0; x < image.cols; ++x) {
      const auto p = image.at<cv::Vec3b>(y, x);
      if (max_channel_difference(p, {178, 114, 0}) < 10) ++train_pixels;
      if (max_channel_difference(p, {115, 158, 0}) < 10) ++test_pixels;
    }
  }
  EXPECT_GT(train_pixels, 500);
  EXPECT_GT(test_pixels, 500);
  EXPECT_EQ(mnist::test::count_files(dir.path()), 2);
}

TEST(TrainingCurves, ASingleEpochStillDraws) {
  mnist::TrainLogRow row;
  row.epoch = 1;
  row.train_loss = row.test_loss = 0.1;
  row.train_accuracy = row.test_accuracy = 0.97;
  const cv::Mat image = decode(mnist::render_training_curves({row}, "one epoch"));
  EXPECT_EQ(image.cols, 1280);
  EXPECT_THROW(mnist::render_training_curves({}, "none"), std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------
// Misclassified grid

TEST(MisclassifiedGrid, ShowsEachImageWithACaption) {
  std::vector<mnist::MisclassifiedExample> examples;
  for (int i = 0; i < 3; ++i) {
    mnist::MisclassifiedExample example;
    example.index = 100 + i;
    example.truth = 4;
    example.predicted = 9;
    example.probability = 0.9;
    example.pixels.assign(28 * 28, 0.0f);
    for (int y = 4; y < 24; ++y) example.pixels[static_cast<size_t>(y * 28 + 14)] = 1.0f;
    examples.push_back(example);
  }
  const cv::Mat image = decode(mnist::render_misclassified_grid(examples, "three mistakes"));
  ASSERT_FALSE(image.empty());
  EXPECT_GE(image.cols, 3 * 112);
  // Each digit appears as black tiles with a white stroke: count pure white pixels.
  int white = 0, black = 0;
  for (int y = 0; y < image.rows; ++y) {
    for (int x = 0; x < image.cols; ++x) {
      const auto p = image.at<cv::Vec3b>(y, x);
      if (p == cv::Vec3b(255, 255, 255)) ++white;
      if (p == cv::Vec3b(0, 0, 0)) ++black;
    }
  }
  EXPECT_GE(black, 3 * (112 * 112 - 20 * 4 * 4));
  EXPECT_GT(white, 0);

  EXPECT_FALSE(decode(mnist::render_misclassified_grid({}, "none")).empty());
  examples[1].pixels.pop_back();
  EXPECT_THROW(mnist::render_misclassified_grid(examples, "bad"), std::invalid_argument);
}

namespace {

// Pixels of exactly `bgr` in the right half of the reliability panel, where the high-confidence
// bins are (the legend is in its top-left corner).
int left_panel_pixels(const cv::Mat& image, const cv::Vec3b& bgr) {
  int count = 0;
  for (int y = 0; y < image.rows; ++y) {
    for (int x = 400; x < image.cols / 2; ++x) count += image.at<cv::Vec3b>(y, x) == bgr ? 1 : 0;
  }
  return count;
}

cv::Mat reliability_image(double confidence, int right_of_ten) {
  mnist::ConfidenceSet set;
  for (int i = 0; i < 10; ++i) {
    set.confidence.push_back(confidence);
    set.correct.push_back(i < right_of_ten ? 1 : 0);
  }
  return decode(mnist::render_reliability_diagram(mnist::reliability_plot("test", set)));
}

}  // namespace

TEST(ReliabilityDiagram, BarsRiseWithAccuracyAndTheGapShowsOnlyWhenMiscalibrated) {
  const cv::Vec3b bar(178, 114, 0);  // the accuracy bars' blue
  const cv::Vec3b gap_line(0, 159, 230);  // the orange line at a bin's mean confidence
  const cv::Mat calibrated = reliability_image(0.9, 9);
  const cv::Mat overconfident = reliability_image(0.9, 5);
  ASSERT_EQ(calibrated.cols, 1280);
  ASSERT_EQ(calibrated.rows, 700);
  const int full = left_panel_pixels(calibrated, bar);
  const int half = left_panel_pixels(overconfident, bar);
  ASSERT_GT(full, 1000);
  EXPECT_NEAR(static_cast<double>(half) / full, 5.0 / 9, 0.03);
  EXPECT_EQ(left_panel_pixels(calibrated, gap_line), 0);
  EXPECT_GT(left_panel_pixels(overconfident, gap_line), 20);
}

TEST(ReliabilityDiagram, WritesAPngFile) {
  mnist::test::TempDir dir;
  mnist::ConfidenceSet set{{0.3, 0.7, 0.99}, {0, 1, 1}};
  mnist::write_reliability_diagram(dir.path() / "reliability.png", mnist::reliability_plot("t", set));
  EXPECT_EQ(cv::imread((dir.path() / "reliability.png").string()).cols, 1280);
  EXPECT_THROW(mnist::render_reliability_diagram(mnist::ReliabilityPlot{}), std::invalid_argument);
}
