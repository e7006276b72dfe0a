// What `mnist-predict` does, as a library call: prepare each image file the way MNIST was
// prepared (image_preprocess.h), run all of them through the exported TorchScript model as one
// batch, and return per file the digit, its probability and the runners-up, or why that file
// could not be classified. One bad file never stops the others.
// Not for: the options (predict_options.h).
#pragma once

#include <c10/core/Device.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "cli/command_line.h"
#include "cli/predict_options.h"
#include "inference/digit_classifier.h"

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

// "digit.png: 7 (p=0.9981)  top 3: 7 0.9981, 1 0.0012, 9 0.0003" for a classified image;
// "digit.png: 4 or 9? (p=0.6012, uncertain)  top 3: ..." below --uncertain-below.
std::string format_prediction_text(const ImagePrediction& prediction);

// The whole report as one JSON document: options, then per image either digit, probability,
// uncertain, runner_up, answer ("7" or "4 or 9?"), top and probabilities, or error.
std::string format_predictions_json(const PredictOptions& options, const PredictionReport& report);

// mnist-predict from argv (args[0] is the program) to its exit code: one line per image (or
// JSON) on console.out, one line per failed image on console.err; exit 1 when any failed.
int run_predict_cli(const std::vector<std::string>& args, const Console& console);

}  // namespace mnist
