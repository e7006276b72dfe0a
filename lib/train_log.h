// models/train_log.csv: one row per finished epoch, rewritten whole (atomically) after each
// epoch so a resumed run continues the same log.
#pragma once

#include <filesystem>
#include <vector>

#include "training_observer.h"

namespace mnist {

// Columns: epoch,train_loss,train_accuracy,val_loss,val_accuracy,test_loss,test_accuracy,seconds
// (val columns empty when there is no validation split).
void write_train_log(const std::filesystem::path& path, const std::vector<EpochReport>& history);

}  // namespace mnist
