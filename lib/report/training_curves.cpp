// Training-curve plot from train_log.csv; see training_curves.h.
#include "report/training_curves.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <stdexcept>

#include "core/errors.h"
#include "report/plot_canvas.h"
#include "train/train_log.h"

namespace mnist {
namespace fs = std::filesystem;
using plot::Align;

namespace {

// ---------------------------------------------------------------------------------------------
// Drawing

constexpr int kWidth = 1280;
constexpr int kHeight = 640;
constexpr int kPanelTop = 150;
constexpr int kPanelBottom = kHeight - 80;
constexpr int kPanelWidth = 480;
const int kPanelLefts[2] = {110, 110 + kPanelWidth + 170};
constexpr size_t kMaxRowsWithMarkers = 40;

struct Series {
  std::string name;
  cv::Scalar colour;  // BGR, from the Okabe-Ito colour-blind-safe palette
  std::vector<std::pair<double, double>> points;  // (epoch, value)
};

const cv::Scalar kTrainColour(178, 114, 0);      // blue
const cv::Scalar kValidationColour(0, 159, 230);  // orange
const cv::Scalar kTestColour(115, 158, 0);       // bluish green

std::vector<Series> make_series(const std::vector<TrainLogRow>& rows, bool accuracy) {
  const double factor = accuracy ? 100.0 : 1.0;  // accuracy is drawn in percent
  Series train{"train", kTrainColour, {}};
  Series validation{"validation", kValidationColour, {}};
  Series test{"test", kTestColour, {}};
  for (const auto& row : rows) {
    const double epoch = static_cast<double>(row.epoch);
    train.points.emplace_back(epoch, factor * (accuracy ? row.train_accuracy : row.train_loss));
    const auto& val = accuracy ? row.val_accuracy : row.val_loss;
    if (val) validation.points.emplace_back(epoch, factor * *val);
    test.points.emplace_back(epoch, factor * (accuracy ? row.test_accuracy : row.test_loss));
  }
  std::vector<Series> series{train};
  if (!validation.points.empty()) series.push_back(validation);
  series.push_back(test);
  return series;
}

// The data range a panel shows, padded so that no point sits on the frame, and the mapping of
// data to pixels inside the panel's area.
struct PanelAxes {
  cv::Rect area;
  double x_low = 1e300, x_high = -1e300, y_low = 1e300, y_high = -1e300;

  cv::Point to_pixel(double x, double y) const {
    return cv::Point(static_cast<int>(std::lround(area.x + (x - x_low) / (x_high - x_low) * area.width)),
                     static_cast<int>(std::lround(area.y + area.height - (y - y_low) / (y_high - y_low) * area.height)));
  }
};

PanelAxes panel_axes(const cv::Rect& area, const std::vector<Series>& series, bool percent) {
  PanelAxes axes;
  axes.area = area;
  for (const auto& s : series) {
    for (const auto& [x, y] : s.points) {
      axes.x_low = std::min(axes.x_low, x);
      axes.x_high = std::max(axes.x_high, x);
      axes.y_low = std::min(axes.y_low, y);
      axes.y_high = std::max(axes.y_high, y);
    }
  }
  if (axes.x_high - axes.x_low < 1) {
    axes.x_low -= 1;
    axes.x_high += 1;
  }
  const double y_span = std::max(axes.y_high - axes.y_low, percent ? 0.5 : 1e-3);
  axes.y_low -= 0.08 * y_span;
  axes.y_high += 0.08 * y_span;
  if (!percent) axes.y_low = std::max(axes.y_low, 0.0);
  if (percent) axes.y_high = std::min(axes.y_high, 100.0 + 0.02 * y_span);
  const double x_pad = 0.04 * (axes.x_high - axes.x_low);
  axes.x_low -= x_pad;
  axes.x_high += x_pad;
  return axes;
}

void draw_grid_and_ticks(cv::Mat& canvas, const PanelAxes& axes, bool percent) {
  const cv::Rect& area = axes.area;
  const auto y_ticks = plot::nice_ticks(axes.y_low, axes.y_high, 6);
  const double y_spacing = y_ticks.size() > 1 ? y_ticks[1] - y_ticks[0] : 1;
  for (const double tick : y_ticks) {
    const int y = axes.to_pixel(axes.x_low, tick).y;
    cv::line(canvas, {area.x, y}, {area.x + area.width, y}, plot::kGridLine, 1);
    const std::string label = plot::format_tick(tick, y_spacing) + (percent ? "%" : "");
    plot::draw_text(canvas, label, {area.x - 10, y}, Align::kEnd, Align::kCenter, 0.55, plot::kInk);
  }
  auto x_ticks = plot::nice_ticks(std::ceil(axes.x_low), std::floor(axes.x_high), 8);
  if (x_ticks.size() > 1 && x_ticks[1] - x_ticks[0] < 1) {
    x_ticks.clear();
    for (double x = std::ceil(axes.x_low); x <= axes.x_high; x += 1) x_ticks.push_back(x);
  }
  for (const double tick : x_ticks) {
    const int x = axes.to_pixel(tick, axes.y_low).x;
    cv::line(canvas, {x, area.y}, {x, area.y + area.height}, plot::kGridLine, 1);
    plot::draw_text(canvas, plot::format_tick(tick, 1), {x, area.y + area.height + 10}, Align::kCenter,
                    Align::kStart, 0.55, plot::kInk);
  }
  cv::rectangle(canvas, area, plot::kMutedInk, 1);
}

// The curves, clipped to the panel; markers on the points while there are few.
void draw_curves(cv::Mat& canvas, const PanelAxes& axes, const std::vector<Series>& series, size_t row_count) {
  cv::Mat view = canvas(axes.area);
  const cv::Point offset(axes.area.x, axes.area.y);
  for (const auto& s : series) {
    for (size_t i = 1; i < s.points.size(); ++i) {
      cv::line(view, axes.to_pixel(s.points[i - 1].first, s.points[i - 1].second) - offset,
               axes.to_pixel(s.points[i].first, s.points[i].second) - offset, s.colour, 2, cv::LINE_AA);
    }
    if (row_count <= kMaxRowsWithMarkers) {
      for (const auto& [x, y] : s.points) {
        cv::circle(view, axes.to_pixel(x, y) - offset, 4, s.colour, cv::FILLED, cv::LINE_AA);
      }
    }
  }
}

void draw_panel(cv::Mat& canvas, int left, const std::string& heading, const std::string& y_label,
                const std::vector<Series>& series, bool percent, size_t row_count) {
  const cv::Rect area(left, kPanelTop, kPanelWidth, kPanelBottom - kPanelTop);
  const PanelAxes axes = panel_axes(area, series, percent);
  draw_grid_and_ticks(canvas, axes, percent);
  draw_curves(canvas, axes, series, row_count);
  plot::draw_text(canvas, heading, {area.x + area.width / 2, area.y - 14}, Align::kCenter,
                  Align::kEnd, 0.7, plot::kInk);
  plot::draw_text(canvas, "epoch", {area.x + area.width / 2, area.y + area.height + 42},
                  Align::kCenter, Align::kStart, 0.65, plot::kInk);
  plot::draw_vertical_text(canvas, y_label, {area.x - 82, area.y + area.height / 2}, 0.65,
                           plot::kInk);
}

void draw_legend(cv::Mat& canvas, const std::vector<Series>& series, int y) {
  const int swatch = 36;
  const int gap = 34;
  int total = 0;
  for (const auto& s : series) total += swatch + 10 + plot::text_size(s.name, 0.6).width + gap;
  total -= gap;
  int x = (kWidth - total) / 2;
  for (const auto& s : series) {
    cv::line(canvas, {x, y}, {x + swatch, y}, s.colour, 2, cv::LINE_AA);
    cv::circle(canvas, {x + swatch / 2, y}, 4, s.colour, cv::FILLED, cv::LINE_AA);
    x += swatch + 10;
    plot::draw_text(canvas, s.name, {x, y}, Align::kStart, Align::kCenter, 0.6, plot::kInk);
    x += plot::text_size(s.name, 0.6).width + gap;
  }
}

}  // namespace

std::vector<unsigned char> render_training_curves(const std::vector<TrainLogRow>& rows,
                                                  const std::string& title) {
  if (rows.empty()) throw std::invalid_argument("render_training_curves: no rows");
  cv::Mat canvas(kHeight, kWidth, CV_8UC3, plot::kBackground);

  const auto best = std::max_element(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return a.test_accuracy < b.test_accuracy;
  });
  const auto& last = rows.back();
  char summary[256];
  std::snprintf(summary, sizeof summary,
                "last epoch %lld: train accuracy %.2f%%, test accuracy %.2f%%, test loss %.4f; "
                "best test accuracy %.2f%% (epoch %lld)",
                static_cast<long long>(last.epoch), 100 * last.train_accuracy,
                100 * last.test_accuracy, last.test_loss, 100 * best->test_accuracy,
                static_cast<long long>(best->epoch));
  plot::draw_text(canvas, title, {kWidth / 2, 22}, Align::kCenter, Align::kStart,
                  plot::fitting_scale(title, 0.85, kWidth - 40), plot::kInk);
  plot::draw_text(canvas, summary, {kWidth / 2, 60}, Align::kCenter, Align::kStart,
                  plot::fitting_scale(summary, 0.6, kWidth - 40), plot::kMutedInk);

  const auto loss = make_series(rows, /*accuracy=*/false);
  const auto accuracy = make_series(rows, /*accuracy=*/true);
  draw_legend(canvas, loss, 104);
  draw_panel(canvas, kPanelLefts[0], "Loss", "mean cross-entropy", loss, /*percent=*/false,
             rows.size());
  draw_panel(canvas, kPanelLefts[1], "Accuracy", "accuracy", accuracy, /*percent=*/true,
             rows.size());
  return plot::encode_png(canvas);
}

void draw_training_curves(const fs::path& csv, const fs::path& png) {
  const auto rows = read_train_log(csv);
  const std::string title = "Training curves: " + std::to_string(rows.size()) +
                            (rows.size() == 1 ? " epoch" : " epochs");
  plot::write_png_file(png, render_training_curves(rows, title));
}

}  // namespace mnist
