// Keras 3's native model file, `model.save("x.keras")`: a zip archive of config.json (the model
// config), metadata.json (the Keras version) and model.weights.h5 (the weights, HDF5 in Keras 3's
// own layout, /layers/<layer>/vars/<i>). Read for the tools like a Keras .h5 (the same layers,
// activations and errors), recognised by content, and written for Keras 3's load_model. The zip
// is opened with libzip, in memory; the HDF5 member is read in a child process like every Keras
// file (keras_h5_isolated.h).
// Not for: the legacy .h5 layout (keras_h5.h), or turning layers into LibTorch (keras_layers.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "export/keras_h5.h"

namespace mnist {

// What an archive may hold before it is refused, checked against the sizes its directory declares
// and again while inflating: a zip bomb is one line, not an exhausted machine. A model of this
// project's kind takes about 1 MB of weights and 4 KB of config.
inline constexpr uint64_t kMaxKerasConfigBytes = uint64_t{4} << 20;
inline constexpr uint64_t kMaxKerasWeightsBytes = uint64_t{512} << 20;
inline constexpr uint64_t kMaxKerasArchiveEntries = 1000;

// The members a .keras archive must (config.json, model.weights.h5) and may (metadata.json) hold.
struct KerasArchiveMembers {
  std::string config_json;
  std::string metadata_json;  // empty when absent
  std::string weights_h5;
};

// The members of a .keras archive held in memory; `name` stands for the file in messages.
// Throws RuntimeError, one line naming the file: not a zip, a truncated or damaged one, an entry
// whose path leaves the archive (absolute, "..") or is there twice, an encrypted one, a missing
// member, a member larger than the limits above.
KerasArchiveMembers read_keras_archive_members(std::string_view bytes, const std::string& name);

// True when the file is a zip whose entries include config.json or model.weights.h5 (or, for an
// archive too damaged for its directory to be read, whose first entry is one of Keras' three).
bool is_keras_archive(const std::filesystem::path& path);

// A .keras model as the tools read it, with the errors of load_keras_model (keras_h5.h).
KerasModel load_keras_archive(const std::filesystem::path& path);

// The same from an archive in memory (tests/fuzz); `name` stands for the file.
KerasModel load_keras_archive_image(std::string_view bytes, const std::string& name,
                                    std::chrono::seconds deadline = kKerasReadDeadline);

// Any Keras model file, told apart by content: a .keras archive or an HDF5 .h5.
bool is_keras_file(const std::filesystem::path& path);
KerasModel load_any_keras_model(const std::filesystem::path& path);
// "Keras 3 archive (.keras)" or "Keras HDF5", for messages and model cards.
std::string keras_file_format(const std::filesystem::path& path);

// Writes Flatten(28, 28) and the given Dense layers as a .keras archive that Keras 3's
// keras.saving.load_model reads, atomically. Throws std::invalid_argument for layers that do not
// chain from 784 inputs (as write_keras_h5), RuntimeError when writing fails.
void write_keras_archive(const std::filesystem::path& path, const std::vector<DenseLayerWeights>& layers);

}  // namespace mnist
