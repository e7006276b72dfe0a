// Sequential to Keras Dense layers and back; see keras_layers.h.
#include "export/keras_layers.h"

#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/linear.h>
#include <torch/torch.h>

#include <cmath>
#include <stdexcept>
#include <string>

#include "core/mnist_shape.h"

namespace mnist {

namespace {

const NormalizeImpl* find_normalize(const torch::nn::Sequential& model) {
  for (const auto& child : model->children()) {
    if (auto* norm = dynamic_cast<NormalizeImpl*>(child.get())) return norm;
  }
  return nullptr;
}

// The Keras name of an activation module; empty for modules that are not activations.
std::string activation_name(const torch::nn::Module& module) {
  if (dynamic_cast<const torch::nn::ReLUImpl*>(&module) != nullptr) return "relu";
  if (dynamic_cast<const torch::nn::TanhImpl*>(&module) != nullptr) return "tanh";
  if (dynamic_cast<const torch::nn::SigmoidImpl*>(&module) != nullptr) return "sigmoid";
  if (dynamic_cast<const torch::nn::SoftmaxImpl*>(&module) != nullptr) return "softmax";
  return {};
}

// The activation after each Linear, "linear" where none follows.
std::vector<std::string> activations_after_linears(const torch::nn::Sequential& model) {
  std::vector<std::string> activations;
  for (const auto& child : model->children()) {
    if (dynamic_cast<torch::nn::LinearImpl*>(child.get()) != nullptr) {
      activations.push_back("linear");
    } else if (const std::string name = activation_name(*child); !name.empty() && !activations.empty()) {
      activations.back() = name;
    }
  }
  return activations;
}

}  // namespace

std::vector<torch::nn::Linear> linear_layers(const torch::nn::Sequential& model) {
  std::vector<torch::nn::Linear> linears;
  for (const auto& child : model->children()) {
    if (auto linear = std::dynamic_pointer_cast<torch::nn::LinearImpl>(child)) linears.emplace_back(linear);
  }
  return linears;
}

std::vector<DenseLayerWeights> to_keras_layers(const torch::nn::Sequential& model, double temperature) {
  if (!(temperature > 0) || !std::isfinite(temperature)) {
    throw std::invalid_argument("to_keras_layers: temperature " + std::to_string(temperature) + " is not positive");
  }
  const std::vector<torch::nn::Linear> linears = linear_layers(model);
  const NormalizeImpl* normalize = find_normalize(model);
  if (linears.empty() || normalize == nullptr) {
    throw std::invalid_argument("to_keras_layers: not a model built by build_mlp");
  }
  const std::vector<std::string> activations = activations_after_linears(model);

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
    if (i + 1 == linears.size() && temperature != 1.0) {
      weight = weight / temperature;
      bias = bias / temperature;
    }
    const auto kernel = weight.t().contiguous().to(torch::kFloat32);
    const auto bias32 = bias.contiguous().to(torch::kFloat32);
    DenseLayerWeights layer;
    layer.inputs = kernel.size(0);
    layer.units = kernel.size(1);
    layer.kernel.assign(kernel.data_ptr<float>(), kernel.data_ptr<float>() + kernel.numel());
    layer.bias.assign(bias32.data_ptr<float>(), bias32.data_ptr<float>() + bias32.numel());
    layer.activation = (i + 1 == linears.size()) ? "softmax" : activations[i];
    layers.push_back(std::move(layer));
  }
  return layers;
}

ImportedMlp mlp_from_keras(const std::vector<DenseLayerWeights>& layers, KerasInputRange range) {
  if (layers.empty() || layers.front().inputs != kImagePixels || layers.back().units != kNumClasses) {
    throw std::invalid_argument("mlp_from_keras: not Dense layers from 784 pixels to 10 classes");
  }
  ImportedMlp imported;
  imported.spec.normalization = {/*mean=*/0.0, /*std=*/range == KerasInputRange::k255 ? 1.0 / 255.0 : 1.0};
  imported.spec.hidden.clear();
  for (size_t i = 0; i + 1 < layers.size(); ++i) {
    imported.spec.hidden.push_back(layers[i].units);
    imported.spec.hidden_activations.push_back(layers[i].activation);
  }
  imported.model = build_mlp(imported.spec);
  const std::vector<torch::nn::Linear> linears = linear_layers(imported.model);
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < layers.size(); ++i) {
    const DenseLayerWeights& layer = layers[i];
    if (static_cast<int64_t>(layer.kernel.size()) != layer.inputs * layer.units ||
        static_cast<int64_t>(layer.bias.size()) != layer.units || linears[i]->weight.size(1) != layer.inputs) {
      throw std::invalid_argument("mlp_from_keras: layer " + std::to_string(i) + " does not chain");
    }
    const auto kernel = torch::from_blob(const_cast<float*>(layer.kernel.data()), {layer.inputs, layer.units},
                                         torch::kFloat32);
    linears[i]->weight.copy_(kernel.t());
    linears[i]->bias.copy_(torch::from_blob(const_cast<float*>(layer.bias.data()), {layer.units}, torch::kFloat32));
  }
  return imported;
}

ImportedMlp with_normalization(const ImportedMlp& mlp, const Normalization& target) {
  const NormalizeImpl* normalize = find_normalize(mlp.model);
  if (normalize == nullptr) throw std::invalid_argument("with_normalization: not a model built by build_mlp");
  const Normalization source = normalize->normalization();
  ImportedMlp result;
  result.spec = mlp.spec;
  result.spec.normalization = target;
  result.model = build_mlp(result.spec);
  const auto from = linear_layers(mlp.model);
  const auto to = linear_layers(result.model);
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < from.size(); ++i) {
    auto weight = from[i]->weight.detach().to(torch::kCPU, torch::kFloat64);
    auto bias = from[i]->bias.detach().to(torch::kCPU, torch::kFloat64);
    if (i == 0) {
      // x = z_target * std_t + mean_t, so z_source = z_target * (std_t / std_s) + (mean_t - mean_s) / std_s.
      bias = bias + (target.mean - source.mean) / source.std * weight.sum(/*dim=*/1);
      weight = weight * (target.std / source.std);
    }
    to[i]->weight.copy_(weight.to(torch::kFloat32));
    to[i]->bias.copy_(bias.to(torch::kFloat32));
  }
  return result;
}

}  // namespace mnist
