// The reliability diagram and the accuracy-coverage curve; see reliability_diagram.h.
#include "report/reliability_diagram.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "core/text.h"
#include "report/plot_canvas.h"

namespace mnist {
namespace fs = std::filesystem;
using plot::Align;

namespace {

constexpr int kWidth = 1280;
constexpr int kHeight = 700;
constexpr int kPanelTop = 120;
constexpr int kPanelBottom = kHeight - 150;
constexpr int kPanelWidth = 480;
const int kPanelLefts[2] = {110, 110 + kPanelWidth + 170};

// The Okabe-Ito colours of the other plots (BGR).
const cv::Scalar kAccuracyColour(178, 114, 0);  // blue
const cv::Scalar kGapColour(0, 159, 230);       // orange
const cv::Scalar kCurveColour(115, 158, 0);     // bluish green

// Data (x, y) in [x_low, x_high] x [y_low, y_high] to pixels of `area`.
struct Axes {
  cv::Rect area;
  double x_low = 0, x_high = 1, y_low = 0, y_high = 1;
  cv::Point to_pixel(double x, double y) const {
    return {static_cast<int>(std::lround(area.x + (x - x_low) / (x_high - x_low) * area.width)),
            static_cast<int>(std::lround(area.y + area.height - (y - y_low) / (y_high - y_low) * area.height))};
  }
};

void draw_frame(cv::Mat& canvas, const Axes& axes, const std::string& x_label, const std::string& y_label,
                double x_factor, double y_factor, const std::string& unit) {
  const cv::Rect& area = axes.area;
  const auto y_ticks = plot::nice_ticks(axes.y_low * y_factor, axes.y_high * y_factor, 6);
  const double y_spacing = y_ticks.size() > 1 ? y_ticks[1] - y_ticks[0] : 1;
  for (const double tick : y_ticks) {
    const int y = axes.to_pixel(axes.x_low, tick / y_factor).y;
    if (y < area.y - 1 || y > area.y + area.height + 1) continue;
    cv::line(canvas, {area.x, y}, {area.x + area.width, y}, plot::kGridLine, 1);
    plot::draw_text(canvas, plot::format_tick(tick, y_spacing) + unit, {area.x - 10, y}, Align::kEnd,
                    Align::kCenter, 0.55, plot::kInk);
  }
  const auto x_ticks = plot::nice_ticks(axes.x_low * x_factor, axes.x_high * x_factor, 6);
  const double x_spacing = x_ticks.size() > 1 ? x_ticks[1] - x_ticks[0] : 1;
  for (const double tick : x_ticks) {
    const int x = axes.to_pixel(tick / x_factor, axes.y_low).x;
    if (x < area.x - 1 || x > area.x + area.width + 1) continue;
    cv::line(canvas, {x, area.y}, {x, area.y + area.height}, plot::kGridLine, 1);
    plot::draw_text(canvas, plot::format_tick(tick, x_spacing) + unit, {x, area.y + area.height + 10},
                    Align::kCenter, Align::kStart, 0.55, plot::kInk);
  }
  plot::draw_text(canvas, x_label, {area.x + area.width / 2, area.y + area.height + 40}, Align::kCenter,
                  Align::kStart, 0.6, plot::kInk);
  plot::draw_vertical_text(canvas, y_label, {area.x - 82, area.y + area.height / 2}, 0.6, plot::kInk);
}

// Diagonal lines in the gap colour over `area`, and its outline.
void draw_hatched(cv::Mat& canvas, const cv::Rect& area) {
  cv::Mat view = canvas(area & cv::Rect(0, 0, canvas.cols, canvas.rows));
  for (int offset = -view.rows; offset < view.cols; offset += 7) {
    cv::line(view, {offset, view.rows}, {offset + view.rows, 0}, kGapColour, 1, cv::LINE_AA);
  }
  cv::rectangle(canvas, area, kGapColour, 1);
}

// What the bars, the hatching, the line and the diagonal mean, in the panel's top-left corner.
void draw_legend(cv::Mat& canvas, cv::Point at) {
  const int swatch = 26;
  const int row = 26;
  cv::rectangle(canvas, cv::Rect(at.x, at.y, swatch, 14), kAccuracyColour, cv::FILLED);
  plot::draw_text(canvas, "accuracy", {at.x + swatch + 8, at.y + 7}, Align::kStart, Align::kCenter, 0.5, plot::kInk);
  draw_hatched(canvas, cv::Rect(at.x, at.y + row, swatch, 14));
  plot::draw_text(canvas, "gap to the mean confidence", {at.x + swatch + 8, at.y + row + 7}, Align::kStart,
                  Align::kCenter, 0.5, plot::kInk);
  cv::line(canvas, {at.x, at.y + 2 * row + 7}, {at.x + swatch, at.y + 2 * row + 7}, kGapColour, 2, cv::LINE_AA);
  plot::draw_text(canvas, "mean confidence in the bin", {at.x + swatch + 8, at.y + 2 * row + 7}, Align::kStart,
                  Align::kCenter, 0.5, plot::kInk);
  cv::line(canvas, {at.x, at.y + 3 * row + 12}, {at.x + swatch, at.y + 3 * row + 2}, plot::kMutedInk, 1, cv::LINE_AA);
  plot::draw_text(canvas, "calibrated", {at.x + swatch + 8, at.y + 3 * row + 7}, Align::kStart, Align::kCenter, 0.5,
                  plot::kInk);
}

// Accuracy bars with the gap to the mean confidence hatched, the diagonal, counts beneath.
void draw_reliability_panel(cv::Mat& canvas, const CalibrationSummary& summary) {
  Axes axes;
  axes.area = cv::Rect(kPanelLefts[0], kPanelTop, kPanelWidth, kPanelBottom - kPanelTop);
  draw_frame(canvas, axes, "confidence (top-class probability)", "accuracy in the bin", 1, 1, "");
  for (const auto& bin : summary.bins) {
    if (bin.count == 0) continue;
    const int left = axes.to_pixel(bin.lower, 0).x + 2;
    const int right = axes.to_pixel(bin.upper, 0).x - 2;
    const int bottom = axes.to_pixel(0, 0).y;
    const int top = axes.to_pixel(0, bin.accuracy).y;
    cv::rectangle(canvas, cv::Rect(cv::Point(left, std::min(top, bottom - 1)), cv::Point(right, bottom)),
                  kAccuracyColour, cv::FILLED);
    // The gap between what the bin claims (mean confidence) and what it achieves, hatched so
    // that it reads the same over a bar (underconfident) and above one (overconfident).
    const int claim = axes.to_pixel(0, bin.mean_confidence).y;
    if (claim != top) {
      draw_hatched(canvas, cv::Rect(cv::Point(left, std::min(claim, top)), cv::Point(right, std::max(claim, top))));
      cv::line(canvas, {left, claim}, {right, claim}, kGapColour, 2, cv::LINE_AA);
    }
  }
  draw_legend(canvas, {axes.area.x + 16, axes.area.y + 16});
  cv::line(canvas, axes.to_pixel(0, 0), axes.to_pixel(1, 1), plot::kMutedInk, 1, cv::LINE_AA);
  cv::rectangle(canvas, axes.area, plot::kMutedInk, 1);
  // Counts in two staggered rows so that neighbours never overlap.
  const int counts_top = axes.area.y + axes.area.height + 76;
  plot::draw_text(canvas, "images", {axes.area.x - 10, counts_top + 9}, Align::kEnd, Align::kCenter, 0.45,
                  plot::kMutedInk);
  for (size_t b = 0; b < summary.bins.size(); ++b) {
    const auto& bin = summary.bins[b];
    const int x = axes.to_pixel((bin.lower + bin.upper) / 2, 0).x;
    const int y = counts_top + (b % 2 == 0 ? 0 : 18);
    plot::draw_text(canvas, std::to_string(bin.count), {x, y}, Align::kCenter, Align::kStart, 0.42,
                    bin.count > 0 ? plot::kInk : plot::kMutedInk);
  }
  plot::draw_text(canvas, format_text("Reliability (%zu equal-width bins)", summary.bins.size()),
                  {axes.area.x + axes.area.width / 2, axes.area.y - 14}, Align::kCenter, Align::kEnd, 0.7,
                  plot::kInk);
}

// Accuracy of the answered images against the share answered, thresholds marked.
void draw_coverage_panel(cv::Mat& canvas, const std::vector<CoveragePoint>& curve,
                         const std::vector<CoveragePoint>& table) {
  Axes axes;
  axes.area = cv::Rect(kPanelLefts[1], kPanelTop, kPanelWidth, kPanelBottom - kPanelTop);
  double low = 1;
  for (const auto& p : curve) low = std::min(low, p.accuracy);
  for (const auto& p : table) low = std::min(low, p.accuracy);
  const double span = std::max(1 - low, 0.005);
  axes.y_low = std::max(0.0, low - 0.08 * span);
  axes.y_high = 1 + 0.08 * span;
  axes.x_low = -0.02;
  axes.x_high = 1.02;
  draw_frame(canvas, axes, "coverage: share of images answered", "accuracy of the answered", 100, 100, "%");
  cv::Mat view = canvas(axes.area);
  const cv::Point offset(axes.area.x, axes.area.y);
  for (size_t i = 1; i < curve.size(); ++i) {
    cv::line(view, axes.to_pixel(curve[i - 1].coverage, curve[i - 1].accuracy) - offset,
             axes.to_pixel(curve[i].coverage, curve[i].accuracy) - offset, kCurveColour, 2, cv::LINE_AA);
  }
  for (size_t i = 0; i < table.size(); ++i) {
    const auto& p = table[i];
    if (p.answered == 0) continue;
    const cv::Point at = axes.to_pixel(p.coverage, p.accuracy);
    cv::circle(canvas, at, 5, kGapColour, cv::FILLED, cv::LINE_AA);
    // Labels alternate below and above the curve, which is nearly flat near the top.
    const bool below = i % 2 == 0;
    plot::draw_text(canvas, "t=" + format_text("%g", p.threshold), {at.x, at.y + (below ? 10 : -10)}, Align::kCenter,
                    below ? Align::kStart : Align::kEnd, 0.45, plot::kInk);
  }
  cv::rectangle(canvas, axes.area, plot::kMutedInk, 1);
  plot::draw_text(canvas, "Answering only when confident", {axes.area.x + axes.area.width / 2, axes.area.y - 14},
                  Align::kCenter, Align::kEnd, 0.7, plot::kInk);
}

}  // namespace

std::vector<unsigned char> render_reliability_diagram(const ReliabilityPlot& plot) {
  if (plot.summary.bins.empty()) throw std::invalid_argument("render_reliability_diagram: no bins");
  cv::Mat canvas(kHeight, kWidth, CV_8UC3, plot::kBackground);
  const auto& s = plot.summary;
  const std::string subtitle = format_text(
      "expected calibration error %.2f%% (%zu equal-width bins), mean confidence %.2f%%, accuracy %.2f%%, "
      "%lld images",
      100 * s.expected_calibration_error, s.bins.size(), 100 * s.mean_confidence, 100 * s.accuracy,
      static_cast<long long>(s.count));
  const std::string title = "Calibration: " + plot.title;
  plot::draw_text(canvas, title, {kWidth / 2, 18}, Align::kCenter, Align::kStart,
                  plot::fitting_scale(title, 0.85, kWidth - 40), plot::kInk);
  plot::draw_text(canvas, subtitle, {kWidth / 2, 56}, Align::kCenter, Align::kStart,
                  plot::fitting_scale(subtitle, 0.6, kWidth - 40), plot::kMutedInk);
  draw_reliability_panel(canvas, s);
  draw_coverage_panel(canvas, plot.curve, plot.table);
  return plot::encode_png(canvas);
}

void write_reliability_diagram(const fs::path& path, const ReliabilityPlot& plot) {
  plot::write_png_file(path, render_reliability_diagram(plot));
}

ReliabilityPlot reliability_plot(const std::string& title, const ConfidenceSet& set) {
  ReliabilityPlot plot;
  plot.title = title;
  plot.summary = calibration_summary(set);
  plot.curve = coverage_curve(set);
  plot.table = coverage_table(set, kCoverageThresholds);
  return plot;
}

}  // namespace mnist
