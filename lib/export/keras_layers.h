// From the trained Sequential to the Dense layers of the Keras file: kernels transposed to
// Keras' (inputs, units) layout, and the model's input normalisation folded into the first
// layer so that the Keras model takes raw 0-255 pixels, as the original Keras code fed it.
// Not for: the HDF5 layout itself (keras_h5.h).
#pragma once

#include <torch/nn/modules/container/sequential.h>

#include <vector>

#include "export/keras_h5.h"

namespace mnist {

// The last layer's activation is softmax, the others relu. A temperature T other than 1 is
// folded into the last layer (kernel and bias divided by T), which is exact for softmax(z / T).
// Throws std::invalid_argument for a module that build_mlp did not make.
std::vector<DenseLayerWeights> to_keras_layers(const torch::nn::Sequential& model, double temperature = 1.0);

}  // namespace mnist
