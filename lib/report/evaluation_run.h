// One evaluation run, as a library call: load a TorchScript model written by mnist-train (or a
// Keras .h5 or .keras, or any module with the same contract: images in, [N,10] probabilities
// out), run it over an MNIST split, and write the confusion heatmap, the reliability diagram
// (calibration), metrics.json, optionally a grid of the most confidently wrong images, and the
// training curves when the model's train_log.csv is beside it. What mnist-evaluate runs.
// Not for: the options (report/evaluation_options.h), printing the results
// (cli/evaluate_command.h), the metrics or the drawing themselves (report/class_metrics.h,
// report/model_evaluation.h and the plotting files).
#pragma once

#include <c10/core/Device.h>

#include <filesystem>
#include <string>
#include <vector>

#include "report/calibration.h"
#include "report/class_metrics.h"
#include "report/evaluation_options.h"
#include "report/model_evaluation.h"

namespace mnist {

// The files mnist-evaluate may write.
struct EvaluateOutputs {
  std::filesystem::path confusion_png, metrics_json, misclassified_png, reliability_png;
  std::filesystem::path train_log, training_curves_png;  // beside the model
  explicit EvaluateOutputs(const EvaluateOptions& options);
};

struct EvaluateSummary {
  std::string model_name;  // from the model card, e.g. "mnist_mlp (784-300-100-10)"
  std::string data_name;   // e.g. "MNIST test set" or "first 300 of the MNIST test set"
  double loss = 0;         // mean cross-entropy
  double forward_seconds = 0;  // running the model over every image, metrics included
  ClassificationReport report;  // count, accuracy and its standard error, per class, pairs
  ConfusionMatrix confusion;    // rows = truth, columns = predicted
  CalibrationSummary calibration;  // of the top-class probabilities, kCalibrationBins bins
  std::vector<CoveragePoint> coverage;  // at kCoverageThresholds
  std::vector<std::filesystem::path> files_written;
  std::vector<std::string> warnings;  // secondary outputs that could not be made, and why
  std::vector<VariantResult> variants;  // with --drawn-variants
  VariantResult variants_all;            // all_variants(variants), with --drawn-variants
};

// Throws UsageError for options out of bounds, RuntimeError for a model or data that cannot be
// read or an output that cannot be written; a secondary picture that cannot be drawn is a warning.
EvaluateSummary run_evaluation(const EvaluateOptions& options, const c10::Device& device);

}  // namespace mnist
