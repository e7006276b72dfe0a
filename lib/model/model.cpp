// The MLP and its conversions; see model.h.
#include "model/model.h"

#include <torch/nn/init.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>
#include <torch/torch.h>

#include <stdexcept>


namespace mnist {

NormalizeImpl::NormalizeImpl(Normalization normalization) : normalization_(normalization) {
  mean_ = register_buffer("mean", torch::tensor(static_cast<float>(normalization.mean)));
  std_ = register_buffer("std", torch::tensor(static_cast<float>(normalization.std)));
}

torch::Tensor NormalizeImpl::forward(const torch::Tensor& pixels) { return (pixels - mean_) / std_; }

std::string hidden_activation(const ModelSpec& spec, size_t index) {
  return spec.hidden_activations.empty() ? "relu" : spec.hidden_activations.at(index);
}

namespace {

void push_activation(torch::nn::Sequential& model, const std::string& activation) {
  if (activation == "relu") {
    model->push_back(torch::nn::ReLU());
  } else if (activation == "tanh") {
    model->push_back(torch::nn::Tanh());
  } else if (activation == "sigmoid") {
    model->push_back(torch::nn::Sigmoid());
  } else if (activation == "softmax") {
    model->push_back(torch::nn::Softmax(/*dim=*/1));
  } else if (activation != "linear") {
    throw std::invalid_argument("build_mlp: unknown activation " + activation);
  }
}

}  // namespace

torch::nn::Sequential build_mlp(const ModelSpec& spec) {
  if (!spec.hidden_activations.empty() && spec.hidden_activations.size() != spec.hidden.size()) {
    throw std::invalid_argument("build_mlp: one activation per hidden layer expected");
  }
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
  for (size_t i = 0; i < spec.hidden.size(); ++i) {
    add_linear(spec.hidden[i]);
    push_activation(model, hidden_activation(spec, i));
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
