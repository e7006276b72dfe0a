// The options of a prediction run, as plain values: the struct run_prediction takes
// (inference/prediction_run.h) and the bounds every run is held to, whoever filled it in.
// Not for: reading them from a command line or how the answers are printed (cli/predict_options.h).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "export/keras_h5.h"
#include "inference/digit_classifier.h"

namespace mnist {

struct PredictOptions {
  std::filesystem::path model = "models/mnist_mlp.pt";  // TorchScript, or a Keras .h5
  KerasInputRange keras_input_range = KerasInputRange::k255;  // for a Keras .h5 model
  std::vector<std::filesystem::path> images;
  std::filesystem::path save_preprocessed;  // empty: write nothing
  // A batch of a few images is done long before CUDA has started, hence not "auto".
  std::string device = "cpu";
  // Answers below this probability are marked uncertain, with the runner-up (0: never).
  double uncertain_below = kDefaultUncertainBelow;
};

// Throws UsageError when no image is given, a path option is empty or --uncertain-below is not a
// probability.
void validate(const PredictOptions& options);

}  // namespace mnist
