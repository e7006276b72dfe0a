// The confusion matrix as a picture: the heatmap the original drew with seaborn (annotated
// counts, "Predicted" across, "Truth" down), drawn with OpenCV and made easier to read: a
// perceptual colour map (viridis), every annotation in black or white by the luminance of its
// cell, a colour bar with ticks, and by default a logarithmic colour scale so that the few
// confusions stay visible next to a diagonal of a thousand.
// Not for: computing the matrix (evaluation.h) or its metrics (class_metrics.h).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "report/class_metrics.h"

namespace mnist {

enum class ColorScale { kLinear, kLog };

std::string to_string(ColorScale scale);

struct HeatmapStyle {
  std::string title;     // first line, e.g. "mnist_mlp (784-300-100-10), MNIST test set"
  std::string subtitle;  // second line, e.g. "accuracy 97.81% +/- 0.15% (standard error)"
  bool percentages = false;  // each row as percentages of its class instead of counts
  ColorScale scale = ColorScale::kLog;
  int cell_size = 72;  // pixels per cell; the image grows with it
};

struct PixelRect {
  int x = 0;
  int y = 0;
  int width = 0;
  int height = 0;
};

// Where things land in the image, so callers and tests can find a cell.
struct HeatmapLayout {
  int width = 0;
  int height = 0;
  int classes = 0;
  int cell_size = 0;
  PixelRect matrix;    // the cells together
  PixelRect colorbar;  // the gradient
  PixelRect cell(int truth, int predicted) const;  // row = truth, column = predicted
};

HeatmapLayout confusion_heatmap_layout(int classes, const HeatmapStyle& style);

// PNG bytes of the heatmap. Throws std::invalid_argument for a malformed matrix.
std::vector<unsigned char> render_confusion_heatmap(const ConfusionMatrix& confusion,
                                                    const HeatmapStyle& style);

// render_confusion_heatmap written to `path` atomically.
void write_confusion_heatmap(const std::filesystem::path& path, const ConfusionMatrix& confusion,
                             const HeatmapStyle& style);

}  // namespace mnist
