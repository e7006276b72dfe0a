// What `mnist-predict` does, as a library call: prepare each image file the way MNIST was
// prepared (image_preprocess.h), run all of them through the exported TorchScript model as one
// batch, and return per file the digit, its probability and the runners-up, or why that file
// could not be classified. One bad file never stops the others.
// Not for: option parsing or printing (app/predict_main.cpp); the formatting helpers below
// only build strings.
#pragma once

#include <c10/core/Device.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace mnist {

struct PredictOptions {
  std::filesystem::path model = "models/mnist_mlp.pt";
  std::vector<std::filesystem::path> images;
  bool json = false;
  std::filesystem::path save_preprocessed;  // empty: write nothing
  // A batch of a few images is done long before CUDA has started, hence not "auto".
  std::string device = "cpu";
};

// How many classes each prediction lists, most probable first.
inline constexpr int64_t kTopCount = 3;

// Throws UsageError when no image is given or a path option is empty.
void validate(const PredictOptions& options);

// The resolved options as (key, value) pairs, in a stable order, for the start-up banner.
std::vector<std::pair<std::string, std::string>> describe(const PredictOptions& options);

struct ClassProbability {
  int64_t digit = 0;
  double probability = 0;
};

struct ImagePrediction {
  std::filesystem::path file;
  std::string error;  // one line starting with the file name; empty when classified
  int64_t digit = -1;
  double probability = 0;
  std::vector<ClassProbability> top;   // kTopCount entries, most probable first
  std::vector<double> probabilities;   // all 10 classes
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

// "digit.png: 7 (p=0.9981)  top 3: 7 0.9981, 1 0.0012, 9 0.0003" for a classified image.
std::string format_prediction_text(const ImagePrediction& prediction);

// The whole report as one JSON document: options, then per image either digit, probability,
// top and probabilities, or error.
std::string format_predictions_json(const PredictOptions& options, const PredictionReport& report);

}  // namespace mnist
