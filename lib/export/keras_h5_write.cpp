// Writing the Keras legacy H5 layout with the HDF5 C API; see keras_h5.h.
//
// Strings are fixed-length NULLPAD ASCII throughout: that is what h5py writes for numpy `S`
// arrays and what every Keras reader accepts (variable-length strings break tf.keras <= 2.4;
// NULLTERM with size == strlen can lose the last character in h5py).
#include <hdf5.h>

#include <algorithm>
#include <cstring>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string_view>

#include "core/atomic_file.h"
#include "core/errors.h"
#include "core/mnist_shape.h"
#include "export/keras_h5.h"
#include "export/keras_h5_hdf5.h"

namespace mnist {
namespace fs = std::filesystem;
using namespace keras_h5_detail;

namespace {

constexpr const char* kKerasVersion = "2.15.0";
constexpr const char* kBackend = "tensorflow";
constexpr const char* kFlattenName = "flatten";

void validate_for_writing(const fs::path& path, const std::vector<DenseLayerWeights>& layers) {
  const auto fail = [&](const std::string& what) {
    throw std::invalid_argument(path.string() + ": cannot write Keras H5 file: " + what);
  };
  const std::string file_name = path.filename().string();
  const auto ends_with = [&](const std::string& suffix) {
    return file_name.size() >= suffix.size() &&
           file_name.compare(file_name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (!ends_with(".h5") || ends_with(".weights.h5")) {
    fail("the name must end in .h5 but not in .weights.h5, or Keras picks another format");
  }
  if (layers.empty()) fail("no Dense layers given");
  int64_t expected_inputs = kImagePixels;
  for (size_t i = 0; i < layers.size(); ++i) {
    const DenseLayerWeights& layer = layers[i];
    const std::string name = dense_layer_name(i);
    if (layer.inputs != expected_inputs) {
      fail(name + ": inputs is " + std::to_string(layer.inputs) + ", expected " +
           std::to_string(expected_inputs) +
           (i == 0 ? " (the flattened 28x28 image)" : " (the units of the previous layer)"));
    }
    if (layer.units <= 0 || layer.units > std::numeric_limits<int64_t>::max() / layer.inputs) {
      fail(name + ": units is " + std::to_string(layer.units) + ", expected a positive count");
    }
    if (layer.kernel.size() != static_cast<uint64_t>(layer.inputs * layer.units)) {
      fail(name + ": kernel has " + std::to_string(layer.kernel.size()) + " values, expected " +
           std::to_string(layer.inputs) + "x" + std::to_string(layer.units) + " = " +
           std::to_string(layer.inputs * layer.units));
    }
    if (layer.bias.size() != static_cast<uint64_t>(layer.units)) {
      fail(name + ": bias has " + std::to_string(layer.bias.size()) + " values, expected " +
           std::to_string(layer.units));
    }
    if (std::find(std::begin(kKerasActivations), std::end(kKerasActivations), layer.activation) ==
        std::end(kKerasActivations)) {
      fail(name + ": activation \"" + layer.activation +
           "\" is not supported (use relu, softmax, linear, sigmoid or tanh)");
    }
    expected_inputs = layer.units;
  }
}

// The tf.keras 2 dialect that both tf.keras 2 and Keras 3 read (spec section 5): an InputLayer
// first, no Keras 3 keys such as batch_shape or module.
std::string model_config_json(const std::vector<DenseLayerWeights>& layers) {
  using Json = nlohmann::ordered_json;
  Json entries = Json::array();
  entries.push_back({{"class_name", "InputLayer"},
                     {"config",
                      {{"batch_input_shape", {nullptr, kImageSide, kImageSide}},
                       {"dtype", "float32"},
                       {"sparse", false},
                       {"ragged", false},
                       {"name", "flatten_input"}}}});
  entries.push_back({{"class_name", "Flatten"},
                     {"config",
                      {{"name", kFlattenName},
                       {"trainable", true},
                       {"dtype", "float32"},
                       {"data_format", "channels_last"}}}});
  for (size_t i = 0; i < layers.size(); ++i) {
    entries.push_back(
        {{"class_name", "Dense"},
         {"config",
          {{"name", dense_layer_name(i)},
           {"trainable", true},
           {"dtype", "float32"},
           {"units", layers[i].units},
           {"activation", layers[i].activation},
           {"use_bias", true},
           {"kernel_initializer",
            {{"class_name", "GlorotUniform"}, {"config", {{"seed", nullptr}}}}},
           {"bias_initializer", {{"class_name", "Zeros"}, {"config", Json::object()}}},
           {"kernel_regularizer", nullptr},
           {"bias_regularizer", nullptr},
           {"activity_regularizer", nullptr},
           {"kernel_constraint", nullptr},
           {"bias_constraint", nullptr}}}});
  }
  const Json model = {{"class_name", "Sequential"},
                      {"config", {{"name", "sequential"}, {"layers", entries}}}};
  return model.dump(/*indent=*/-1, /*indent_char=*/' ', /*ensure_ascii=*/true);
}

Hid fixed_string_type(const Hdf5Errors& h5, size_t size, const std::string& what) {
  Hid type = h5.own(H5Tcopy(H5T_C_S1), H5Tclose, what + ": cannot create string type");
  // HDF5 refuses a zero size; NULLPAD makes the padding byte of an empty string harmless.
  h5.check(H5Tset_size(type.get(), std::max<size_t>(size, 1)), what + ": cannot set string size");
  h5.check(H5Tset_strpad(type.get(), H5T_STR_NULLPAD), what + ": cannot set string padding");
  h5.check(H5Tset_cset(type.get(), H5T_CSET_ASCII), what + ": cannot set string character set");
  return type;
}

void write_string_attribute(const Hdf5Errors& h5, hid_t object, const std::string& object_name,
                            const char* name, const std::string& text) {
  const std::string what = attribute_label(object_name, name);
  Hid type = fixed_string_type(h5, text.size(), what);
  Hid space = h5.own(H5Screate(H5S_SCALAR), H5Sclose, what + ": cannot create dataspace");
  Hid attribute = h5.own(H5Acreate2(object, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
                         H5Aclose, what + ": cannot create attribute");
  std::string buffer = text;
  buffer.resize(std::max<size_t>(text.size(), 1), '\0');
  h5.check(H5Awrite(attribute.get(), type.get(), buffer.data()), what + ": cannot write attribute");
  h5.check(attribute.close(), what + ": cannot close attribute");
}

void write_string_list_attribute(const Hdf5Errors& h5, hid_t object, const std::string& object_name,
                                 const char* name, const std::vector<std::string>& items) {
  const std::string what = attribute_label(object_name, name);
  size_t width = 1;
  for (const std::string& item : items) width = std::max(width, item.size());
  std::vector<char> buffer(items.size() * width, '\0');
  for (size_t i = 0; i < items.size(); ++i) {
    std::copy(items[i].begin(), items[i].end(), buffer.begin() + static_cast<ptrdiff_t>(i * width));
  }
  Hid type = fixed_string_type(h5, width, what);
  const hsize_t count = items.size();
  Hid space = h5.own(H5Screate_simple(/*rank=*/1, &count, nullptr), H5Sclose,
                     what + ": cannot create dataspace");
  Hid attribute = h5.own(H5Acreate2(object, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
                         H5Aclose, what + ": cannot create attribute");
  h5.check(H5Awrite(attribute.get(), type.get(), buffer.data()), what + ": cannot write attribute");
  h5.check(attribute.close(), what + ": cannot close attribute");
}

Hid create_group(const Hdf5Errors& h5, hid_t parent, const std::string& name, const std::string& what) {
  return h5.own(H5Gcreate2(parent, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose,
                what + ": cannot create group");
}

void write_float_dataset(const Hdf5Errors& h5, hid_t group, const std::string& name,
                         const std::vector<hsize_t>& dims, const std::vector<float>& values,
                         const std::string& what) {
  Hid space = h5.own(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose,
                     what + ": cannot create dataspace");
  Hid dataset = h5.own(H5Dcreate2(group, name.c_str(), H5T_IEEE_F32LE, space.get(), H5P_DEFAULT,
                                  H5P_DEFAULT, H5P_DEFAULT),
                       H5Dclose, what + ": cannot create dataset");
  h5.check(H5Dwrite(dataset.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
           what + ": cannot write data");
  h5.check(dataset.close(), what + ": cannot close dataset");
}

// The content of /model_weights (or of the root of a weights-only file), spec sections 1 and 2.
void write_layer_groups(const Hdf5Errors& h5, hid_t parent, const std::string& parent_name,
                        const std::vector<DenseLayerWeights>& layers) {
  std::vector<std::string> layer_names = {kFlattenName};
  for (size_t i = 0; i < layers.size(); ++i) layer_names.push_back(dense_layer_name(i));
  write_string_list_attribute(h5, parent, parent_name, "layer_names", layer_names);
  write_string_attribute(h5, parent, parent_name, "keras_version", kKerasVersion);
  write_string_attribute(h5, parent, parent_name, "backend", kBackend);

  // Flatten owns no weights: an empty group without weight_names.
  create_group(h5, parent, kFlattenName, child_name(parent_name, kFlattenName));

  for (size_t i = 0; i < layers.size(); ++i) {
    const std::string name = dense_layer_name(i);
    const std::string layer_path = child_name(parent_name, name);
    Hid layer_group = create_group(h5, parent, name, layer_path);
    write_string_list_attribute(h5, layer_group.get(), layer_path, "weight_names",
                                {name + "/kernel:0", name + "/bias:0"});
    // weight_names are resolved relative to the layer group, each "/" one group level.
    const std::string inner_path = child_name(layer_path, name);
    Hid inner_group = create_group(h5, layer_group.get(), name, inner_path);
    const auto inputs = static_cast<hsize_t>(layers[i].inputs);
    const auto units = static_cast<hsize_t>(layers[i].units);
    write_float_dataset(h5, inner_group.get(), "kernel:0", {inputs, units}, layers[i].kernel,
                        child_name(inner_path, "kernel:0"));
    write_float_dataset(h5, inner_group.get(), "bias:0", {units}, layers[i].bias,
                        child_name(inner_path, "bias:0"));
    h5.check(inner_group.close(), inner_path + ": cannot close group");
    h5.check(layer_group.close(), layer_path + ": cannot close group");
  }
}

// The finished file as bytes. HDF5 builds it in memory (core driver without backing store, default
// format bounds) so that a failing disk shows up in our own atomic write, not inside HDF5: HDF5 1.10 keeps
// a file whose close failed half-open, and then crashes at process exit.
std::vector<char> build_file_image(const Hdf5Errors& h5, const std::string& name,
                                   const std::vector<DenseLayerWeights>& layers, KerasH5Kind kind) {
  Hid access = h5.own(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "cannot create file access properties");
  h5.check(H5Pset_fapl_core(access.get(), /*increment=*/size_t{1} << 20, /*backing_store=*/false),
           "cannot select the in-memory driver");
  Hid file = h5.own(H5Fcreate(name.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, access.get()), H5Fclose,
                    "cannot create the file in memory");
  if (kind == KerasH5Kind::kFullModel) {
    write_string_attribute(h5, file.get(), "/", "model_config", model_config_json(layers));
    write_string_attribute(h5, file.get(), "/", "keras_version", kKerasVersion);
    write_string_attribute(h5, file.get(), "/", "backend", kBackend);
    Hid weights = create_group(h5, file.get(), "model_weights", "/model_weights");
    write_layer_groups(h5, weights.get(), "/model_weights", layers);
    h5.check(weights.close(), "/model_weights: cannot close group");
  } else {
    write_layer_groups(h5, file.get(), "/", layers);
  }
  h5.check(H5Fflush(file.get(), H5F_SCOPE_GLOBAL), "cannot flush the file in memory");
  const ssize_t size = H5Fget_file_image(file.get(), nullptr, 0);
  if (size <= 0) h5.fail_in_hdf5("cannot size the file image");
  std::vector<char> image(static_cast<size_t>(size));
  if (H5Fget_file_image(file.get(), image.data(), image.size()) != size) {
    h5.fail_in_hdf5("cannot copy the file image");
  }
  h5.check(file.close(), "cannot close the file in memory");
  return image;
}

}  // namespace

void write_keras_h5(const fs::path& path, const std::vector<DenseLayerWeights>& layers,
                    KerasH5Kind kind) {
  validate_for_writing(path, layers);
  silence_hdf5_error_printing();
  const Hdf5Errors h5(path.string() + ": cannot write Keras H5 file: ");
  const std::vector<char> image = build_file_image(h5, path.string() + ".in-memory", layers, kind);
  try {
    write_file_atomically(path, std::string_view(image.data(), image.size()));
  } catch (const RuntimeError& e) {
    // The writer's message starts with the path; ours names the kind of file as well.
    const std::string reason = e.what();
    throw RuntimeError(path.string() + ": cannot write Keras H5 file: " +
                       reason.substr(std::min(reason.size(), path.string().size() + 2)));
  }
}

}  // namespace mnist
