// The options of an evaluation run, as plain values: the struct run_evaluation takes
// (report/evaluation_run.h) and the bounds every run is held to, whoever filled it in.
// Not for: reading them from a command line (cli/evaluate_options.h), the run itself.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "data/idx_files.h"
#include "export/keras_h5.h"
#include "report/confusion_heatmap.h"

namespace mnist {

struct EvaluateOptions {
  std::filesystem::path model = "models/mnist_mlp.pt";  // TorchScript, or a Keras .h5
  KerasInputRange keras_input_range = KerasInputRange::k255;  // for a Keras .h5 model
  std::filesystem::path data_dir = "data/mnist";
  MnistSplit split = MnistSplit::kTest;
  // With split kTrain: only the held-out last kCalibrationHoldout of it (data/mnist_dataset.h),
  // which the calibrating recipes never train on (--split holdout).
  bool holdout = false;
  std::filesystem::path out = "models/confusion.png";  // metrics.json and misclassified.png go beside it
  bool normalize = false;  // heatmap of row percentages instead of counts
  ColorScale color_scale = ColorScale::kLog;
  int64_t misclassified = 0;  // draw the N most confidently wrong images (0: none)
  std::string device = "auto";
  int64_t batch_size = 1000;
  int64_t limit = 0;  // use only the first N images of the split (0: all)
  // Also measure the images as drawn and scanned digits differ from them (image/drawn_variants.h),
  // each through the preparation mnist-predict and mnist-serve apply.
  bool drawn_variants = false;
};

// The most --misclassified draws.
inline constexpr int64_t kMaxMisclassified = 500;

// The images' name as --split spells it: "test", "train" or "holdout".
std::string split_name(const EvaluateOptions& options);

// Throws UsageError naming the first option (as mnist-evaluate spells it) whose value is out of range.
void validate(const EvaluateOptions& options);

}  // namespace mnist
