// Importing what Keras itself wrote, with the HDF5 C API (spec section 11): load_keras_model and
// its in-memory and child-process forms; see keras_h5.h. Keras is lenient where our own files are
// strict (keras_h5_read.cpp): strings may be variable-length (Keras 3), lists may be split into
// name0, name1, ..., a weightless layer's weight_names may be an empty array of any type, and the
// file may carry training_config and optimizer_weights, which a model for inference ignores.
#include <hdf5.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <optional>
#include <string_view>

#include "core/errors.h"
#include "core/mnist_shape.h"
#include "export/keras_config.h"
#include "export/keras_h5.h"
#include "export/keras_h5_hdf5.h"
#include "export/keras_h5_isolated.h"

namespace mnist {
namespace fs = std::filesystem;
using namespace keras_h5_detail;

namespace {

constexpr std::array<char, 8> kHdf5Signature{'\x89', 'H', 'D', 'F', '\r', '\n', '\x1a', '\n'};

// The strings of a scalar or 1-D attribute, fixed- or variable-length; an empty array of any type
// is an empty list (Keras 3 writes a weightless layer's weight_names as float64[0]).
std::vector<std::string> read_any_strings(const Hdf5Errors& h5, hid_t object, const std::string& what,
                                          const char* name) {
  Hid attribute = h5.own(H5Aopen(object, name, H5P_DEFAULT), H5Aclose, what + ": cannot open");
  Hid type = h5.own(H5Aget_type(attribute.get()), H5Tclose, what + ": cannot read type");
  Hid space = h5.own(H5Aget_space(attribute.get()), H5Sclose, what + ": cannot read dataspace");
  const H5S_class_t space_class = H5Sget_simple_extent_type(space.get());
  hsize_t count = 1;
  if (space_class == H5S_SIMPLE) {
    if (H5Sget_simple_extent_ndims(space.get()) != 1) h5.fail(what + ": not a list of strings");
    h5.check(H5Sget_simple_extent_dims(space.get(), &count, nullptr), what + ": cannot read size");
  } else if (space_class != H5S_SCALAR) {
    count = 0;
  }
  if (count == 0) return {};
  if (H5Tget_class(type.get()) != H5T_STRING) h5.fail(what + ": not a string");
  if (count > (hsize_t{1} << 20)) h5.fail(what + ": too many strings");
  std::vector<std::string> items;
  if (h5.check_tri(H5Tis_variable_str(type.get()), what + ": cannot read string type")) {
    Hid memory_type = h5.own(H5Tcopy(H5T_C_S1), H5Tclose, what + ": cannot create string type");
    h5.check(H5Tset_size(memory_type.get(), H5T_VARIABLE), what + ": cannot set string size");
    h5.check(H5Tset_cset(memory_type.get(), H5Tget_cset(type.get())), what + ": cannot set character set");
    std::vector<char*> pointers(count, nullptr);
    h5.check(H5Aread(attribute.get(), memory_type.get(), pointers.data()), what + ": cannot read");
    for (char* text : pointers) items.emplace_back(text == nullptr ? "" : text);
    H5Dvlen_reclaim(memory_type.get(), space.get(), H5P_DEFAULT, pointers.data());
    return items;
  }
  const size_t width = H5Tget_size(type.get());
  if (width == 0) h5.fail_in_hdf5(what + ": cannot read string size");
  std::vector<char> buffer(count * width);
  h5.check(H5Aread(attribute.get(), type.get(), buffer.data()), what + ": cannot read");
  for (hsize_t i = 0; i < count; ++i) {
    const char* begin = buffer.data() + i * width;
    std::string item(begin, std::find(begin, begin + width, '\0'));
    if (H5Tget_strpad(type.get()) == H5T_STR_SPACEPAD) item.erase(item.find_last_not_of(' ') + 1);
    items.push_back(std::move(item));
  }
  return items;
}

bool has_attribute(const Hdf5Errors& h5, hid_t object, const std::string& what, const std::string& name) {
  return h5.check_tri(H5Aexists(object, name.c_str()), what + ": cannot look up");
}

// A list attribute as Keras' load_attributes_from_hdf5_group reads it: `name`, or when that is
// absent the chunks name0, name1, ... that the writer splits long lists into.
std::optional<std::vector<std::string>> read_keras_list(const Hdf5Errors& h5, hid_t object,
                                                        const std::string& object_name, const std::string& name) {
  const std::string what = attribute_label(object_name, name);
  if (has_attribute(h5, object, what, name)) return read_any_strings(h5, object, what, name.c_str());
  std::optional<std::vector<std::string>> items;
  for (int chunk = 0;; ++chunk) {
    const std::string chunk_name = name + std::to_string(chunk);
    const std::string chunk_what = attribute_label(object_name, chunk_name);
    if (!has_attribute(h5, object, chunk_what, chunk_name)) return items;
    if (!items) items.emplace();
    for (auto& item : read_any_strings(h5, object, chunk_what, chunk_name.c_str())) items->push_back(std::move(item));
  }
}

std::string read_keras_text(const Hdf5Errors& h5, hid_t object, const std::string& object_name,
                            const char* name) {
  const std::string what = attribute_label(object_name, name);
  if (!has_attribute(h5, object, what, name)) return {};
  const auto items = read_any_strings(h5, object, what, name);
  if (items.size() != 1) h5.fail(what + ": not a single string");
  return items.front();
}

struct WeightedGroup {
  std::string name;
  std::string path;
  std::vector<std::string> weight_names;
};

// The groups named by layer_names that own weights, in order, as load_weights_from_hdf5_group pairs them.
std::vector<WeightedGroup> weighted_groups(const Hdf5Errors& h5, hid_t group, const std::string& group_name) {
  const auto layer_names = read_keras_list(h5, group, group_name, "layer_names");
  if (!layer_names) h5.fail(attribute_label(group_name, "layer_names") + ": missing; not a Keras weights group");
  std::vector<WeightedGroup> weighted;
  for (const std::string& name : *layer_names) {
    const std::string path = child_name(group_name, name);
    Hid layer_group = open_hard(h5, group, group_name, name, H5I_GROUP);
    auto weight_names = read_keras_list(h5, layer_group.get(), path, "weight_names");
    if (weight_names && !weight_names->empty()) weighted.push_back({name, path, std::move(*weight_names)});
  }
  return weighted;
}

// A Dense layer's config (or, for weights-only files, its position) with the kernel and bias its
// group holds, checked against the layer before it.
DenseLayerWeights read_imported_dense(const Hdf5Errors& h5, hid_t group, const std::string& group_name,
                                      const WeightedGroup& weights, const ConfigLayer& layer,
                                      int64_t expected_inputs, const std::string& previous) {
  const size_t expected_count = layer.use_bias ? 2 : 1;
  if (weights.weight_names.size() != expected_count) {
    h5.fail("layer " + layer.label() + ": " + std::to_string(weights.weight_names.size()) + " weights in " +
            attribute_label(weights.path, "weight_names") + ", expected " +
            (layer.use_bias ? "2 (kernel, bias)" : "1 (kernel, use_bias false)"));
  }
  Hid layer_group = open_hard(h5, group, group_name, weights.name, H5I_GROUP);
  // A weights-only file's assumed config knows no units (0).
  return read_dense_weights(h5, layer_group.get(), weights.path, weights.weight_names[0],
                            layer.use_bias ? weights.weight_names[1] : "", layer, /*units_known=*/layer.units > 0,
                            expected_inputs, previous);
}

// Pairs the Dense layers of the config with the weighted groups by position, as the loaders do,
// naming the layer that has no weights or the weights that have no layer.
std::vector<DenseLayerWeights> read_imported_layers(const Hdf5Errors& h5, hid_t group, const std::string& group_name,
                                                    const std::vector<ConfigLayer>& config_layers) {
  const std::vector<WeightedGroup> weighted = weighted_groups(h5, group, group_name);
  std::vector<const ConfigLayer*> dense_layers;
  for (const ConfigLayer& layer : config_layers) {
    if (layer.class_name == "Dense") {
      dense_layers.push_back(&layer);
      continue;
    }
    for (const WeightedGroup& weights : weighted) {
      if (weights.name == layer.name) {
        h5.fail("layer " + layer.label() + ": extra weights in " + weights.path + ", a " + layer.class_name +
                " layer has none");
      }
    }
  }
  if (dense_layers.empty()) h5.fail("/@model_config: no Dense layer");
  for (size_t i = 0; i < std::max(dense_layers.size(), weighted.size()); ++i) {
    if (i >= weighted.size()) {
      h5.fail("layer " + dense_layers[i]->label() + ": missing weights, " + group_name + " holds weights for " +
              std::to_string(weighted.size()) + " layers and the config has " +
              std::to_string(dense_layers.size()) + " Dense layers");
    }
    if (i >= dense_layers.size()) {
      h5.fail("extra weights in " + weighted[i].path + ": the config has only " +
              std::to_string(dense_layers.size()) + " Dense layers");
    }
  }
  std::vector<DenseLayerWeights> layers;
  int64_t expected_inputs = kImagePixels;
  std::string previous = "the flattened 28x28 image";
  for (size_t i = 0; i < dense_layers.size(); ++i) {
    layers.push_back(read_imported_dense(h5, group, group_name, weighted[i], *dense_layers[i], expected_inputs,
                                         previous));
    expected_inputs = layers.back().units;
    previous = "layer " + dense_layers[i]->label();
  }
  return layers;
}

// A save_weights file has no config: Dense layers named as the groups, relu then softmax.
std::vector<ConfigLayer> assumed_config(const Hdf5Errors& h5, hid_t group, const std::string& group_name) {
  std::vector<ConfigLayer> layers;
  const std::vector<WeightedGroup> weighted = weighted_groups(h5, group, group_name);
  for (size_t i = 0; i < weighted.size(); ++i) {
    ConfigLayer layer;
    layer.name = weighted[i].name;
    layer.class_name = "Dense";
    layer.activation = i + 1 < weighted.size() ? "relu" : "softmax";
    layers.push_back(layer);
  }
  return layers;
}

Hid opened_or_thrown(hid_t file, const std::string& file_name) {
  if (file < 0) {
    const std::string reason = innermost_hdf5_error();
    throw RuntimeError(file_name + ": an HDF5 file that cannot be opened: truncated or damaged" +
                       (reason.empty() ? std::string() : " (" + reason + ")"));
  }
  return Hid(file, H5Fclose);
}

Hid open_keras_file(const fs::path& path) {
  const std::string file_name = path.string();
  std::error_code ec;
  if (!fs::exists(path, ec)) throw RuntimeError(file_name + ": no such file");
  if (fs::is_directory(path, ec)) throw RuntimeError(file_name + ": a directory, not a Keras .h5 file");
  if (!has_hdf5_signature(path)) throw RuntimeError(file_name + ": not an HDF5 file (expected a Keras .h5 file)");
  return opened_or_thrown(H5Fopen(file_name.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), file_name);
}

// The whole file in memory, opened with HDF5's in-memory ("core") driver, no backing file.
Hid open_keras_image(std::string_view bytes, const std::string& name) {
  if (bytes.size() < kHdf5Signature.size() ||
      !std::equal(kHdf5Signature.begin(), kHdf5Signature.end(), bytes.begin())) {
    throw RuntimeError(name + ": not an HDF5 file (expected a Keras .h5 file)");
  }
  const Hdf5Errors h5(name + ": ");
  const Hid access = h5.own(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "cannot create file access properties");
  h5.check(H5Pset_fapl_core(access.get(), 64 * 1024, /*backing_store=*/false), "cannot use the memory driver");
  h5.check(H5Pset_file_image(access.get(), const_cast<char*>(bytes.data()), bytes.size()),
           "cannot hand the file image to HDF5");
  return opened_or_thrown(H5Fopen(name.c_str(), H5F_ACC_RDONLY, access.get()), name);
}

// The model in an open file, named `name` in messages.
KerasModel read_keras_model(const Hid& file, const std::string& name) {
  const Hdf5Errors h5(name + ": ");
  KerasModel model;
  const bool has_config = has_attribute(h5, file.get(), "/@model_config", "model_config");
  const bool has_weights_group =
      h5.check_tri(H5Lexists(file.get(), "model_weights", H5P_DEFAULT), "/model_weights: cannot look up");
  const bool root_has_layers = has_attribute(h5, file.get(), "/@layer_names", "layer_names") ||
                               has_attribute(h5, file.get(), "/@layer_names0", "layer_names0");
  if (!has_config && !has_weights_group && !root_has_layers) {
    h5.fail("an HDF5 file but not a Keras model (no model_config, model_weights or layer_names)");
  }
  model.keras_version = read_keras_text(h5, file.get(), "/", "keras_version");
  model.backend = read_keras_text(h5, file.get(), "/", "backend");
  // load_weights reads the root when it has layer_names, /model_weights otherwise.
  const bool weights_at_root = !has_config && root_has_layers;
  if (!weights_at_root && !has_weights_group) h5.fail("/model_weights: missing (a model saved without weights?)");
  Hid weights_group = weights_at_root ? Hid(H5I_INVALID_HID, H5Gclose)
                                      : open_hard(h5, file.get(), "/", "model_weights", H5I_GROUP);
  const hid_t group = weights_at_root ? file.get() : weights_group.get();
  const std::string group_name = weights_at_root ? "/" : "/model_weights";
  if (model.keras_version.empty()) model.keras_version = read_keras_text(h5, group, group_name, "keras_version");
  if (model.backend.empty()) model.backend = read_keras_text(h5, group, group_name, "backend");

  std::vector<ConfigLayer> config_layers;
  if (has_config) {
    config_layers = parse_sequential_config(name, "/@model_config", read_keras_text(h5, file.get(), "/", "model_config"));
    check_input_shape(name, config_layers);
  } else {
    model.weights_only = true;
    config_layers = assumed_config(h5, group, group_name);
  }
  model.layers = read_imported_layers(h5, group, group_name, config_layers);
  std::string last_label;
  for (const ConfigLayer& layer : config_layers) {
    if (layer.class_name == "Dense") last_label = layer.label();
  }
  check_output_layer(name, model.layers, last_label);
  return model;
}

}  // namespace

bool has_hdf5_signature(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::array<char, kHdf5Signature.size()> head{};
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  return in.gcount() == static_cast<std::streamsize>(head.size()) && head == kHdf5Signature;
}

KerasModel load_keras_model(const fs::path& path) {
  return read_in_child_process(path.string(), kKerasReadDeadline, [&] {
    silence_hdf5_error_printing();
    return read_keras_model(open_keras_file(path), path.string());
  });
}

KerasModel load_keras_model_image(std::string_view bytes, const std::string& name, std::chrono::seconds deadline) {
  return read_in_child_process(name, deadline, [&] { return load_keras_model_image_in_process(bytes, name); });
}

KerasModel load_keras_model_image_in_process(std::string_view bytes, const std::string& name) {
  silence_hdf5_error_printing();
  return read_keras_model(open_keras_image(bytes, name), name);
}

}  // namespace mnist
