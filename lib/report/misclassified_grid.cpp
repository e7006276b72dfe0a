// Grid of misclassified images; see misclassified_grid.h.
#include "report/misclassified_grid.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "report/plot_canvas.h"

namespace mnist {
namespace fs = std::filesystem;
using plot::Align;

namespace {

constexpr int kImageSize = 112;  // 28 pixels enlarged four times
constexpr int kTileWidth = 188;
constexpr int kTileHeight = kImageSize + 62;
constexpr int kMaxColumns = 8;
constexpr int kMargin = 24;
constexpr int kHeaderHeight = 76;
constexpr int kMinWidth = 720;

int image_side(const MisclassifiedExample& example) {
  const int side = static_cast<int>(std::lround(std::sqrt(static_cast<double>(example.pixels.size()))));
  if (side == 0 || static_cast<size_t>(side) * static_cast<size_t>(side) != example.pixels.size()) {
    throw std::invalid_argument("misclassified image " + std::to_string(example.index) + " has " +
                                std::to_string(example.pixels.size()) + " pixels, not a square");
  }
  return side;
}

}  // namespace

std::vector<unsigned char> render_misclassified_grid(const std::vector<MisclassifiedExample>& examples,
                                                     const std::string& title) {
  const int count = static_cast<int>(examples.size());
  const int columns = std::clamp(count, 1, kMaxColumns);
  const int rows = std::max(1, (count + columns - 1) / columns);
  const int grid_width = columns * kTileWidth;
  const int width = std::max(kMinWidth, grid_width + 2 * kMargin);
  const int height = kHeaderHeight + rows * kTileHeight + kMargin;
  cv::Mat canvas(height, width, CV_8UC3, plot::kBackground);

  plot::draw_text(canvas, title, {width / 2, 20}, Align::kCenter, Align::kStart,
                  plot::fitting_scale(title, 0.75, width - 2 * kMargin), plot::kInk);
  plot::draw_text(canvas, "caption: true -> predicted (probability of the prediction), #index",
                  {width / 2, 52}, Align::kCenter, Align::kStart, 0.5, plot::kMutedInk);
  if (examples.empty()) {
    plot::draw_text(canvas, "no misclassified images", {width / 2, kHeaderHeight + kTileHeight / 2},
                    Align::kCenter, Align::kCenter, 0.7, plot::kInk);
    return plot::encode_png(canvas);
  }

  const int left = (width - grid_width) / 2;
  for (int i = 0; i < count; ++i) {
    const auto& example = examples[static_cast<size_t>(i)];
    const int side = image_side(example);
    cv::Mat digit(side, side, CV_8UC1);
    for (int y = 0; y < side; ++y) {
      for (int x = 0; x < side; ++x) {
        const float value = example.pixels[static_cast<size_t>(y * side + x)];
        digit.at<uchar>(y, x) = cv::saturate_cast<uchar>(std::lround(std::clamp(value, 0.0f, 1.0f) * 255));
      }
    }
    cv::Mat enlarged;
    cv::resize(digit, enlarged, {kImageSize, kImageSize}, 0, 0, cv::INTER_NEAREST);
    cv::Mat colour;
    cv::cvtColor(enlarged, colour, cv::COLOR_GRAY2BGR);

    const int tile_x = left + (i % columns) * kTileWidth;
    const int tile_y = kHeaderHeight + (i / columns) * kTileHeight;
    const int image_x = tile_x + (kTileWidth - kImageSize) / 2;
    colour.copyTo(canvas(cv::Rect(image_x, tile_y, kImageSize, kImageSize)));

    // A wrong answer given with probability 0.9997 should not read as certainty.
    char probability[16];
    if (example.probability >= 0.9995) {
      std::snprintf(probability, sizeof probability, ">0.999");
    } else {
      std::snprintf(probability, sizeof probability, "%.3f", example.probability);
    }
    char caption[64];
    std::snprintf(caption, sizeof caption, "%lld -> %lld (%s)", static_cast<long long>(example.truth),
                  static_cast<long long>(example.predicted), probability);
    const int centre = tile_x + kTileWidth / 2;
    plot::draw_text(canvas, caption, {centre, tile_y + kImageSize + 8}, Align::kCenter, Align::kStart,
                    0.55, plot::kInk);
    plot::draw_text(canvas, "#" + std::to_string(example.index), {centre, tile_y + kImageSize + 34},
                    Align::kCenter, Align::kStart, 0.45, plot::kMutedInk);
  }
  return plot::encode_png(canvas);
}

void write_misclassified_grid(const fs::path& path, const std::vector<MisclassifiedExample>& examples,
                              const std::string& title) {
  plot::write_png_file(path, render_misclassified_grid(examples, title));
}

}  // namespace mnist
