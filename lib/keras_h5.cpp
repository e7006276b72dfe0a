// Keras legacy H5 writing and reading with the HDF5 C API; see keras_h5.h.
//
// Design: every HDF5 identifier is owned by a Hid, so each one is closed on every path, errors
// included; every HDF5 call is checked and turned into one line naming the file, the object and,
// where HDF5 gives one, its innermost reason. HDF5's own error printing is switched off so that
// those lines are the only output. Strings are fixed-length NULLPAD ASCII throughout: that is what
// h5py writes for numpy `S` arrays and what every Keras reader accepts (variable-length strings
// break tf.keras <= 2.4; NULLTERM with size == strlen can lose the last character in h5py).
#include "keras_h5.h"

#include <fcntl.h>
#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <utility>

#include "atomic_file.h"
#include "errors.h"

namespace mnist {
namespace fs = std::filesystem;

namespace {

constexpr int64_t kImageRows = 28;
constexpr int64_t kImageCols = 28;
constexpr int64_t kFlattenedInputs = kImageRows * kImageCols;
constexpr const char* kKerasVersion = "2.15.0";
constexpr const char* kBackend = "tensorflow";
constexpr const char* kFlattenName = "flatten";
// A Dense layer owns exactly [kernel, bias], in that order: the loaders pair them by position.
constexpr size_t kWeightsPerDenseLayer = 2;
// Refuses absurd shapes from a damaged file before allocating for them (4 GiB of float32).
constexpr hsize_t kMaxValuesPerDataset = hsize_t{1} << 30;

// ---------------------------------------------------------------------------------------------
// HDF5 plumbing
// ---------------------------------------------------------------------------------------------

// Per call rather than once: in thread-safe HDF5 builds the setting belongs to the calling thread.
void silence_hdf5_error_printing() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

// The most specific message on HDF5's error stack, e.g. "unable to open file: ... errno = 13,
// error message = 'Permission denied' ...", flattened to one line.
std::string innermost_hdf5_error() {
  std::string reason;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_UPWARD,
      [](unsigned n, const H5E_error2_t* error, void* client_data) -> herr_t {
        if (n == 0 && error->desc != nullptr) *static_cast<std::string*>(client_data) = error->desc;
        return 0;
      },
      &reason);
  std::replace(reason.begin(), reason.end(), '\n', ' ');
  return reason;
}

// Owns one HDF5 identifier and closes it with the matching H5?close function.
class Hid {
 public:
  using Closer = herr_t (*)(hid_t);
  Hid(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  Hid(Hid&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)), closer_(other.closer_) {}
  Hid& operator=(Hid&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, H5I_INVALID_HID);
      closer_ = other.closer_;
    }
    return *this;
  }
  Hid(const Hid&) = delete;
  Hid& operator=(const Hid&) = delete;
  ~Hid() { reset(); }

  hid_t get() const { return id_; }
  // Closes now and reports the result; H5Fclose is where buffered data reaches the file.
  herr_t close() { return closer_(std::exchange(id_, H5I_INVALID_HID)); }

 private:
  void reset() {
    if (id_ >= 0) closer_(std::exchange(id_, H5I_INVALID_HID));
  }
  hid_t id_;
  Closer closer_;
};

// Turns failed HDF5 calls into RuntimeErrors that start with `prefix` (the file and the action).
class Hdf5Errors {
 public:
  explicit Hdf5Errors(std::string prefix) : prefix_(std::move(prefix)) {}

  [[noreturn]] void fail(const std::string& what) const { throw RuntimeError(prefix_ + what); }
  [[noreturn]] void fail_in_hdf5(const std::string& what) const {
    const std::string reason = innermost_hdf5_error();
    fail(reason.empty() ? what : what + " (" + reason + ")");
  }
  Hid own(hid_t id, Hid::Closer closer, const std::string& what) const {
    if (id < 0) fail_in_hdf5(what);
    return Hid(id, closer);
  }
  void check(herr_t status, const std::string& what) const {
    if (status < 0) fail_in_hdf5(what);
  }
  bool check_tri(htri_t answer, const std::string& what) const {
    if (answer < 0) fail_in_hdf5(what);
    return answer > 0;
  }

 private:
  std::string prefix_;
};

std::string attribute_label(const std::string& object_name, const std::string& attribute) {
  return object_name + "@" + attribute;
}

std::string child_name(const std::string& parent_name, const std::string& child) {
  return parent_name == "/" ? "/" + child : parent_name + "/" + child;
}

std::string dense_layer_name(size_t index) {
  return index == 0 ? "dense" : "dense_" + std::to_string(index);
}

std::string shape_text(const std::vector<hsize_t>& dims) {
  std::string text = "(";
  for (size_t i = 0; i < dims.size(); ++i) {
    text += (i == 0 ? "" : ", ") + std::to_string(dims[i]);
  }
  return text + (dims.size() == 1 ? ",)" : ")");
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

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
  int64_t expected_inputs = kFlattenedInputs;
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
    if (layer.activation != "relu" && layer.activation != "softmax") {
      fail(name + ": activation \"" + layer.activation + "\" is not supported (use relu or softmax)");
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
                      {{"batch_input_shape", {nullptr, kImageRows, kImageCols}},
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
// format bounds) so that a failing disk shows up in write_bytes, not inside HDF5: HDF5 1.10 keeps
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

void write_bytes(const fs::path& final_path, const fs::path& temp_path, const std::vector<char>& bytes) {
  const auto fail = [&](const std::string& what, int error) {
    throw RuntimeError(final_path.string() + ": cannot write Keras H5 file: " + what + ": " +
                       std::strerror(error));
  };
  const int fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) fail("cannot create " + temp_path.string(), errno);
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t count = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (count < 0 && errno == EINTR) continue;
    if (count < 0) {
      const int error = errno;
      ::close(fd);
      fail("write failed", error);
    }
    written += static_cast<size_t>(count);
  }
  if (::close(fd) != 0) fail("write failed", errno);
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

// Splits text at '/', the way h5py and HDF5 resolve a relative path one group level at a time.
std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t slash = path.find('/', start);
    parts.push_back(path.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (slash == std::string::npos) return parts;
    start = slash + 1;
  }
}

// Opens base/relative through hard links only (Keras 3 refuses soft and external links) and
// checks that every level but the last is a group and the last is of `expected` type.
Hid open_hard(const Hdf5Errors& h5, hid_t base, const std::string& base_name,
              const std::string& relative, H5I_type_t expected) {
  const char* expected_text = expected == H5I_GROUP ? "group" : "dataset";
  const std::vector<std::string> parts = split_path(relative);
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
  int64_t expected_inputs = kFlattenedInputs;
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

// ---------------------------------------------------------------------------------------------
// Public entry points
// ---------------------------------------------------------------------------------------------

void write_keras_h5(const fs::path& path, const std::vector<DenseLayerWeights>& layers,
                    KerasH5Kind kind) {
  validate_for_writing(path, layers);
  silence_hdf5_error_printing();
  const Hdf5Errors h5(path.string() + ": cannot write Keras H5 file: ");
  write_atomically(path, [&](const fs::path& temp_path) {
    write_bytes(path, temp_path, build_file_image(h5, temp_path.string(), layers, kind));
  });
}

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
