// Loading the model files the tools take; see model_file.h.
#include "export/model_file.h"

#include <torch/torch.h>

#include <stdexcept>

#include "core/errors.h"
#include "export/keras_archive.h"
#include "export/keras_layers.h"
#include "export/model_card.h"
#include "export/torchscript.h"

namespace mnist {
namespace fs = std::filesystem;

namespace {

ImportedMlp import_keras(const fs::path& path, const KerasModel& keras, KerasInputRange range) {
  try {
    return mlp_from_keras(keras.layers, range);
  } catch (const std::invalid_argument& e) {
    throw RuntimeError(path.string() + ": cannot build the model: " + e.what());
  }
}

}  // namespace

LoadedModel load_model_file(const fs::path& path, KerasInputRange range) {
  if (!is_keras_file(path)) return {load_torchscript(path), read_model_card(path)};
  const KerasModel keras = load_any_keras_model(path);
  const ImportedMlp imported = import_keras(path, keras, range);
  return {to_torchscript(imported.model), keras_model_card_json(path, keras, imported.spec, range)};
}

ImportedMlp load_mlp_file(const fs::path& path, KerasInputRange range, std::string* card_json) {
  if (!is_keras_file(path)) {
    ImportedMlp imported = mlp_from_torchscript(path);
    if (card_json != nullptr) *card_json = read_model_card(path);
    return imported;
  }
  const KerasModel keras = load_any_keras_model(path);
  ImportedMlp imported = import_keras(path, keras, range);
  if (card_json != nullptr) *card_json = keras_model_card_json(path, keras, imported.spec, range);
  return imported;
}

std::string keras_model_card_json(const fs::path& path, const KerasModel& keras, const ModelSpec& spec,
                                  KerasInputRange range) {
  const std::string scaling = range == KerasInputRange::k255
                                  ? "Keras model trained on raw 0-255 pixels: x * 255 inside the module"
                                  : "Keras model trained on pixels in [0, 1]: used as they are";
  return converted_model_card_json(
      path.stem().string(), spec,
      {{"path", path.string()},
       {"format", keras.weights_only ? "Keras HDF5 weights (save_weights); relu then softmax assumed"
                                     : is_keras_archive(path) ? "Keras 3 .keras archive (model.save)" : "Keras HDF5 model (model.save)"},
       {"keras_version", keras.keras_version},
       {"backend", keras.backend},
       {"keras_input_range", to_string(range)},
       {"input_scaling", scaling}});
}

}  // namespace mnist
