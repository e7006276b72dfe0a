// Keras 3 .keras archives through libzip; see keras_archive.h.
#include "export/keras_archive.h"

#include <zip.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "core/atomic_file.h"
#include "core/errors.h"
#include "core/mnist_shape.h"
#include "export/keras3_weights.h"
#include "export/keras_config.h"
#include "export/keras_h5_hdf5.h"
#include "export/keras_h5_isolated.h"

namespace mnist {
namespace fs = std::filesystem;
using namespace keras_h5_detail;

namespace {

constexpr const char* kConfigMember = "config.json";
constexpr const char* kMetadataMember = "metadata.json";
constexpr const char* kWeightsMember = "model.weights.h5";
constexpr std::array<char, 4> kZipLocalHeader{'P', 'K', '\x03', '\x04'};
// The Keras version whose layout this writer follows and whose load_model the tests run on it.
constexpr const char* kWrittenForKeras = "3.16.0";

struct ZipDiscard {
  void operator()(zip_t* archive) const { zip_discard(archive); }
};
using ZipArchive = std::unique_ptr<zip_t, ZipDiscard>;

[[noreturn]] void fail(const std::string& name, const std::string& what) { throw RuntimeError(name + ": " + what); }

std::string zip_error_text(zip_error_t* error) {
  const std::string text = zip_error_strerror(error);
  zip_error_fini(error);
  return text;
}

ZipArchive open_zip(std::string_view bytes, const std::string& name) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), /*freep=*/0, &error);
  if (source == nullptr) fail(name, "cannot read it as a zip archive (" + zip_error_text(&error) + ")");
  zip_t* archive = zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &error);
  if (archive == nullptr) {
    zip_source_free(source);
    const bool not_zip = zip_error_code_zip(&error) == ZIP_ER_NOZIP;
    const std::string reason = zip_error_text(&error);
    fail(name, std::string(not_zip ? "not a zip archive, or a truncated one" : "a damaged zip archive") +
                   " (libzip: " + reason + "); a .keras file is the zip Keras 3's model.save writes");
  }
  return ZipArchive(archive);
}

// Nothing is ever extracted, but an entry that would land outside the archive's folder is the
// mark of a hostile file, not of one Keras wrote.
bool leaves_archive(const std::string& entry) {
  if (entry.empty() || entry.front() == '/' || entry.find('\\') != std::string::npos ||
      (entry.size() >= 2 && entry[1] == ':')) {
    return true;
  }
  for (size_t begin = 0; begin <= entry.size();) {
    const size_t end = std::min(entry.find('/', begin), entry.size());
    if (entry.compare(begin, end - begin, "..") == 0) return true;
    begin = end + 1;
  }
  return false;
}

std::string read_member(zip_t* archive, zip_uint64_t index, const zip_stat_t& stat, uint64_t limit,
                        const std::string& name) {
  const std::string member = stat.name;
  if ((stat.valid & ZIP_STAT_SIZE) == 0) fail(name, member + ": its size is not recorded");
  if (stat.size > limit) {
    fail(name, member + ": " + std::to_string(stat.size) + " bytes uncompressed, more than the " +
                   std::to_string(limit) + " accepted (a zip bomb?)");
  }
  if ((stat.valid & ZIP_STAT_ENCRYPTION_METHOD) != 0 && stat.encryption_method != ZIP_EM_NONE) {
    fail(name, member + ": encrypted; Keras writes no encrypted members");
  }
  zip_file_t* file = zip_fopen_index(archive, index, 0);
  if (file == nullptr) fail(name, member + ": cannot be read (libzip: " + zip_strerror(archive) + ")");
  std::string bytes(static_cast<size_t>(stat.size), '\0');
  uint64_t have = 0;
  char extra = 0;
  zip_int64_t n = 0;
  while (have < stat.size && (n = zip_fread(file, bytes.data() + have, stat.size - have)) > 0) {
    have += static_cast<uint64_t>(n);
  }
  // One byte beyond the declared size must not exist: the directory may lie about it.
  const bool longer = n >= 0 && have == stat.size && zip_fread(file, &extra, 1) > 0;
  const std::string reason = n < 0 ? zip_file_strerror(file) : "";
  const int closed = zip_fclose(file);
  if (n < 0 || closed != 0) {
    fail(name, member + ": damaged (libzip: " + (reason.empty() ? zip_strerror(archive) : reason) + ")");
  }
  if (have != stat.size || longer) {
    fail(name, member + ": inflates to " + (longer ? "more" : "fewer") + " bytes than its directory says");
  }
  return bytes;
}

std::string read_file_bytes(const fs::path& path) {
  const std::string name = path.string();
  std::error_code ec;
  if (!fs::exists(path, ec)) throw RuntimeError(name + ": no such file");
  if (fs::is_directory(path, ec)) throw RuntimeError(name + ": a directory, not a Keras .keras file");
  const uintmax_t size = fs::file_size(path, ec);
  if (ec) throw RuntimeError(name + ": cannot read (" + ec.message() + ")");
  if (size > kMaxKerasWeightsBytes + kMaxKerasConfigBytes * 2 + (uint64_t{1} << 20)) {
    throw RuntimeError(name + ": " + std::to_string(size) + " bytes, larger than any .keras model this tool reads");
  }
  std::ifstream in(path, std::ios::binary);
  std::string bytes(static_cast<size_t>(size), '\0');
  if (!in.read(bytes.data(), static_cast<std::streamsize>(size))) throw RuntimeError(name + ": cannot read");
  return bytes;
}

std::string keras_version_of(const std::string& metadata, const std::string& name) {
  if (metadata.empty()) return {};
  const nlohmann::json parsed = nlohmann::json::parse(metadata, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) fail(name, std::string(kMetadataMember) + ": not a JSON object");
  const auto version = parsed.find("keras_version");
  return version != parsed.end() && version->is_string() ? version->get<std::string>() : std::string();
}

// ---- Writing ----

void validate_for_writing(const fs::path& path, const std::vector<DenseLayerWeights>& layers) {
  const auto fail_writing = [&](const std::string& what) {
    throw std::invalid_argument(path.string() + ": cannot write a .keras file: " + what);
  };
  if (layers.empty()) fail_writing("no Dense layers given");
  int64_t inputs = kImagePixels;
  for (size_t i = 0; i < layers.size(); ++i) {
    const DenseLayerWeights& layer = layers[i];
    if (layer.inputs != inputs || layer.units <= 0 ||
        layer.kernel.size() != static_cast<uint64_t>(layer.inputs) * static_cast<uint64_t>(layer.units) ||
        layer.bias.size() != static_cast<uint64_t>(layer.units)) {
      fail_writing(dense_layer_name(i) + ": its shapes do not chain from the 784 pixels");
    }
    if (std::find(std::begin(kKerasActivations), std::end(kKerasActivations), layer.activation) ==
        std::end(kKerasActivations)) {
      fail_writing(dense_layer_name(i) + ": activation \"" + layer.activation + "\" is not supported");
    }
    inputs = layer.units;
  }
}

using Json = nlohmann::ordered_json;

Json layer_entry(const char* class_name, Json config, int64_t inputs) {
  Json entry = {{"module", "keras.layers"}, {"class_name", class_name}, {"config", std::move(config)},
                {"registered_name", nullptr}};
  if (inputs > 0) entry["build_config"] = {{"input_shape", {nullptr, inputs}}};
  return entry;
}

// What Keras 3.16's model.save writes for this Sequential, with plain "float32" dtypes.
std::string config_json(const std::vector<DenseLayerWeights>& layers) {
  const Json image_shape = {nullptr, kImageSide, kImageSide};
  Json entries = Json::array();
  entries.push_back(layer_entry("InputLayer",
                                {{"batch_shape", image_shape}, {"dtype", "float32"}, {"sparse", false},
                                 {"ragged", false}, {"name", "input_layer"}},
                                0));
  Json flatten = layer_entry(
      "Flatten", {{"name", "flatten"}, {"trainable", true}, {"dtype", "float32"}, {"data_format", "channels_last"}}, 0);
  flatten["build_config"] = {{"input_shape", image_shape}};
  entries.push_back(flatten);
  for (size_t i = 0; i < layers.size(); ++i) {
    const Json initializer_config = {{"seed", nullptr}};
    entries.push_back(layer_entry(
        "Dense",
        {{"name", dense_layer_name(i)},
         {"trainable", true},
         {"dtype", "float32"},
         {"units", layers[i].units},
         {"activation", layers[i].activation},
         {"use_bias", true},
         {"kernel_initializer",
          {{"module", "keras.initializers"}, {"class_name", "GlorotUniform"}, {"config", initializer_config},
           {"registered_name", nullptr}}},
         {"bias_initializer",
          {{"module", "keras.initializers"}, {"class_name", "Zeros"}, {"config", Json::object()},
           {"registered_name", nullptr}}},
         {"kernel_regularizer", nullptr},
         {"bias_regularizer", nullptr},
         {"kernel_constraint", nullptr},
         {"bias_constraint", nullptr}},
        layers[i].inputs));
  }
  const Json model = {
      {"module", "keras"},
      {"class_name", "Sequential"},
      {"config",
       {{"name", "sequential"}, {"trainable", true}, {"dtype", "float32"}, {"layers", entries},
        {"build_input_shape", image_shape}}},
      {"registered_name", nullptr},
      {"build_config", {{"input_shape", image_shape}}}};
  return model.dump();
}

void add_member(zip_t* archive, const char* member, const std::string& bytes, const std::string& name) {
  zip_source_t* source = zip_source_buffer(archive, bytes.data(), bytes.size(), /*freep=*/0);
  if (source == nullptr) fail(name, std::string("cannot add ") + member + " (" + zip_strerror(archive) + ")");
  const zip_int64_t index = zip_file_add(archive, member, source, ZIP_FL_ENC_UTF_8);
  if (index < 0) {
    zip_source_free(source);
    fail(name, std::string("cannot add ") + member + " (" + zip_strerror(archive) + ")");
  }
  // Stored, as Keras writes it: h5py reads the weights member through a seekable file.
  if (zip_set_file_compression(archive, static_cast<zip_uint64_t>(index), ZIP_CM_STORE, 0) != 0) {
    fail(name, std::string("cannot store ") + member + " (" + zip_strerror(archive) + ")");
  }
}

}  // namespace

KerasArchiveMembers read_keras_archive_members(std::string_view bytes, const std::string& name) {
  const ZipArchive archive = open_zip(bytes, name);
  const zip_int64_t entries = zip_get_num_entries(archive.get(), 0);
  if (entries < 0 || static_cast<uint64_t>(entries) > kMaxKerasArchiveEntries) {
    fail(name, std::to_string(entries) + " entries, more than the " + std::to_string(kMaxKerasArchiveEntries) +
                   " a .keras model may hold");
  }
  std::array<std::optional<zip_stat_t>, 3> found;  // config, metadata, weights
  std::array<zip_uint64_t, 3> indexes{};
  const std::array<const char*, 3> members{kConfigMember, kMetadataMember, kWeightsMember};
  for (zip_int64_t i = 0; i < entries; ++i) {
    zip_stat_t stat;
    zip_stat_init(&stat);
    if (zip_stat_index(archive.get(), static_cast<zip_uint64_t>(i), 0, &stat) != 0 || (stat.valid & ZIP_STAT_NAME) == 0) {
      fail(name, "entry " + std::to_string(i) + " cannot be read (libzip: " + zip_strerror(archive.get()) + ")");
    }
    const std::string entry = stat.name;
    if (leaves_archive(entry)) fail(name, "holds the entry \"" + entry + "\", a path outside the archive; refused");
    for (size_t m = 0; m < members.size(); ++m) {
      if (entry != members[m]) continue;
      if (found[m]) fail(name, "holds " + entry + " twice");
      found[m] = stat;
      indexes[m] = static_cast<zip_uint64_t>(i);
    }
  }
  for (const size_t m : {size_t{0}, size_t{2}}) {
    if (!found[m]) fail(name, std::string("a zip archive without ") + members[m] + ": not a Keras 3 .keras model");
  }
  KerasArchiveMembers read;
  read.config_json = read_member(archive.get(), indexes[0], *found[0], kMaxKerasConfigBytes, name);
  if (found[1]) read.metadata_json = read_member(archive.get(), indexes[1], *found[1], kMaxKerasConfigBytes, name);
  read.weights_h5 = read_member(archive.get(), indexes[2], *found[2], kMaxKerasWeightsBytes, name);
  return read;
}

bool is_keras_archive(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::array<char, 30> header{};
  in.read(header.data(), static_cast<std::streamsize>(header.size()));
  if (in.gcount() != static_cast<std::streamsize>(header.size()) ||
      !std::equal(kZipLocalHeader.begin(), kZipLocalHeader.end(), header.begin())) {
    return false;
  }
  // The first entry's name follows its 30-byte local header; Keras writes metadata.json first.
  const size_t name_length = static_cast<unsigned char>(header[26]) | static_cast<unsigned char>(header[27]) << 8;
  std::string first(name_length, '\0');
  in.read(first.data(), static_cast<std::streamsize>(name_length));
  if (first == kMetadataMember || first == kConfigMember || first == kWeightsMember) return true;
  int error = 0;
  zip_t* archive = zip_open(path.c_str(), ZIP_RDONLY, &error);
  if (archive == nullptr) return false;
  const bool keras = zip_name_locate(archive, kConfigMember, 0) >= 0 || zip_name_locate(archive, kWeightsMember, 0) >= 0;
  zip_discard(archive);
  return keras;
}

KerasModel load_keras_archive_image(std::string_view bytes, const std::string& name, std::chrono::seconds deadline) {
  const KerasArchiveMembers members = read_keras_archive_members(bytes, name);
  const std::vector<ConfigLayer> config = parse_sequential_config(name, kConfigMember, members.config_json);
  check_input_shape(name, config);
  const std::string keras_version = keras_version_of(members.metadata_json, name);
  KerasModel model = read_in_child_process(name, deadline, [&] {
    KerasModel read;
    read.layers = read_keras3_weights(members.weights_h5, name, config);
    return read;
  });
  model.keras_version = keras_version;
  return model;
}

KerasModel load_keras_archive(const fs::path& path) { return load_keras_archive_image(read_file_bytes(path), path.string()); }

bool is_keras_file(const fs::path& path) { return has_hdf5_signature(path) || is_keras_archive(path); }

KerasModel load_any_keras_model(const fs::path& path) {
  return is_keras_archive(path) ? load_keras_archive(path) : load_keras_model(path);
}

std::string keras_file_format(const fs::path& path) {
  return is_keras_archive(path) ? "Keras 3 archive (.keras)" : "Keras HDF5";
}

void write_keras_archive(const fs::path& path, const std::vector<DenseLayerWeights>& layers) {
  validate_for_writing(path, layers);
  const std::string name = path.string();
  const std::string config = config_json(layers);
  const std::string metadata = Json{{"keras_version", kWrittenForKeras}, {"written_by", "mnist-cpp"}}.dump();
  const std::string weights = keras3_weights_image(layers, name);
  write_atomically(path, [&](const fs::path& temp_path) {
    int error = 0;
    zip_t* archive = zip_open(temp_path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
    if (archive == nullptr) fail(name, "cannot create the archive (libzip error " + std::to_string(error) + ")");
    try {
      add_member(archive, kMetadataMember, metadata, name);
      add_member(archive, kConfigMember, config, name);
      add_member(archive, kWeightsMember, weights, name);
    } catch (...) {
      zip_discard(archive);
      throw;
    }
    if (zip_close(archive) != 0) {
      const std::string reason = zip_strerror(archive);
      zip_discard(archive);
      fail(name, "cannot write the archive (" + reason + ")");
    }
  });
}

}  // namespace mnist
