// Export to, and read back from, the Keras legacy HDF5 layout (tf.keras 2.x `model.save("x.h5")`
// and `save_weights("x.h5")`), which tf.keras 2 and Keras 3 both load: image_recognition.h5 (full
// model) and weights.h5 (weights only), following the keras-h5.md format spec section by section.
// Not for: turning LibTorch modules into DenseLayerWeights (the caller transposes each weight and
// folds input preprocessing into the first layer), nor any other Keras file format.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace mnist {

struct DenseLayerWeights {
  int64_t inputs = 0;
  int64_t units = 0;
  std::vector<float> kernel;  // row-major (inputs, units): the Keras layout, i.e. the transposed torch weight
  std::vector<float> bias;    // (units)
  std::string activation;     // "relu" or "softmax"
};

enum class KerasH5Kind { kFullModel, kWeightsOnly };

// Writes the Keras legacy H5 layout (image_recognition.h5 for kFullModel with model_config,
// weights.h5 for kWeightsOnly), atomically via write_atomically(). The model is
// Flatten(28, 28) followed by the given Dense layers, named flatten, dense, dense_1, ...
// Throws std::invalid_argument for layers that do not form that model (first inputs != 784,
// sizes that disagree, an unknown activation) or a file name Keras would not load as this layout
// (it must end in .h5 and not in .weights.h5); RuntimeError when writing fails.
void write_keras_h5(const std::filesystem::path& path, const std::vector<DenseLayerWeights>& layers,
                    KerasH5Kind kind);

// Reads a file written in that layout back, the way the Keras loaders do (layer_names order,
// weight_names resolved relative to the layer group, weightless layers skipped), validating
// shapes and dtype. Throws mnist::RuntimeError naming the file and what is wrong.
// kFullModel also reads the activations from model_config. kWeightsOnly reads the root when it
// has layer_names and /model_weights otherwise (as load_weights does); such a file holds no
// activations, so `activation` is left empty.
std::vector<DenseLayerWeights> read_keras_h5(const std::filesystem::path& path, KerasH5Kind kind);

}  // namespace mnist
