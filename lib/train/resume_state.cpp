// Checkpoint identity and history; see resume_state.h.
#include "train/resume_state.h"

#include <nlohmann/json.hpp>

#include "core/option_values.h"
#include "train/checkpoint_history.h"
#include "train/trainer.h"

namespace mnist {
using nlohmann::json;

namespace {

// Null when 0, so that checkpoints written before an option existed (without its key) still
// resume when the option is left at 0.
json unless_zero(double value) { return value == 0 ? json() : json(value); }

// What must be equal between a checkpoint and the run resuming it for the result to be the run
// the checkpoint came from. The recipe is not: the values it resolved to are. Values are stored
// as the options spell them, so checkpoints of earlier versions compare equal.
json resume_identity(const TrainOptions& options) {
  return {{"hidden", format_hidden_sizes(options.hidden)},
          {"dropout", options.dropout},
          {"batch_size", options.batch_size},
          {"learning_rate", options.learning_rate},
          {"seed", options.seed},
          {"val_split", options.val_split},
          {"train_limit", options.train_limit},
          {"lr_schedule", to_string(options.lr_schedule)},
          {"weight_decay", unless_zero(options.weight_decay)},
          {"label_smoothing", unless_zero(options.label_smoothing)},
          {"augment", unless_zero(options.augment)},
          {"drawn_styles", unless_zero(options.drawn_styles)},
          // images held out for calibration are not trained on
          {"calibration_holdout", unless_zero(calibration_holdout(options))},
          // a cosine schedule spans the whole run, so its length is part of the run
          {"epochs", options.lr_schedule == LrSchedule::kCosine ? json(options.epochs) : json()}};
}

}  // namespace

std::string checkpoint_metadata(const TrainOptions& options, const std::vector<EpochReport>& history) {
  return checkpoint_metadata_text(resume_identity(options).dump(), history);
}

std::vector<EpochReport> resume_history(const TrainOptions& options,
                                        const std::filesystem::path& checkpoint) {
  const auto header = Trainer::read_checkpoint_header(checkpoint);
  return checkpoint_history(header.metadata, resume_identity(options).dump(), header.epochs_done,
                            checkpoint.string());
}

}  // namespace mnist
