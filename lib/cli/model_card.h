// The model card: a JSON description of a trained model (architecture, input contract, how it
// was trained, its results) that travels inside the TorchScript archive.
// Not for: writing it into the archive (export/torchscript.h).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "cli/train_options.h"
#include "model/model.h"
#include "report/calibration.h"
#include "train/training_observer.h"

namespace mnist {

// The temperature folded into the exports and what it did on the images it was fitted on.
struct ModelCalibration {
  TemperatureFit fit;
  std::string held_out;  // which images, e.g. "validation split: the last 6000 training images"
};

// Pretty-printed JSON. calibration: null when the exports are not calibrated.
std::string model_card_json(const TrainOptions& options, const ModelSpec& spec,
                            const std::vector<EpochReport>& history,
                            const ModelCalibration* calibration = nullptr);

// The card of a model that was converted rather than trained here: `converted_from` (key, value
// pairs such as the source path and format) takes the place of the training and results.
std::string converted_model_card_json(const std::string& name, const ModelSpec& spec,
                                      const std::vector<std::pair<std::string, std::string>>& converted_from);

}  // namespace mnist
