// What `mnist-evaluate` does, as a library call: load a TorchScript model written by mnist-train
// (or any module with the same contract: images in, [N,10] probabilities out), run it over an
// MNIST split, and write the confusion heatmap, the reliability diagram (calibration), metrics.json,
// optionally a grid of the most confidently wrong images, and the training curves when the
// model's train_log.csv is beside it.
// Not for: the options (evaluate_options.h), the metrics or the drawing themselves
// (report/class_metrics.h and the plotting files).
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <torch/csrc/jit/api/module.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "cli/command_line.h"
#include "cli/evaluate_options.h"
#include "data/mnist_dataset.h"
#include "report/calibration.h"
#include "report/class_metrics.h"
#include "report/evaluation.h"
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
  std::vector<VariantAccuracy> variants;  // with --drawn-variants
};

// The coverage table for people: per threshold, the share answered and their accuracy.
std::string format_coverage_table(const std::vector<CoveragePoint>& table);

EvaluateSummary run_evaluation(const EvaluateOptions& options, const c10::Device& device);

// mnist-evaluate from argv (args[0] is the program) to its exit code: options and banner, the
// evaluation, the report on console.out; failures as one line on console.err, exit 2 or 1.
int run_evaluate_cli(const std::vector<std::string>& args, const Console& console);

}  // namespace mnist
