// Export to, and read back from, the Keras legacy HDF5 layout (tf.keras 2.x `model.save("x.h5")`
// and `save_weights("x.h5")`), which tf.keras 2 and Keras 3 both load: image_recognition.h5 (full
// model) and weights.h5 (weights only), following the keras-h5.md format spec section by section.
// Also the import of such files as Keras itself writes them (tf.keras 2 and Keras 3's legacy H5
// writer, spec section 11): Sequential MLPs of InputLayer, Flatten, Dense and Dropout.
// Not for: turning LibTorch modules into DenseLayerWeights and back (keras_layers.h), nor any
// other Keras file format.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace mnist {

struct DenseLayerWeights {
  int64_t inputs = 0;
  int64_t units = 0;
  std::vector<float> kernel;  // row-major (inputs, units): the Keras layout, i.e. the transposed torch weight
  std::vector<float> bias;    // (units)
  std::string activation;     // "relu", "softmax", "linear", "sigmoid" or "tanh"
};

// The activations a Dense layer may have, in Keras' spelling.
inline constexpr const char* kKerasActivations[] = {"relu", "softmax", "linear", "sigmoid", "tanh"};

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

// True when the file starts with HDF5's 8-byte signature (\x89HDF\r\n\x1a\n), whatever its name.
bool has_hdf5_signature(const std::filesystem::path& path);

// The pixel range a Keras model was trained on: raw 0-255 (the original script, and the .h5 files
// this project writes) or [0, 1]. Imported models are scaled inside so that they keep the
// project's contract, pixels in [0, 1].
enum class KerasInputRange { k255, k1 };

// "255" or "1", as --keras-input-range spells it and the model card records it.
inline std::string to_string(KerasInputRange range) { return range == KerasInputRange::k255 ? "255" : "1"; }

// A Keras model as the Keras loaders see it, reduced to what this project's MLP needs.
struct KerasModel {
  std::string keras_version;  // as the file says, e.g. "2.15.0" or "3.16.0"; empty if absent
  std::string backend;        // e.g. "tensorflow"; empty if absent
  bool weights_only = false;  // a save_weights file: no model_config, so relu then softmax assumed
  std::vector<DenseLayerWeights> layers;  // the Dense layers in order, 784 inputs first, 10 units last
};

// Reads a Keras .h5 as tf.keras 2.x or Keras 3 (legacy H5) wrote it: a Sequential model_config
// of InputLayer, Flatten, Dense (relu, softmax, linear, sigmoid, tanh) and Dropout, the weights
// under /model_weights, or at the root for save_weights files. String attributes may be fixed- or
// variable-length, lists split as layer_names0, layer_names1, ...; training_config and
// optimizer_weights are ignored. Throws RuntimeError, one line naming the file and the layer: an
// unsupported layer, a functional model, a missing or extra weight, kernels that do not chain, an
// input that is not 28x28 or 784, an HDF5 file that is not Keras, a truncated file.
KerasModel load_keras_model(const std::filesystem::path& path);

// Both read the file in a child process (export/keras_h5_isolated.h): HDF5 crashes on some
// damaged files, and such a crash is then a RuntimeError, "<file>: HDF5 crashed reading it: ...".
// HDF5 loops forever on others: the child gets `deadline` (reading a model takes well under a
// second), then the read fails, "<file>: HDF5 did not finish reading it in 60 s: ..."; and it
// may grow by 2 GB of memory, "<file>: reading it needed more than 2 GB of memory: ...".
inline constexpr std::chrono::seconds kKerasReadDeadline{60};

// The same from a whole .h5 file held in memory (an upload, a fuzz input); `name` stands for the
// file in messages.
KerasModel load_keras_model_image(std::string_view bytes, const std::string& name,
                                  std::chrono::seconds deadline = kKerasReadDeadline);

// load_keras_model_image in this process: what HDF5 does with the bytes, crashes included. Only
// for fuzzing HDF5 itself (tests/fuzz/fuzz_hdf5_in_process.cpp).
KerasModel load_keras_model_image_in_process(std::string_view bytes, const std::string& name);

}  // namespace mnist
