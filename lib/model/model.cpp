// The MLP and its conversions; see model.h.
#include "model/model.h"

#include <torch/nn/init.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>
#include <torch/torch.h>


namespace mnist {

NormalizeImpl::NormalizeImpl(Normalization normalization) : normalization_(normalization) {
  mean_ = register_buffer("mean", torch::tensor(static_cast<float>(normalization.mean)));
  std_ = register_buffer("std", torch::tensor(static_cast<float>(normalization.std)));
}

torch::Tensor NormalizeImpl::forward(const torch::Tensor& pixels) { return (pixels - mean_) / std_; }

torch::nn::Sequential build_mlp(const ModelSpec& spec) {
  torch::nn::Sequential model;
  model->push_back(Normalize(spec.normalization));
  model->push_back(torch::nn::Flatten());
  int64_t inputs = kImagePixels;
  const auto add_linear = [&](int64_t outputs) {
    torch::nn::Linear linear(inputs, outputs);
    torch::NoGradGuard no_grad;
    torch::nn::init::xavier_uniform_(linear->weight);
    torch::nn::init::zeros_(linear->bias);
    model->push_back(linear);
    inputs = outputs;
  };
  for (const int64_t units : spec.hidden) {
    add_linear(units);
    model->push_back(torch::nn::ReLU());
    if (spec.dropout > 0) model->push_back(torch::nn::Dropout(spec.dropout));
  }
  add_linear(kNumClasses);
  return model;
}

std::string describe_architecture(const ModelSpec& spec) {
  std::string text = std::to_string(kImagePixels);
  for (const int64_t units : spec.hidden) text += "-" + std::to_string(units);
  return text + "-" + std::to_string(kNumClasses);
}

}  // namespace mnist
