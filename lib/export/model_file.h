// The model files the tools take: TorchScript (what mnist-train and mnist-convert write, or any
// module with the same contract), Keras HDF5 (what Keras' model.save("x.h5") or save_weights
// wrote) and Keras 3 archives (model.save("x.keras")), told apart by their content (the HDF5
// signature, the zip's members), never by the file name. Loaded for inference, with a
// model card, or as the project's Sequential for mnist-convert and mnist-train --init-from.
// Not for: the formats themselves (export/torchscript.h, export/keras_h5.h, export/keras_archive.h).
#pragma once

#include <torch/csrc/jit/api/module.h>

#include <filesystem>
#include <string>

#include "export/keras_h5.h"
#include "model/model.h"

namespace mnist {

struct LoadedModel {
  torch::jit::Module module;  // the project's contract: pixels in [0, 1] in, [N,10] probabilities out
  std::string card_json;      // empty for a TorchScript file without a model card
};

// A Keras file becomes the TorchScript of its Sequential, with `range` scaled inside and a card
// saying where it came from. Throws RuntimeError naming the file (and the layer) otherwise.
LoadedModel load_model_file(const std::filesystem::path& path, KerasInputRange range);

// The Sequential of a Keras file or of a TorchScript file this project exported, and when
// card_json is given the model card a TorchScript export of it should carry (the Keras card, or
// the TorchScript file's own). Throws RuntimeError naming the file for anything else.
ImportedMlp load_mlp_file(const std::filesystem::path& path, KerasInputRange range,
                          std::string* card_json = nullptr);

// The model card of an imported Keras file (name, architecture, layers, input scaling, source).
std::string keras_model_card_json(const std::filesystem::path& path, const KerasModel& keras,
                                  const ModelSpec& spec, KerasInputRange range);

}  // namespace mnist
