// training_curves.png: loss and accuracy per epoch (train, validation when present, test) side
// by side, read from the train_log.csv that mnist-train writes (see train_log.h for its columns).
// Not for: writing or reading the log (train_log.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "train/train_log.h"

namespace mnist {

// PNG bytes of the two-panel plot. Throws std::invalid_argument for no rows.
std::vector<unsigned char> render_training_curves(const std::vector<TrainLogRow>& rows,
                                                  const std::string& title);

// read_train_log(csv), drawn and written to png atomically.
void draw_training_curves(const std::filesystem::path& csv, const std::filesystem::path& png);

}  // namespace mnist
