// Confusion-matrix heatmap; see confusion_heatmap.h.
#include "report/confusion_heatmap.h"


#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/errors.h"
#include "report/plot_canvas.h"

namespace mnist {
namespace fs = std::filesystem;
using plot::Align;

namespace {

constexpr int kColormap = cv::COLORMAP_VIRIDIS;
constexpr int kTopMargin = 112;     // title and subtitle
constexpr int kLeftMargin = 132;    // "Truth" and the row digits
constexpr int kBottomMargin = 112;  // column digits and "Predicted"
constexpr int kColorbarGap = 36;
constexpr int kColorbarWidth = 28;
constexpr int kColorbarLabelSpace = 150;  // tick labels and the bar's own label
constexpr int kCellGap = 1;               // background left around each cell, each side
constexpr double kMinTickSpacing = 26;    // pixels between colour-bar labels

// Where a value sits on the colour map, from 0 to 1.
struct ValueScale {
  ColorScale scale = ColorScale::kLog;
  double max = 1;
  double unit = 1;  // the log scale is linear below about one unit: log(1 + v / unit)

  double position(double value) const {
    if (scale == ColorScale::kLinear) return value / max;
    return std::log1p(value / unit) / std::log1p(max / unit);
  }
};

std::string cell_annotation(double value, bool percentages) {
  char text[32];
  if (!percentages) {
    std::snprintf(text, sizeof text, "%lld", static_cast<long long>(std::llround(value)));
  } else if (value == 0) {
    return "0";
  } else if (value < 0.05) {
    return "<0.1";
  } else if (value >= 99.95 && value < 100) {
    return ">99.9";
  } else if (value == 100) {
    return "100";
  } else {
    std::snprintf(text, sizeof text, "%.1f", value);
  }
  return text;
}

std::string tick_label(double value, bool percentages, double spacing) {
  char text[32];
  if (spacing > 0) {
    std::string label = plot::format_tick(value, spacing);
    return percentages ? label + "%" : label;
  }
  std::snprintf(text, sizeof text, percentages ? "%g%%" : "%g", value);
  return text;
}

// Colour-bar ticks: round values and the top of the scale (the largest cell, for counts), no
// two labels closer than kMinTickSpacing pixels.
std::vector<std::pair<double, std::string>> colorbar_ticks(const ValueScale& values,
                                                           bool percentages, int bar_height) {
  std::vector<double> candidates;
  if (values.scale == ColorScale::kLinear) {
    candidates = plot::nice_ticks(0, values.max, 6);
  } else {
    candidates.push_back(0);
    for (double decade = values.unit; decade <= values.max * (1 + 1e-9); decade *= 10) {
      for (const double factor : {1.0, 2.0, 5.0}) candidates.push_back(decade * factor);
    }
  }
  const double spacing = values.scale == ColorScale::kLinear && candidates.size() > 1
                             ? candidates[1] - candidates[0]
                             : 0;
  const double top_position = values.position(values.max);
  std::vector<std::pair<double, std::string>> ticks;
  double last_position = -1;
  for (const double value : candidates) {
    const double position = values.position(value);
    if (position > 1 + 1e-9) break;
    if (last_position >= 0 && (position - last_position) * bar_height < kMinTickSpacing) continue;
    if ((top_position - position) * bar_height < kMinTickSpacing) continue;
    ticks.emplace_back(value, tick_label(value, percentages, spacing));
    last_position = position;
  }
  ticks.emplace_back(values.max, tick_label(values.max, percentages, spacing));
  return ticks;
}

cv::Rect to_cv(const PixelRect& r) { return {r.x, r.y, r.width, r.height}; }

}  // namespace

std::string to_string(ColorScale scale) { return scale == ColorScale::kLog ? "log" : "linear"; }

PixelRect HeatmapLayout::cell(int truth, int predicted) const {
  return {matrix.x + predicted * cell_size, matrix.y + truth * cell_size, cell_size, cell_size};
}

HeatmapLayout confusion_heatmap_layout(int classes, const HeatmapStyle& style) {
  HeatmapLayout layout;
  layout.classes = classes;
  layout.cell_size = std::max(style.cell_size, 24);
  const int side = classes * layout.cell_size;
  layout.matrix = {kLeftMargin, kTopMargin, side, side};
  layout.colorbar = {kLeftMargin + side + kColorbarGap, kTopMargin, kColorbarWidth, side};
  layout.width = layout.colorbar.x + kColorbarWidth + kColorbarLabelSpace;
  layout.height = kTopMargin + side + kBottomMargin;
  return layout;
}

namespace {

// The value each cell shows: counts, or percentages of their row.
std::vector<std::vector<double>> heatmap_values(const ConfusionMatrix& confusion, bool percentages) {
  if (percentages) return row_percentages(confusion);
  std::vector<std::vector<double>> values;
  for (const auto& row : confusion) values.emplace_back(row.begin(), row.end());
  return values;
}

ValueScale value_scale(const std::vector<std::vector<double>>& values, const HeatmapStyle& style) {
  ValueScale scale;
  scale.scale = style.scale;
  scale.unit = style.percentages ? 0.1 : 1.0;  // 0.1% is one image in a class of a thousand
  scale.max = style.percentages ? 100.0 : 1.0;
  if (!style.percentages) {
    for (const auto& row : values) scale.max = std::max(scale.max, *std::max_element(row.begin(), row.end()));
  }
  return scale;
}

// Cells with their annotations, in black or white, whichever the cell's colour lets one read.
void draw_cells(cv::Mat& canvas, const HeatmapLayout& layout, const std::vector<std::vector<double>>& values,
                const ValueScale& scale, bool percentages) {
  const double cell_scale = 0.62 * layout.cell_size / 72.0;
  for (int truth = 0; truth < layout.classes; ++truth) {
    for (int predicted = 0; predicted < layout.classes; ++predicted) {
      const double value = values[truth][predicted];
      const cv::Vec3b colour = plot::colormap_colour(kColormap, scale.position(value));
      const cv::Rect cell = to_cv(layout.cell(truth, predicted));
      const cv::Rect inner(cell.x + kCellGap, cell.y + kCellGap, cell.width - 2 * kCellGap,
                           cell.height - 2 * kCellGap);
      cv::rectangle(canvas, inner, cv::Scalar(colour[0], colour[1], colour[2]), cv::FILLED);
      const std::string text = cell_annotation(value, percentages);
      const double text_scale = plot::fitting_scale(text, cell_scale, cell.width - 10);
      const bool dark_cell = plot::relative_luminance(colour) < 0.3;
      const cv::Scalar ink = dark_cell ? cv::Scalar(255, 255, 255) : cv::Scalar(20, 20, 20);
      plot::draw_text(canvas, text, {cell.x + cell.width / 2, cell.y + cell.height / 2},
                      Align::kCenter, Align::kCenter, text_scale, ink);
    }
  }
}

// Digit tick labels and the names the original's plot used.
void draw_axes(cv::Mat& canvas, const HeatmapLayout& layout) {
  const auto& m = layout.matrix;
  for (int c = 0; c < layout.classes; ++c) {
    const int middle = c * layout.cell_size + layout.cell_size / 2;
    plot::draw_text(canvas, std::to_string(c), {m.x + middle, m.y + m.height + 12}, Align::kCenter,
                    Align::kStart, 0.75, plot::kInk);
    plot::draw_text(canvas, std::to_string(c), {m.x - 14, m.y + middle}, Align::kEnd,
                    Align::kCenter, 0.75, plot::kInk);
  }
  plot::draw_text(canvas, "Predicted", {m.x + m.width / 2, m.y + m.height + 62}, Align::kCenter,
                  Align::kStart, 0.9, plot::kInk);
  plot::draw_vertical_text(canvas, "Truth", {m.x - 78, m.y + m.height / 2}, 0.9, plot::kInk);
}

void draw_title(cv::Mat& canvas, const HeatmapLayout& layout, const HeatmapStyle& style) {
  const int centre_x = layout.width / 2;
  const int title_room = layout.width - 24;
  plot::draw_text(canvas, style.title, {centre_x, 24}, Align::kCenter, Align::kStart,
                  plot::fitting_scale(style.title, 0.85, title_room), plot::kInk);
  plot::draw_text(canvas, style.subtitle, {centre_x, 64}, Align::kCenter, Align::kStart,
                  plot::fitting_scale(style.subtitle, 0.7, title_room), plot::kMutedInk);
}

// The gradient, a frame, ticks and what it measures.
void draw_colorbar(cv::Mat& canvas, const HeatmapLayout& layout, const ValueScale& scale,
                   const HeatmapStyle& style) {
  const auto& bar = layout.colorbar;
  for (int y = 0; y < bar.height; ++y) {
    const double t = 1.0 - static_cast<double>(y) / (bar.height - 1);
    const cv::Vec3b colour = plot::colormap_colour(kColormap, t);
    cv::line(canvas, {bar.x, bar.y + y}, {bar.x + bar.width - 1, bar.y + y},
             cv::Scalar(colour[0], colour[1], colour[2]));
  }
  cv::rectangle(canvas, to_cv(bar), plot::kMutedInk, 1);
  int widest_label = 0;
  for (const auto& [value, label] : colorbar_ticks(scale, style.percentages, bar.height)) {
    const int y = bar.y + static_cast<int>(std::lround((1 - scale.position(value)) * (bar.height - 1)));
    cv::line(canvas, {bar.x + bar.width, y}, {bar.x + bar.width + 6, y}, plot::kInk, 1);
    plot::draw_text(canvas, label, {bar.x + bar.width + 10, y}, Align::kStart, Align::kCenter, 0.55,
                    plot::kInk);
    widest_label = std::max(widest_label, plot::text_size(label, 0.55).width);
  }
  std::string bar_label = style.percentages ? "% of true class" : "images";
  if (style.scale == ColorScale::kLog) bar_label += " (log scale)";
  plot::draw_vertical_text(canvas, bar_label, {bar.x + bar.width + 10 + widest_label + 26, bar.y + bar.height / 2},
                           0.65, plot::kInk);
}

}  // namespace

std::vector<unsigned char> render_confusion_heatmap(const ConfusionMatrix& confusion,
                                                    const HeatmapStyle& style) {
  check_confusion_matrix(confusion);
  const HeatmapLayout layout = confusion_heatmap_layout(static_cast<int>(confusion.size()), style);
  cv::Mat canvas(layout.height, layout.width, CV_8UC3, plot::kBackground);
  const auto values = heatmap_values(confusion, style.percentages);
  const ValueScale scale = value_scale(values, style);
  draw_cells(canvas, layout, values, scale, style.percentages);
  draw_axes(canvas, layout);
  draw_title(canvas, layout, style);
  draw_colorbar(canvas, layout, scale, style);
  return plot::encode_png(canvas);
}

void write_confusion_heatmap(const fs::path& path, const ConfusionMatrix& confusion,
                             const HeatmapStyle& style) {
  plot::write_png_file(path, render_confusion_heatmap(confusion, style));
}

}  // namespace mnist
