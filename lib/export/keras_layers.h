// Between the project's Sequential and Keras Dense layers, both ways. Out: kernels transposed to
// Keras' (inputs, units) layout, and the model's input normalisation folded into the first layer
// so that the Keras model takes raw 0-255 pixels, as the original Keras code fed it. In: a Keras
// model becomes the same Sequential mnist-train builds, its input scale kept inside the model
// (Normalize) so that it takes pixels in [0, 1] like every model of the project.
// Not for: the HDF5 layout itself (keras_h5.h).
#pragma once

#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/linear.h>

#include <vector>

#include "export/keras_h5.h"
#include "model/model.h"

namespace mnist {

// Each layer's activation is read from the module after its Linear (relu, tanh, sigmoid, softmax,
// or linear when none); the last layer's is softmax. A temperature T other than 1 is folded into
// the last layer (kernel and bias divided by T), which is exact for softmax(z / T). Throws
// std::invalid_argument for a module that build_mlp did not make.
std::vector<DenseLayerWeights> to_keras_layers(const torch::nn::Sequential& model, double temperature = 1.0);

// The Sequential of a Keras model: Normalize scales [0, 1] pixels to the range the model was
// trained on (mean 0, std 1/255 for 0-255), then its Dense layers' weights exactly. The last
// layer gives logits (its softmax, if any, is the project's output step). Throws
// std::invalid_argument for layers that do not form such a model.
ImportedMlp mlp_from_keras(const std::vector<DenseLayerWeights>& layers, KerasInputRange range);

// The same function with another input normalisation: the difference is folded into the first
// layer (in double precision), so that a model imported with any scale trains like one of ours.
ImportedMlp with_normalization(const ImportedMlp& mlp, const Normalization& target);

// The Linear layers of a model built by build_mlp, in order.
std::vector<torch::nn::Linear> linear_layers(const torch::nn::Sequential& model);

}  // namespace mnist
