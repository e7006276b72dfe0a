// The MLP and its conversions; see model.h.
#include "model.h"

#include <torch/nn/init.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>
#include <torch/torch.h>

#include <sstream>

#include "errors.h"

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

std::vector<int64_t> parse_hidden_sizes(const std::string& text) {
  const auto bad = [&](const std::string& why) {
    return UsageError("--hidden " + text + ": " + why +
                      " (expected comma-separated layer sizes, e.g. 300,100)");
  };
  std::vector<int64_t> sizes;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    if (item.empty() || item.find_first_not_of("0123456789") != std::string::npos) {
      throw bad("'" + item + "' is not a positive integer");
    }
    if (item.size() > 6 || std::stoll(item) == 0 || std::stoll(item) > 100000) {
      throw bad("'" + item + "' is outside 1..100000");
    }
    sizes.push_back(std::stoll(item));
  }
  if (text.empty() || text.back() == ',') throw bad("empty layer size");
  if (sizes.size() > 16) throw bad("more than 16 hidden layers");
  return sizes;
}

std::string describe_architecture(const ModelSpec& spec) {
  std::string text = std::to_string(kImagePixels);
  for (const int64_t units : spec.hidden) text += "-" + std::to_string(units);
  return text + "-" + std::to_string(kNumClasses);
}

std::vector<DenseLayerWeights> to_keras_layers(const torch::nn::Sequential& model) {
  std::vector<torch::nn::LinearImpl*> linears;
  const NormalizeImpl* normalize = nullptr;
  for (const auto& child : model->children()) {
    if (auto* linear = dynamic_cast<torch::nn::LinearImpl*>(child.get())) linears.push_back(linear);
    if (auto* norm = dynamic_cast<NormalizeImpl*>(child.get())) normalize = norm;
  }
  if (linears.empty() || normalize == nullptr) {
    throw std::invalid_argument("to_keras_layers: not a model built by build_mlp");
  }

  torch::NoGradGuard no_grad;
  std::vector<DenseLayerWeights> layers;
  for (size_t i = 0; i < linears.size(); ++i) {
    auto weight = linears[i]->weight.detach().to(torch::kCPU, torch::kFloat64);
    auto bias = linears[i]->bias.detach().to(torch::kCPU, torch::kFloat64);
    if (i == 0) {
      // raw pixel r: ((r / 255) - mean) / std = r * scale + shift, folded into W and b.
      const Normalization& n = normalize->normalization();
      const double scale = 1.0 / (255.0 * n.std);
      const double shift = -n.mean / n.std;
      bias = bias + shift * weight.sum(/*dim=*/1);
      weight = weight * scale;
    }
    const auto kernel = weight.t().contiguous().to(torch::kFloat32);
    const auto bias32 = bias.contiguous().to(torch::kFloat32);
    DenseLayerWeights layer;
    layer.inputs = kernel.size(0);
    layer.units = kernel.size(1);
    layer.kernel.assign(kernel.data_ptr<float>(), kernel.data_ptr<float>() + kernel.numel());
    layer.bias.assign(bias32.data_ptr<float>(), bias32.data_ptr<float>() + bias32.numel());
    layer.activation = (i + 1 == linears.size()) ? "softmax" : "relu";
    layers.push_back(std::move(layer));
  }
  return layers;
}

}  // namespace mnist
