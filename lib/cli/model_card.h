// The model card: a JSON description of a trained model (architecture, input contract, how it
// was trained, its results) that travels inside the TorchScript archive.
// Not for: writing it into the archive (export/torchscript.h).
#pragma once

#include <string>
#include <vector>

#include "cli/train_options.h"
#include "model/model.h"
#include "train/training_observer.h"

namespace mnist {

// Pretty-printed JSON.
std::string model_card_json(const TrainOptions& options, const ModelSpec& spec,
                            const std::vector<EpochReport>& history);

}  // namespace mnist
