// Reading our own Keras legacy H5 files back with the HDF5 C API, as the Keras loaders do, and
// strictly, as a portability check (read_keras_h5); see keras_h5.h. Files Keras itself wrote are
// imported leniently in keras_h5_import.cpp.
#include <hdf5.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/errors.h"
#include "core/mnist_shape.h"
#include "export/keras_h5.h"
#include "export/keras_h5_hdf5.h"

namespace mnist {
namespace fs = std::filesystem;
using namespace keras_h5_detail;

namespace {

enum class StringShape { kScalar, kList };

// Reads a fixed-length string attribute as h5py would hand it to Keras; std::nullopt if absent.
std::optional<std::vector<std::string>> read_string_attribute(const Hdf5Errors& h5, hid_t object,
                                                              const std::string& object_name,
                                                              const char* name, StringShape shape) {
  const std::string what = attribute_label(object_name, name);
  if (!h5.check_tri(H5Aexists(object, name), what + ": cannot look up")) return std::nullopt;
  Hid attribute = h5.own(H5Aopen(object, name, H5P_DEFAULT), H5Aclose, what + ": cannot open");
  Hid type = h5.own(H5Aget_type(attribute.get()), H5Tclose, what + ": cannot read type");
  if (H5Tget_class(type.get()) != H5T_STRING) h5.fail(what + ": not a string");
  if (h5.check_tri(H5Tis_variable_str(type.get()), what + ": cannot read string type")) {
    h5.fail(what + ": a variable-length string; tf.keras <= 2.4 needs fixed-length strings");
  }
  const size_t width = H5Tget_size(type.get());
  if (width == 0) h5.fail_in_hdf5(what + ": cannot read string size");
  const H5T_str_t padding = H5Tget_strpad(type.get());
  if (padding == H5T_STR_ERROR) h5.fail_in_hdf5(what + ": cannot read string padding");

  Hid space = h5.own(H5Aget_space(attribute.get()), H5Sclose, what + ": cannot read dataspace");
  const H5S_class_t space_class = H5Sget_simple_extent_type(space.get());
  hsize_t count = 1;
  if (shape == StringShape::kScalar) {
    if (space_class != H5S_SCALAR) h5.fail(what + ": must be a scalar string, not an array");
  } else {
    if (space_class != H5S_SIMPLE || H5Sget_simple_extent_ndims(space.get()) != 1) {
      h5.fail(what + ": must be a 1-D array of strings");
    }
    h5.check(H5Sget_simple_extent_dims(space.get(), &count, nullptr), what + ": cannot read size");
  }

  std::vector<char> buffer(count * width);
  if (count > 0) {
    h5.check(H5Aread(attribute.get(), type.get(), buffer.data()), what + ": cannot read");
  }
  std::vector<std::string> items;
  for (hsize_t i = 0; i < count; ++i) {
    const char* begin = buffer.data() + i * width;
    // NULLTERM reserves the last byte for the terminator, and h5py versions that read through a
    // NULLTERM type hand Keras `dense_` for `dense_1` stored with width 7; reading it the same way
    // here makes such a file fail its group lookup instead of passing.
    const size_t usable = padding == H5T_STR_NULLTERM ? width - 1 : width;
    std::string item(begin, std::find(begin, begin + usable, '\0'));
    if (padding == H5T_STR_SPACEPAD) item.erase(item.find_last_not_of(' ') + 1);
    items.push_back(std::move(item));
  }
  return items;
}

std::optional<std::string> read_scalar_string(const Hdf5Errors& h5, hid_t object,
                                              const std::string& object_name, const char* name) {
  auto items = read_string_attribute(h5, object, object_name, name, StringShape::kScalar);
  if (!items) return std::nullopt;
  return items->front();
}

struct DenseConfig {
  int64_t units = 0;
  std::string activation;
};

std::vector<DenseConfig> dense_configs_from_model_config(const Hdf5Errors& h5, const std::string& text) {
  std::vector<DenseConfig> dense_configs;
  try {
    const nlohmann::json model = nlohmann::json::parse(text);
    if (model.at("class_name") != "Sequential") {
      h5.fail("/@model_config: class_name is " + model.at("class_name").dump() +
              ", expected \"Sequential\"");
    }
    for (const auto& layer : model.at("config").at("layers")) {
      if (layer.at("class_name") != "Dense") continue;
      const auto& config = layer.at("config");
      dense_configs.push_back(
          {config.at("units").get<int64_t>(), config.at("activation").get<std::string>()});
    }
  } catch (const nlohmann::json::exception& e) {
    h5.fail(std::string("/@model_config: not a Sequential model config: ") + e.what());
  }
  return dense_configs;
}

// One weighted layer: weight_names -> [kernel (inputs, units), bias (units,)].
DenseLayerWeights read_dense_layer(const Hdf5Errors& h5, hid_t layer_group, const std::string& layer_path,
                                   const std::vector<std::string>& weight_names, int64_t expected_inputs) {
  if (weight_names.size() != kWeightsPerDenseLayer) {
    h5.fail(attribute_label(layer_path, "weight_names") + ": lists " +
            std::to_string(weight_names.size()) + " weights, a Dense layer has 2 (kernel, bias)");
  }
  const std::string kernel_name = child_name(layer_path, weight_names[0]);
  const std::string bias_name = child_name(layer_path, weight_names[1]);
  Hid kernel = open_hard(h5, layer_group, layer_path, weight_names[0], H5I_DATASET);
  Hid bias = open_hard(h5, layer_group, layer_path, weight_names[1], H5I_DATASET);
  const std::vector<hsize_t> kernel_dims = float_dataset_shape(h5, kernel.get(), kernel_name);
  const std::vector<hsize_t> bias_dims = float_dataset_shape(h5, bias.get(), bias_name);
  if (kernel_dims.size() != 2 || kernel_dims[0] != static_cast<hsize_t>(expected_inputs) ||
      kernel_dims[1] == 0) {
    h5.fail(kernel_name + ": shape " + shape_text(kernel_dims) + ", expected (" +
            std::to_string(expected_inputs) + ", units)");
  }
  if (kernel_dims[1] > kMaxValuesPerDataset / kernel_dims[0]) {
    h5.fail(kernel_name + ": shape " + shape_text(kernel_dims) + " is too large for this model");
  }
  if (bias_dims != std::vector<hsize_t>{kernel_dims[1]}) {
    h5.fail(bias_name + ": shape " + shape_text(bias_dims) + ", expected (" +
            std::to_string(kernel_dims[1]) + ",)");
  }
  DenseLayerWeights layer;
  layer.inputs = expected_inputs;
  layer.units = static_cast<int64_t>(kernel_dims[1]);
  layer.kernel = read_floats(h5, kernel.get(), kernel_name, kernel_dims[0] * kernel_dims[1]);
  layer.bias = read_floats(h5, bias.get(), bias_name, bias_dims[0]);
  return layer;
}

// What load_weights_from_hdf5_group does: layers in layer_names order, weightless ones skipped.
std::vector<DenseLayerWeights> read_layer_groups(const Hdf5Errors& h5, hid_t group,
                                                 const std::string& group_name) {
  for (const char* name : {"keras_version", "backend"}) read_scalar_string(h5, group, group_name, name);
  const auto layer_names =
      read_string_attribute(h5, group, group_name, "layer_names", StringShape::kList);
  if (!layer_names) h5.fail(attribute_label(group_name, "layer_names") + ": missing");
  std::vector<DenseLayerWeights> layers;
  int64_t expected_inputs = kImagePixels;
  for (const std::string& name : *layer_names) {
    const std::string layer_path = child_name(group_name, name);
    Hid layer_group = open_hard(h5, group, group_name, name, H5I_GROUP);
    const auto weight_names = read_string_attribute(h5, layer_group.get(), layer_path,
                                                    "weight_names", StringShape::kList);
    if (!weight_names || weight_names->empty()) continue;
    layers.push_back(read_dense_layer(h5, layer_group.get(), layer_path, *weight_names, expected_inputs));
    expected_inputs = layers.back().units;
  }
  if (layers.empty()) h5.fail(attribute_label(group_name, "layer_names") + ": no layer with weights");
  return layers;
}

}  // namespace

std::vector<DenseLayerWeights> read_keras_h5(const fs::path& path, KerasH5Kind kind) {
  silence_hdf5_error_printing();
  const std::string file_name = path.string();
  std::error_code ec;
  if (!fs::exists(path, ec)) throw RuntimeError(file_name + ": no such file");
  if (fs::is_directory(path, ec)) throw RuntimeError(file_name + ": a directory, not a Keras .h5 file");
  const Hdf5Errors io(file_name + ": ");
  if (!io.check_tri(H5Fis_hdf5(file_name.c_str()), "cannot read")) {
    io.fail("not an HDF5 file (expected a Keras .h5 file)");
  }
  Hid file = io.own(H5Fopen(file_name.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose,
                    "cannot open as HDF5");

  if (kind == KerasH5Kind::kFullModel) {
    const Hdf5Errors h5(file_name + ": not a valid Keras H5 model: ");
    const auto model_config = read_scalar_string(h5, file.get(), "/", "model_config");
    if (!model_config) {
      h5.fail("/@model_config: missing (a weights-only file? read it as weights)");
    }
    const std::vector<DenseConfig> dense_configs = dense_configs_from_model_config(h5, *model_config);
    for (const char* name : {"keras_version", "backend"}) read_scalar_string(h5, file.get(), "/", name);
    Hid weights = open_hard(h5, file.get(), "/", "model_weights", H5I_GROUP);
    std::vector<DenseLayerWeights> layers = read_layer_groups(h5, weights.get(), "/model_weights");
    if (dense_configs.size() != layers.size()) {
      h5.fail("/@model_config: lists " + std::to_string(dense_configs.size()) +
              " Dense layers, /model_weights holds " + std::to_string(layers.size()));
    }
    for (size_t i = 0; i < layers.size(); ++i) {
      if (dense_configs[i].units != layers[i].units) {
        h5.fail("/@model_config: Dense layer " + std::to_string(i + 1) + " has " +
                std::to_string(dense_configs[i].units) + " units, its weights have " +
                std::to_string(layers[i].units));
      }
      layers[i].activation = dense_configs[i].activation;
    }
    return layers;
  }

  // load_weights reads the root when it has layer_names, /model_weights otherwise.
  const Hdf5Errors h5(file_name + ": not a valid Keras H5 weights file: ");
  if (h5.check_tri(H5Aexists(file.get(), "layer_names"), "/@layer_names: cannot look up")) {
    return read_layer_groups(h5, file.get(), "/");
  }
  if (!h5.check_tri(H5Lexists(file.get(), "model_weights", H5P_DEFAULT), "/model_weights: cannot look up")) {
    h5.fail("neither /@layer_names nor a /model_weights group");
  }
  Hid weights = open_hard(h5, file.get(), "/", "model_weights", H5I_GROUP);
  return read_layer_groups(h5, weights.get(), "/model_weights");
}

}  // namespace mnist
