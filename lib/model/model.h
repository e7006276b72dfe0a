// The network: the original Keras MLP (Flatten -> Dense 300 ReLU -> Dense 100 ReLU -> Dense 10)
// as a torch::nn::Sequential that takes pixels in [0,1] and returns logits. Input normalisation
// is the model's first module, so every consumer (training, evaluation, exports) agrees on it.
// Not for: training or file formats.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/mnist_shape.h"

namespace mnist {

// Mean and standard deviation of the MNIST training pixels (scaled to [0,1]).
struct Normalization {
  double mean = 0.1307;
  double std = 0.3081;
};

struct ModelSpec {
  std::vector<int64_t> hidden{300, 100};
  // One per hidden layer, in Keras' spelling: relu, tanh, sigmoid, softmax or linear (none).
  // Empty: relu everywhere, what mnist-train trains; others come from imported Keras models.
  std::vector<std::string> hidden_activations;
  double dropout = 0.0;
  Normalization normalization;
};

// (x - mean) / std with the constants held as buffers, so they travel with the weights.
class NormalizeImpl : public torch::nn::Module {
 public:
  explicit NormalizeImpl(Normalization normalization);
  torch::Tensor forward(const torch::Tensor& pixels);
  const Normalization& normalization() const { return normalization_; }

 private:
  Normalization normalization_;
  torch::Tensor mean_;
  torch::Tensor std_;
};
TORCH_MODULE(Normalize);

// The activation of hidden layer `index` under spec.hidden_activations ("relu" when empty).
std::string hidden_activation(const ModelSpec& spec, size_t index);

// Normalize, Flatten, then per hidden size Linear + its activation, ReLU unless
// spec.hidden_activations says otherwise (+ Dropout when spec.dropout > 0), then
// Linear to 10 logits. Weights Glorot-uniform and biases zero, as Keras initialises Dense layers;
// seed the global generator (torch::manual_seed) first for a reproducible draw.
torch::nn::Sequential build_mlp(const ModelSpec& spec);

// A model built by build_mlp together with its spec: what importing a model file gives.
struct ImportedMlp {
  ModelSpec spec;
  torch::nn::Sequential model;
};

// "784-300-100-10" for banners and the model card.
std::string describe_architecture(const ModelSpec& spec);


}  // namespace mnist
