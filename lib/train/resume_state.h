// What a checkpoint must agree on with the run that resumes it, and the epoch history it
// carries, as the JSON metadata Trainer::save_checkpoint stores.
// Not for: the model and optimizer state (train/trainer.h).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "train/training_options.h"
#include "train/training_observer.h"

namespace mnist {

// The metadata to store with a checkpoint after `history`.
std::string checkpoint_metadata(const TrainOptions& options, const std::vector<EpochReport>& history);

// The history of the run the checkpoint came from. Throws UsageError naming what differs when the
// checkpoint was trained with other options, RuntimeError when it is unreadable or inconsistent.
std::vector<EpochReport> resume_history(const TrainOptions& options,
                                        const std::filesystem::path& checkpoint);

}  // namespace mnist
