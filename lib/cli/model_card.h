// The model card: a JSON description of a trained model (architecture, input contract, how it
// was trained, its results) that travels inside the TorchScript archive.
// Not for: writing it into the archive (export/torchscript.h).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "cli/train_options.h"
#include "model/model.h"
#include "train/training_observer.h"

namespace mnist {

// Pretty-printed JSON.
std::string model_card_json(const TrainOptions& options, const ModelSpec& spec,
                            const std::vector<EpochReport>& history);

// The card of a model that was converted rather than trained here: `converted_from` (key, value
// pairs such as the source path and format) takes the place of the training and results.
std::string converted_model_card_json(const std::string& name, const ModelSpec& spec,
                                      const std::vector<std::pair<std::string, std::string>>& converted_from);

}  // namespace mnist
