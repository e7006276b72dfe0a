// A Keras model's config (the model_config attribute of an .h5, config.json in a .keras archive),
// reduced to what this project's MLP needs: a Sequential of InputLayer, Flatten, Dense and Dropout,
// with its declared input shape and its Dense layers' units and activations. Both readers
// (keras_h5_read.cpp, keras_archive.cpp) judge a config and a model's ends here, with the same
// words. Not for: the weights (HDF5, in whichever layout), or writing configs.
// Internal to lib/export, and to the fuzz target that parses configs (tests/fuzz).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "export/keras_h5.h"

namespace mnist::keras_h5_detail {

// One entry of model_config's layer list, reduced to what the MLP needs.
struct ConfigLayer {
  std::string name;
  std::string class_name;
  int64_t units = 0;
  std::string activation;
  bool use_bias = true;
  std::optional<std::vector<int64_t>> input_shape;  // without the batch axis, where the config gives one

  std::string label() const { return name + " (" + class_name + ")"; }
};

// The layers of a Sequential config (tf.keras 2, Keras 3, or the bare list of old tf.keras).
// Throws RuntimeError "<file_name>: ...": a functional model, an unsupported layer, activation or
// data format, a Dense layer without integer units, text that is not such JSON (`where` names the
// config in that message: "/@model_config" or "config.json").
std::vector<ConfigLayer> parse_sequential_config(const std::string& file_name, const std::string& where,
                                                 const std::string& text);

// The input shape the model declares must be one image: 28x28 (with or without a channel) or 784.
void check_input_shape(const std::string& file_name, const std::vector<ConfigLayer>& layers);

// The project's MLP ends in 10 class scores: probabilities (softmax) or logits (linear).
void check_output_layer(const std::string& file_name, const std::vector<DenseLayerWeights>& layers,
                        const std::string& last_label);

}  // namespace mnist::keras_h5_detail
