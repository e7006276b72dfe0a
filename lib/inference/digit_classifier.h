// Classifying prepared 28x28 digits with a model of the project's TorchScript contract: a batch
// through the model in one forward pass, and each digit's classes ranked. What mnist-predict and
// mnist-serve answer.
// Not for: preparing images (image/image_preprocess.h), loading the model (export/torchscript.h, export/model_file.h).
#pragma once

#include <c10/core/Device.h>
#include <torch/csrc/jit/api/module.h>

#include <cstdint>
#include <string>
#include <vector>

namespace mnist {

// How many classes each answer lists, most probable first.
inline constexpr int64_t kTopCount = 3;

// The default of mnist-predict's and mnist-serve's --uncertain-below: an answer whose top-class
// probability is below it is still given, but marked uncertain with its runner-up ("4 or 9?").
// With calibrated exports (mnist-train --calibrate on) such answers are wrong more than one time
// in five; see the coverage table mnist-evaluate prints.
inline constexpr double kDefaultUncertainBelow = 0.8;

struct ClassProbability {
  int64_t digit = 0;
  double probability = 0;
};

struct DigitAnswer {
  int64_t digit = -1;
  double probability = 0;
  std::vector<ClassProbability> top;  // kTopCount entries, most probable first
  std::vector<double> probabilities;  // all 10 classes
  bool uncertain = false;  // probability below the threshold asked for (mark_uncertain)
  int64_t runner_up() const { return top.size() > 1 ? top[1].digit : -1; }
};

// Sets answer.uncertain: its probability is below `below` (0: never).
void mark_uncertain(DigitAnswer& answer, double below);

// "7", or "4 or 9?" for an uncertain answer: what people are shown.
std::string answer_text(const DigitAnswer& answer);

// The answers for `pixel_vectors` (each kImagePixels floats, white ink on black in [0, 1]), in order.
// Throws RuntimeError starting with model_label when the model fails or breaks its contract,
// std::invalid_argument for a pixel vector of another size.
std::vector<DigitAnswer> classify_digits(torch::jit::Module& model, const std::string& model_label,
                                         const std::vector<std::vector<float>>& pixel_vectors,
                                         const c10::Device& device);

// The answer a row of kNumClasses probabilities gives (ties: the lower digit first).
DigitAnswer rank_classes(const double* probabilities);

}  // namespace mnist
