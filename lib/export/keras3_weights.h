// The HDF5 member of a .keras archive, model.weights.h5, in Keras 3's layout (saving_lib's
// H5IOStore): the variables of the k-th layer of a class are the datasets /layers/<class>[_k]/vars/0,
// 1, ... (the class name in snake case, numbered within the model, never the layer's own name),
// the model's own in /vars; tf.keras 2.13-2.15 wrote /_layer_checkpoint_dependencies/ for /layers/.
// Internal to lib/export (keras_archive.cpp). Not for: the legacy .h5 layout (keras_h5_read.cpp).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "export/keras_config.h"
#include "export/keras_h5.h"

namespace mnist::keras_h5_detail {

// The Dense layers of `config` with their weights from the HDF5 image `image`, checked as the
// .h5 import checks them (count, shapes chaining from 784, 10 classes last). In this process: the
// caller runs it in a child (keras_h5_isolated.h). Throws RuntimeError "<name>: ...".
std::vector<DenseLayerWeights> read_keras3_weights(std::string_view image, const std::string& name,
                                                   const std::vector<ConfigLayer>& config);

// The HDF5 image of Flatten followed by `layers` in that layout (the layers already validated).
std::string keras3_weights_image(const std::vector<DenseLayerWeights>& layers, const std::string& name);

}  // namespace mnist::keras_h5_detail
