// A TorchScript classifier measured on labelled images; see model_evaluation.h.
#include "report/model_evaluation.h"

#include <torch/torch.h>

#include <algorithm>

#include "core/errors.h"
#include "core/mnist_shape.h"
#include "data/mnist_bytes_dataset.h"
#include "export/torchscript.h"
#include "image/drawn_variants.h"
#include "image/image_preprocess.h"
#include "inference/digit_classifier.h"

namespace mnist {

namespace {

// Classifies the prepared pixel vectors gathered so far, counts the right answers and keeps every
// answer's confidence.
void classify_pending(torch::jit::Module& module, const std::string& model_label, const c10::Device& device,
                      std::vector<std::vector<float>>& pixel_vectors, std::vector<int64_t>& labels,
                      VariantResult& result) {
  const auto answers = classify_digits(module, model_label, pixel_vectors, device);
  for (size_t i = 0; i < answers.size(); ++i) {
    const bool right = answers[i].digit == labels[i];
    result.correct += right;
    result.confidences.confidence.push_back(answers[i].probability);
    result.confidences.correct.push_back(right);
  }
  pixel_vectors.clear();
  labels.clear();
}

}  // namespace

EvalResult evaluate_torchscript(torch::jit::Module& module, const std::string& model_label,
                                const MnistTensors& data, const c10::Device& device,
                                int64_t batch_size, at::Tensor* probabilities) {
  module.eval();
  module.to(device);
  std::vector<at::Tensor> batches;
  auto result = evaluate(
      [&](const at::Tensor& images) {
        const auto batch = forward_probabilities(module, model_label, images);
        if (probabilities != nullptr) batches.push_back(batch.to(torch::kCPU));
        return torch::log(batch.clamp_min(1e-12));
      },
      data, device, batch_size);
  if (probabilities != nullptr) {
    *probabilities = batches.empty() ? torch::zeros({0, kNumClasses}) : torch::cat(batches);
  }
  return result;
}

ConfidenceSet confidence_set(const at::Tensor& probabilities, const at::Tensor& labels) {
  ConfidenceSet set;
  if (probabilities.size(0) == 0) return set;
  const auto [confidence, predicted] = probabilities.to(torch::kCPU, torch::kFloat64).max(/*dim=*/1);
  const auto correct = predicted.eq(labels.to(torch::kCPU)).to(torch::kUInt8).contiguous();
  const auto values = confidence.clamp(0, 1).contiguous();
  set.confidence.assign(values.data_ptr<double>(), values.data_ptr<double>() + values.numel());
  set.correct.assign(correct.data_ptr<uint8_t>(), correct.data_ptr<uint8_t>() + correct.numel());
  return set;
}

std::vector<int64_t> most_confident_mistakes(const at::Tensor& probabilities,
                                             const at::Tensor& labels, int64_t count) {
  if (count <= 0 || probabilities.size(0) == 0) return {};
  const auto [confidence, predicted] = probabilities.to(torch::kCPU).max(/*dim=*/1);
  const auto wrong = predicted.ne(labels.to(torch::kCPU));
  const auto ranked = confidence.to(torch::kFloat64).masked_fill(wrong.logical_not(), -1.0);
  const auto order = std::get<1>(ranked.sort(/*stable=*/true, /*dim=*/0, /*descending=*/true));
  const int64_t available = wrong.sum().item<int64_t>();
  std::vector<int64_t> indices;
  for (int64_t i = 0; i < std::min(count, available); ++i) indices.push_back(order[i].item<int64_t>());
  return indices;
}

std::vector<VariantResult> evaluate_drawn_variants(torch::jit::Module& module, const std::string& model_label,
                                                     const MnistTensors& data, const c10::Device& device,
                                                     int64_t batch_size) {
  module.eval();
  module.to(device);
  const auto images = pixels_in_unit_range(data.images).reshape({data.size(), -1}).contiguous();
  const auto labels = data.labels.to(torch::kCPU).contiguous();
  std::vector<VariantResult> results;
  for (const DrawnVariant variant : kAllDrawnVariants) {
    VariantResult result;
    result.variant = to_string(variant);
    std::vector<std::vector<float>> pixel_vectors;
    std::vector<int64_t> digit_labels;
    for (int64_t i = 0; i < data.size(); ++i) {
      const float* row = images.data_ptr<float>() + i * kImagePixels;
      ++result.count;
      try {
        pixel_vectors.push_back(prepare_digit(render_drawn_variant({row, row + kImagePixels}, variant, i)).pixels);
        digit_labels.push_back(labels[i].item<int64_t>());
      } catch (const RuntimeError&) {
        ++result.unprepared;
      }
      if (static_cast<int64_t>(pixel_vectors.size()) == batch_size) {
        classify_pending(module, model_label, device, pixel_vectors, digit_labels, result);
      }
    }
    classify_pending(module, model_label, device, pixel_vectors, digit_labels, result);
    results.push_back(result);
  }
  return results;
}

int64_t VariantResult::confident_mistakes() const {
  int64_t mistakes = 0;
  for (int64_t i = 0; i < confidences.size(); ++i) {
    mistakes += !confidences.correct[static_cast<size_t>(i)] &&
                confidences.confidence[static_cast<size_t>(i)] >= kDefaultUncertainBelow;
  }
  return mistakes;
}

VariantResult all_variants(const std::vector<VariantResult>& variants) {
  VariantResult all;
  all.variant = "all";
  for (const auto& v : variants) {
    all.count += v.count;
    all.correct += v.correct;
    all.unprepared += v.unprepared;
    all.confidences.confidence.insert(all.confidences.confidence.end(), v.confidences.confidence.begin(),
                                      v.confidences.confidence.end());
    all.confidences.correct.insert(all.confidences.correct.end(), v.confidences.correct.begin(),
                                   v.confidences.correct.end());
  }
  return all;
}

}  // namespace mnist
