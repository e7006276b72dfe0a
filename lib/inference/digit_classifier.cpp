// Classifying prepared digits; see digit_classifier.h.
#include "inference/digit_classifier.h"

#include <torch/torch.h>

#include <algorithm>
#include <numeric>
#include <stdexcept>

#include "core/mnist_shape.h"
#include "export/torchscript.h"

namespace mnist {

std::vector<DigitAnswer> classify_digits(torch::jit::Module& model, const std::string& model_label,
                                         const std::vector<std::vector<float>>& pixel_vectors,
                                         const c10::Device& device) {
  const auto count = static_cast<int64_t>(pixel_vectors.size());
  if (count == 0) return {};
  auto batch = torch::empty({count, 1, kImageSide, kImageSide}, torch::kFloat32);
  for (int64_t i = 0; i < count; ++i) {
    const auto& pixels = pixel_vectors[static_cast<size_t>(i)];
    if (static_cast<int64_t>(pixels.size()) != kImagePixels) {
      throw std::invalid_argument("classify_digits: a pixel vector of " + std::to_string(pixels.size()) +
                                  " pixels, expected 784");
    }
    std::copy(pixels.begin(), pixels.end(), batch.data_ptr<float>() + i * kImagePixels);
  }
  torch::NoGradGuard no_grad;
  const at::Tensor probabilities = forward_probabilities(model, model_label, batch.to(device))
                                       .to(torch::kCPU, torch::kFloat64)
                                       .contiguous();
  std::vector<DigitAnswer> answers;
  answers.reserve(pixel_vectors.size());
  for (int64_t i = 0; i < count; ++i) {
    answers.push_back(rank_classes(probabilities.data_ptr<double>() + i * kNumClasses));
  }
  return answers;
}

DigitAnswer rank_classes(const double* probabilities) {
  DigitAnswer answer;
  answer.probabilities.assign(probabilities, probabilities + kNumClasses);
  std::vector<int64_t> order(static_cast<size_t>(kNumClasses));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return probabilities[a] > probabilities[b]; });
  for (int64_t k = 0; k < kTopCount; ++k) {
    const int64_t digit = order[static_cast<size_t>(k)];
    answer.top.push_back({digit, probabilities[digit]});
  }
  answer.digit = answer.top.front().digit;
  answer.probability = answer.top.front().probability;
  return answer;
}

void mark_uncertain(DigitAnswer& answer, double below) { answer.uncertain = answer.probability < below; }

std::string answer_text(const DigitAnswer& answer) {
  if (answer.uncertain && answer.runner_up() >= 0) {
    return std::to_string(answer.digit) + " or " + std::to_string(answer.runner_up()) + "?";
  }
  return std::to_string(answer.digit);
}

}  // namespace mnist
