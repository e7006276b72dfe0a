// The HDF5 plumbing that writing and reading Keras H5 files share: owned identifiers, checked
// calls that become one-line errors, HDF5's own error printing silenced, the names of the
// layout, and the reading steps the readers take (a Dense layer of a Keras-written file is read
// the same from a legacy .h5 and from a .keras archive's weights). Internal to lib/export: only
// keras_h5_write.cpp, keras_h5_read.cpp, keras_h5_import.cpp and keras3_weights.cpp include it.
//
// Design: every HDF5 identifier is owned by a Hid, so each one is closed on every path, errors
// included; every HDF5 call is checked and turned into one line naming the file, the object and,
// where HDF5 gives one, its innermost reason. HDF5's own error printing is switched off so that
// those lines are the only output.
#pragma once

#include <hdf5.h>

#include <algorithm>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "core/errors.h"
#include "export/keras_config.h"
#include "export/keras_h5.h"

namespace mnist::keras_h5_detail {

// A Dense layer owns exactly [kernel, bias], in that order: the loaders pair them by position.
inline constexpr size_t kWeightsPerDenseLayer = 2;
// Refuses absurd shapes from a damaged file before allocating for them (4 GiB of float32).
inline constexpr hsize_t kMaxValuesPerDataset = hsize_t{1} << 30;

// Per call rather than once: in thread-safe HDF5 builds the setting belongs to the calling thread.
inline void silence_hdf5_error_printing() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

// The most specific message on HDF5's error stack, e.g. "unable to open file: ... errno = 13,
// error message = 'Permission denied' ...", flattened to one line.
inline std::string innermost_hdf5_error() {
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

inline std::string attribute_label(const std::string& object_name, const std::string& attribute) {
  return object_name + "@" + attribute;
}

inline std::string child_name(const std::string& parent_name, const std::string& child) {
  return parent_name == "/" ? "/" + child : parent_name + "/" + child;
}

inline std::string dense_layer_name(size_t index) {
  return index == 0 ? "dense" : "dense_" + std::to_string(index);
}

inline std::string shape_text(const std::vector<hsize_t>& dims) {
  std::string text = "(";
  for (size_t i = 0; i < dims.size(); ++i) {
    text += (i == 0 ? "" : ", ") + std::to_string(dims[i]);
  }
  return text + (dims.size() == 1 ? ",)" : ")");
}

// ---- Reading steps the readers share (keras_h5_read.cpp, keras_h5_import.cpp, keras3_weights.cpp) ----

// Opens base/relative through hard links only (Keras 3 refuses soft and external links) and
// checks that every level but the last is a group and the last is of `expected` type.
Hid open_hard(const Hdf5Errors& h5, hid_t base, const std::string& base_name,
              const std::string& relative, H5I_type_t expected);

// Shape of a float32 little-endian, internally stored dataset; anything else is an error.
std::vector<hsize_t> float_dataset_shape(const Hdf5Errors& h5, hid_t dataset, const std::string& name);

// Reads `count` float32 values of a dataset, refusing more than kMaxValuesPerDataset.
std::vector<float> read_floats(const Hdf5Errors& h5, hid_t dataset, const std::string& name,
                               hsize_t count);

// A Dense layer of a Keras-written file: its kernel, the dataset `kernel_link` of `parent` (named
// `parent_name` in messages), and with layer.use_bias its bias, `bias_link`; shapes checked
// against the layer before (expected_inputs values, `previous` names it), against the config's
// units where `units_known`, and against each other. The activation is the config's.
DenseLayerWeights read_dense_weights(const Hdf5Errors& h5, hid_t parent, const std::string& parent_name,
                                     const std::string& kernel_link, const std::string& bias_link,
                                     const ConfigLayer& layer, bool units_known, int64_t expected_inputs,
                                     const std::string& previous);

}  // namespace mnist::keras_h5_detail
