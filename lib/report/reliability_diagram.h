// reliability.png: whether the model's probabilities can be trusted, as two panels side by side.
// Left, the reliability diagram: per equal-width confidence bin the accuracy (bars) against the
// mean confidence (the gap shaded), the diagonal a calibrated model would follow, and the number
// of images in each bin beneath; the expected calibration error in the title. Right, accuracy
// against coverage: answering only when the top probability is at least t, how many are answered
// and how often right, with the thresholds of the printed table marked.
// Not for: the arithmetic (report/calibration.h).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "report/calibration.h"

namespace mnist {

struct ReliabilityPlot {
  std::string title;  // e.g. "mnist_mlp (784-300-100-10), MNIST test set"
  CalibrationSummary summary;
  std::vector<CoveragePoint> curve;  // coverage_curve
  std::vector<CoveragePoint> table;  // coverage_table, marked on the curve
};

// PNG bytes of the picture. Throws std::invalid_argument when the summary has no bins.
std::vector<unsigned char> render_reliability_diagram(const ReliabilityPlot& plot);

// render_reliability_diagram written to `path` atomically.
void write_reliability_diagram(const std::filesystem::path& path, const ReliabilityPlot& plot);

// The plot of `set`: its summary over kCalibrationBins bins, curve and table.
ReliabilityPlot reliability_plot(const std::string& title, const ConfidenceSet& set);

}  // namespace mnist
