// Classifying prepared 28x28 digits with a model of the project's TorchScript contract: a batch
// through the model in one forward pass, and each digit's classes ranked. What mnist-predict and
// mnist-serve answer.
// Not for: preparing images (image/image_preprocess.h), loading the model (torchscript.h).
#pragma once

#include <c10/core/Device.h>
#include <torch/csrc/jit/api/module.h>

#include <cstdint>
#include <string>
#include <vector>

namespace mnist {

// How many classes each answer lists, most probable first.
inline constexpr int64_t kTopCount = 3;

struct ClassProbability {
  int64_t digit = 0;
  double probability = 0;
};

struct DigitAnswer {
  int64_t digit = -1;
  double probability = 0;
  std::vector<ClassProbability> top;  // kTopCount entries, most probable first
  std::vector<double> probabilities;  // all 10 classes
};

// The answers for `fields` (each kImagePixels floats, white ink on black in [0, 1]), in order.
// Throws RuntimeError starting with model_label when the model fails or breaks its contract,
// std::invalid_argument for a field of another size.
std::vector<DigitAnswer> classify_digits(torch::jit::Module& model, const std::string& model_label,
                                         const std::vector<std::vector<float>>& fields,
                                         const c10::Device& device);

// The answer a row of kNumClasses probabilities gives (ties: the lower digit first).
DigitAnswer rank_classes(const double* probabilities);

}  // namespace mnist
