// Sequential to Keras Dense layers; see keras_layers.h.
#include "export/keras_layers.h"

#include <torch/nn/modules/linear.h>
#include <torch/torch.h>

#include <cmath>
#include <stdexcept>
#include <string>

#include "model/model.h"

namespace mnist {

std::vector<DenseLayerWeights> to_keras_layers(const torch::nn::Sequential& model, double temperature) {
  std::vector<torch::nn::LinearImpl*> linears;
  const NormalizeImpl* normalize = nullptr;
  for (const auto& child : model->children()) {
    if (auto* linear = dynamic_cast<torch::nn::LinearImpl*>(child.get())) linears.push_back(linear);
    if (auto* norm = dynamic_cast<NormalizeImpl*>(child.get())) normalize = norm;
  }
  if (!(temperature > 0) || !std::isfinite(temperature)) {
    throw std::invalid_argument("to_keras_layers: temperature " + std::to_string(temperature) + " is not positive");
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
    layer.activation = (i + 1 == linears.size()) ? "softmax" : "relu";
    layers.push_back(std::move(layer));
  }
  return layers;
}

}  // namespace mnist
