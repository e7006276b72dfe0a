// The model card of a model trained here: export/model_card.h's description of the model, with
// how it was trained (recipe, optimizer, schedule, augmentation), the temperature folded into it
// and its results.
// Not for: the card's common part and converted models (export/model_card.h).
#pragma once

#include <string>
#include <vector>

#include "model/model.h"
#include "report/calibration.h"
#include "train/training_observer.h"
#include "train/training_options.h"

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

}  // namespace mnist
