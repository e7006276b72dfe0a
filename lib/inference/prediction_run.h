// One prediction run, as a library call: prepare each image file the way MNIST was prepared
// (image/image_preprocess.h), run all of them through the model (TorchScript, or a Keras .h5 or
// .keras) as one batch, and return per file the digit, its probability and the runners-up, or
// why that file could not be classified. One bad file never stops the others. What mnist-predict
// runs.
// Not for: the options (inference/prediction_options.h), printing the answers
// (cli/predict_command.h).
#pragma once

#include <c10/core/Device.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "inference/digit_classifier.h"
#include "inference/prediction_options.h"

namespace mnist {

struct ImagePrediction {
  std::filesystem::path file;
  std::string error;  // one line starting with the file name; empty when classified
  int64_t digit = -1;
  double probability = 0;
  std::vector<ClassProbability> top;   // kTopCount entries, most probable first
  std::vector<double> probabilities;   // all 10 classes
  bool uncertain = false;              // probability below --uncertain-below
  bool inverted = false;               // dark ink on a light background was turned around
  bool already_mnist = false;          // the image had MNIST's layout and was used unchanged
  std::filesystem::path preprocessed;  // the 28x28 PNG written for --save-preprocessed
  bool ok() const { return error.empty(); }
};

struct PredictionReport {
  std::vector<ImagePrediction> images;  // in the order given
  int64_t failed = 0;
};

// Loads the model (RuntimeError naming it when that fails, before any image is read), prepares
// every image, writes the prepared inputs when asked, and classifies them in one forward pass.
// A file that cannot be prepared gets its error in its ImagePrediction; the rest go on. Failing
// to write a prepared input, or a model that does not return [N, 10] probabilities, throws
// RuntimeError.
PredictionReport run_prediction(const PredictOptions& options, const c10::Device& device);

}  // namespace mnist
