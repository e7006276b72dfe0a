// Evaluation over a data set; see evaluation.h.
#include "report/evaluation.h"

#include <torch/torch.h>

#include "data/mnist_bytes_dataset.h"
#include "model/model.h"

namespace mnist {

EvalResult evaluate(const LogProbabilityFn& log_probabilities, const MnistTensors& data,
                    const c10::Device& device, int64_t batch_size) {
  torch::InferenceMode inference;
  EvalResult result;
  result.count = data.size();
  auto loss_sum = torch::zeros({}, torch::TensorOptions().dtype(torch::kFloat64).device(device));
  auto pair_counts = torch::zeros({kNumClasses * kNumClasses},
                                  torch::TensorOptions().dtype(torch::kInt64).device(device));
  for (int64_t start = 0; start < result.count; start += batch_size) {
    const int64_t end = std::min(start + batch_size, result.count);
    const auto images = pixels_in_unit_range(data.images.slice(0, start, end).to(device));
    const auto labels = data.labels.slice(0, start, end).to(device);
    const auto log_probs = log_probabilities(images);
    loss_sum += torch::nll_loss(log_probs, labels, {}, at::Reduction::Sum).to(torch::kFloat64);
    const auto predicted = log_probs.argmax(/*dim=*/1);
    pair_counts += torch::bincount(labels * kNumClasses + predicted, {}, kNumClasses * kNumClasses);
  }
  result.confusion = pair_counts.reshape({kNumClasses, kNumClasses}).to(torch::kCPU);
  if (result.count > 0) {
    result.loss = loss_sum.item<double>() / static_cast<double>(result.count);
    result.accuracy = static_cast<double>(result.confusion.trace().item<int64_t>()) /
                      static_cast<double>(result.count);
  }
  return result;
}

EvalResult evaluate_model(torch::nn::Sequential& model, const MnistTensors& data,
                          const c10::Device& device) {
  const bool was_training = model->is_training();
  model->eval();
  auto result = evaluate(
      [&](const at::Tensor& images) { return torch::log_softmax(model->forward(images), 1); }, data,
      device);
  model->train(was_training);
  return result;
}

LabelledLogits labelled_logits(torch::nn::Sequential& model, const MnistTensors& data,
                               const c10::Device& device, int64_t batch_size) {
  const bool was_training = model->is_training();
  model->eval();
  LabelledLogits set;
  set.classes = kNumClasses;
  {
    torch::InferenceMode inference;
    for (int64_t start = 0; start < data.size(); start += batch_size) {
      const int64_t end = std::min(start + batch_size, data.size());
      const auto images = pixels_in_unit_range(data.images.slice(0, start, end).to(device));
      const auto logits = model->forward(images).to(torch::kCPU, torch::kFloat64).contiguous();
      set.logits.insert(set.logits.end(), logits.data_ptr<double>(), logits.data_ptr<double>() + logits.numel());
    }
    const auto labels = data.labels.to(torch::kCPU, torch::kInt64).contiguous();
    set.labels.assign(labels.data_ptr<int64_t>(), labels.data_ptr<int64_t>() + labels.numel());
  }
  model->train(was_training);
  return set;
}

}  // namespace mnist
