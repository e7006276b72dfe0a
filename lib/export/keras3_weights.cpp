// Keras 3's model.weights.h5 layout, read and written with the HDF5 C API; see keras3_weights.h.
#include "export/keras3_weights.h"

#include <hdf5.h>

#include <cctype>
#include <map>
#include <optional>

#include "core/errors.h"
#include "core/mnist_shape.h"
#include "export/keras_h5_hdf5.h"

namespace mnist::keras_h5_detail {

namespace {

constexpr const char* kMember = "model.weights.h5";

// Keras' naming.to_snake_case of the class name; for the classes a config may hold here
// (Flatten, Dense, Dropout) that is the lower-case name.
std::string snake_case(const std::string& class_name) {
  std::string name;
  for (const char c : class_name) name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

// saving_lib._get_unique_name: dense, dense_1, dense_2, ... in the order of the model's layers.
std::string unique_name(const std::string& base, std::map<std::string, int>& used) {
  const auto [at, inserted] = used.emplace(base, 0);
  if (inserted) return base;
  return base + "_" + std::to_string(++at->second);
}

Hid open_image(std::string_view image, const std::string& name) {
  const Hdf5Errors h5(name + ": " + kMember + ": ");
  const Hid access = h5.own(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "cannot create file access properties");
  h5.check(H5Pset_fapl_core(access.get(), 64 * 1024, /*backing_store=*/false), "cannot use the memory driver");
  h5.check(H5Pset_file_image(access.get(), const_cast<char*>(image.data()), image.size()),
           "cannot hand the file image to HDF5");
  const hid_t file = H5Fopen(kMember, H5F_ACC_RDONLY, access.get());
  if (file < 0) h5.fail_in_hdf5("not an HDF5 file that can be opened: truncated or damaged");
  return Hid(file, H5Fclose);
}

bool has_link(const Hdf5Errors& h5, hid_t base, const std::string& path) {
  hid_t at = base;
  std::optional<Hid> held;
  std::string walked;
  for (size_t begin = 0; begin <= path.size();) {
    const size_t end = std::min(path.find('/', begin), path.size());
    const std::string part = path.substr(begin, end - begin);
    walked += "/" + part;
    if (!h5.check_tri(H5Lexists(at, part.c_str(), H5P_DEFAULT), walked + ": cannot look up")) return false;
    if (end == path.size()) return true;
    held.emplace(open_hard(h5, at, walked, part, H5I_GROUP));
    at = held->get();
    begin = end + 1;
  }
  return true;
}

// The vars group of a layer (or nullopt when the file holds none for it), and its path for messages.
std::optional<Hid> open_vars(const Hdf5Errors& h5, hid_t file, const std::string& layer_path, std::string& shown) {
  for (const char* root : {"layers", "_layer_checkpoint_dependencies"}) {
    const std::string path = std::string(root) + "/" + layer_path + "/vars";
    if (has_link(h5, file, path)) {
      shown = std::string("/") + path;
      return open_hard(h5, file, "", path, H5I_GROUP);
    }
  }
  shown = "/layers/" + layer_path + "/vars";
  return std::nullopt;
}

hsize_t count_members(const Hdf5Errors& h5, hid_t group, const std::string& shown) {
  H5G_info_t info;
  h5.check(H5Gget_info(group, &info), shown + ": cannot read group");
  return info.nlinks;
}

// ---- Writing ----

Hid create_group(const Hdf5Errors& h5, hid_t parent, const std::string& name, const std::string& shown) {
  return h5.own(H5Gcreate2(parent, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose,
                shown + ": cannot create group");
}

void write_floats(const Hdf5Errors& h5, hid_t group, const char* name, const std::vector<hsize_t>& dims,
                  const std::vector<float>& values, const std::string& shown) {
  Hid space = h5.own(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose,
                     shown + ": cannot create dataspace");
  Hid dataset = h5.own(H5Dcreate2(group, name, H5T_IEEE_F32LE, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                       H5Dclose, shown + ": cannot create dataset");
  h5.check(H5Dwrite(dataset.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
           shown + ": cannot write data");
}

void write_layers(const Hdf5Errors& h5, hid_t file, const std::vector<DenseLayerWeights>& layers) {
  Hid root_layers = create_group(h5, file, "layers", "/layers");
  create_group(h5, create_group(h5, root_layers.get(), "flatten", "/layers/flatten").get(), "vars",
               "/layers/flatten/vars");
  for (size_t i = 0; i < layers.size(); ++i) {
    const std::string name = dense_layer_name(i);
    const std::string shown = "/layers/" + name + "/vars";
    Hid layer = create_group(h5, root_layers.get(), name, "/layers/" + name);
    Hid vars = create_group(h5, layer.get(), "vars", shown);
    const auto inputs = static_cast<hsize_t>(layers[i].inputs);
    const auto units = static_cast<hsize_t>(layers[i].units);
    write_floats(h5, vars.get(), "0", {inputs, units}, layers[i].kernel, shown + "/0");
    write_floats(h5, vars.get(), "1", {units}, layers[i].bias, shown + "/1");
  }
  create_group(h5, file, "vars", "/vars");
}

}  // namespace

std::vector<DenseLayerWeights> read_keras3_weights(std::string_view image, const std::string& name,
                                                   const std::vector<ConfigLayer>& config) {
  silence_hdf5_error_printing();
  const Hid file = open_image(image, name);
  const Hdf5Errors h5(name + ": " + kMember + ": ");
  std::map<std::string, int> used;
  std::vector<DenseLayerWeights> layers;
  int64_t expected_inputs = kImagePixels;
  std::string previous = "the flattened 28x28 image";
  std::string last_label;
  for (const ConfigLayer& layer : config) {
    if (layer.class_name == "InputLayer") continue;  // not among a Sequential's layers
    std::string shown;
    const std::optional<Hid> vars = open_vars(h5, file.get(), unique_name(snake_case(layer.class_name), used), shown);
    const hsize_t count = vars ? count_members(h5, vars->get(), shown) : 0;
    if (layer.class_name != "Dense") {
      if (count > 0) {
        h5.fail("layer " + layer.label() + ": extra weights in " + shown + ", a " + layer.class_name +
                " layer has none");
      }
      continue;
    }
    const hsize_t expected = layer.use_bias ? 2 : 1;
    if (count != expected) {
      h5.fail("layer " + layer.label() + ": " + std::to_string(count) + " weights in " + shown + ", expected " +
              (layer.use_bias ? "2 (kernel, bias)" : "1 (kernel, use_bias false)"));
    }
    layers.push_back(read_dense_weights(h5, vars->get(), shown, "0", "1", layer, /*units_known=*/true, expected_inputs,
                                        previous));
    expected_inputs = layers.back().units;
    previous = "layer " + layer.label();
    last_label = layer.label();
  }
  if (layers.empty()) throw RuntimeError(name + ": config.json: no Dense layer");
  check_output_layer(name, layers, last_label);
  return layers;
}

std::string keras3_weights_image(const std::vector<DenseLayerWeights>& layers, const std::string& name) {
  silence_hdf5_error_printing();
  const Hdf5Errors h5(name + ": cannot write " + kMember + ": ");
  Hid access = h5.own(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "cannot create file access properties");
  h5.check(H5Pset_fapl_core(access.get(), /*increment=*/size_t{1} << 20, /*backing_store=*/false),
           "cannot select the in-memory driver");
  Hid file = h5.own(H5Fcreate(kMember, H5F_ACC_TRUNC, H5P_DEFAULT, access.get()), H5Fclose,
                    "cannot create the file in memory");
  write_layers(h5, file.get(), layers);
  h5.check(H5Fflush(file.get(), H5F_SCOPE_GLOBAL), "cannot flush the file in memory");
  const ssize_t size = H5Fget_file_image(file.get(), nullptr, 0);
  if (size <= 0) h5.fail_in_hdf5("cannot size the file image");
  std::string image(static_cast<size_t>(size), '\0');
  if (H5Fget_file_image(file.get(), image.data(), image.size()) != size) h5.fail_in_hdf5("cannot copy the file image");
  h5.check(file.close(), "cannot close the file in memory");
  return image;
}

}  // namespace mnist::keras_h5_detail
