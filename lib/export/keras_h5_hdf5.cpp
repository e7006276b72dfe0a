// The HDF5 reading steps both Keras readers share; see keras_h5_hdf5.h.
#include "export/keras_h5_hdf5.h"

#include "core/text.h"

namespace mnist::keras_h5_detail {

// Opens base/relative through hard links only (Keras 3 refuses soft and external links) and
// checks that every level but the last is a group and the last is of `expected` type.
Hid open_hard(const Hdf5Errors& h5, hid_t base, const std::string& base_name,
              const std::string& relative, H5I_type_t expected) {
  const char* expected_text = expected == H5I_GROUP ? "group" : "dataset";
  // One group level per '/', the way h5py and HDF5 resolve a relative path.
  const std::vector<std::string> parts = split_text(relative, '/');
  hid_t at = base;
  std::string at_name = base_name;
  Hid held(H5I_INVALID_HID, H5Oclose);
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string& part = parts[i];
    if (part.empty()) {
      h5.fail(at_name + ": \"" + relative + "\" is not a path relative to " + base_name);
    }
    const std::string next_name = child_name(at_name, part);
    if (!h5.check_tri(H5Lexists(at, part.c_str(), H5P_DEFAULT), next_name + ": cannot look up")) {
      h5.fail(next_name + ": missing");
    }
    H5L_info_t link_info;
    h5.check(H5Lget_info(at, part.c_str(), &link_info, H5P_DEFAULT), next_name + ": cannot read link");
    if (link_info.type != H5L_TYPE_HARD) {
      h5.fail(next_name + ": is a soft or external link; Keras follows hard links only");
    }
    held = h5.own(H5Oopen(at, part.c_str(), H5P_DEFAULT), H5Oclose, next_name + ": cannot open");
    const H5I_type_t want = i + 1 < parts.size() ? H5I_GROUP : expected;
    if (H5Iget_type(held.get()) != want) {
      h5.fail(next_name + ": not a " + (want == H5I_GROUP ? "group" : expected_text));
    }
    at = held.get();
    at_name = next_name;
  }
  return held;
}

// Shape of a float32 little-endian, internally stored dataset; anything else is an error.
std::vector<hsize_t> float_dataset_shape(const Hdf5Errors& h5, hid_t dataset, const std::string& name) {
  Hid type = h5.own(H5Dget_type(dataset), H5Tclose, name + ": cannot read type");
  if (!h5.check_tri(H5Tequal(type.get(), H5T_IEEE_F32LE), name + ": cannot compare type")) {
    h5.fail(name + ": not float32 little-endian");
  }
  Hid plist = h5.own(H5Dget_create_plist(dataset), H5Pclose, name + ": cannot read properties");
  const H5D_layout_t layout = H5Pget_layout(plist.get());
  if (layout < 0) h5.fail_in_hdf5(name + ": cannot read layout");
  if (layout == H5D_VIRTUAL) h5.fail(name + ": a virtual dataset; Keras refuses those");
  const int external_files = H5Pget_external_count(plist.get());
  if (external_files < 0) h5.fail_in_hdf5(name + ": cannot read storage");
  if (external_files > 0) h5.fail(name + ": stored in external files; Keras refuses those");

  Hid space = h5.own(H5Dget_space(dataset), H5Sclose, name + ": cannot read dataspace");
  if (H5Sget_simple_extent_type(space.get()) != H5S_SIMPLE) h5.fail(name + ": not an array");
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0) h5.fail_in_hdf5(name + ": cannot read rank");
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  h5.check(H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr), name + ": cannot read shape");
  return dims;
}

std::vector<float> read_floats(const Hdf5Errors& h5, hid_t dataset, const std::string& name,
                               hsize_t count) {
  if (count > kMaxValuesPerDataset) h5.fail(name + ": too large to be a layer of this model");
  std::vector<float> values(count);
  h5.check(H5Dread(dataset, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
           name + ": cannot read data");
  return values;
}

DenseLayerWeights read_dense_weights(const Hdf5Errors& h5, hid_t parent, const std::string& parent_name,
                                     const std::string& kernel_link, const std::string& bias_link,
                                     const ConfigLayer& layer, bool units_known, int64_t expected_inputs,
                                     const std::string& previous) {
  const std::string kernel_name = child_name(parent_name, kernel_link);
  Hid kernel = open_hard(h5, parent, parent_name, kernel_link, H5I_DATASET);
  const std::vector<hsize_t> dims = float_dataset_shape(h5, kernel.get(), kernel_name);
  if (dims.size() != 2) {
    h5.fail("layer " + layer.label() + ": kernel " + kernel_name + " has shape " + shape_text(dims) +
            ", expected (inputs, units)");
  }
  if (dims[0] != static_cast<hsize_t>(expected_inputs)) {
    h5.fail("layer " + layer.label() + ": kernel shape " + shape_text(dims) + " does not chain: " + previous +
            " gives " + std::to_string(expected_inputs) + " values");
  }
  if (units_known && dims[1] != static_cast<hsize_t>(layer.units)) {
    h5.fail("layer " + layer.label() + ": kernel shape " + shape_text(dims) + " but the config says " +
            std::to_string(layer.units) + " units");
  }
  if (dims[1] == 0 || dims[1] > kMaxValuesPerDataset / dims[0]) {
    h5.fail("layer " + layer.label() + ": kernel shape " + shape_text(dims) + " is not a usable layer");
  }
  DenseLayerWeights dense;
  dense.inputs = expected_inputs;
  dense.units = static_cast<int64_t>(dims[1]);
  dense.activation = layer.activation;
  dense.kernel = read_floats(h5, kernel.get(), kernel_name, dims[0] * dims[1]);
  dense.bias.assign(static_cast<size_t>(dense.units), 0.0f);
  if (layer.use_bias) {
    const std::string bias_name = child_name(parent_name, bias_link);
    Hid bias = open_hard(h5, parent, parent_name, bias_link, H5I_DATASET);
    const std::vector<hsize_t> bias_dims = float_dataset_shape(h5, bias.get(), bias_name);
    if (bias_dims != std::vector<hsize_t>{dims[1]}) {
      h5.fail("layer " + layer.label() + ": bias " + bias_name + " has shape " + shape_text(bias_dims) +
              ", expected (" + std::to_string(dims[1]) + ",)");
    }
    dense.bias = read_floats(h5, bias.get(), bias_name, bias_dims[0]);
  }
  return dense;
}

}  // namespace mnist::keras_h5_detail
