// The model card: a JSON description of a model (architecture, input contract, libraries, where
// it came from) that travels inside the TorchScript archive. Here what every card says about the
// model itself, and the card of a model converted from another format.
// Not for: how a model was trained and what it scored (train/training_card.h), writing the card
// into the archive or reading it back (export/torchscript.h).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "model/model.h"

namespace mnist {

// What every card says about the model: name, architecture and layers, dropout, the input and
// output contract (`calibrated` when a temperature is folded into the output), the
// normalisation inside the module, and the libraries that wrote it.
nlohmann::json model_card(const std::string& name, const ModelSpec& spec, bool calibrated);

// The card of a model that was converted rather than trained here: `converted_from` (key, value
// pairs such as the source path and format) takes the place of the training and results.
// Pretty-printed JSON.
std::string converted_model_card_json(const std::string& name, const ModelSpec& spec,
                                      const std::vector<std::pair<std::string, std::string>>& converted_from);

}  // namespace mnist
