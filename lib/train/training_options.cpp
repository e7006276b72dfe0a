// The options of a training run; see training_options.h.
#include "train/training_options.h"

#include <cmath>

#include "core/option_values.h"

namespace mnist {

std::string to_string(Recipe recipe) {
  switch (recipe) {
    case Recipe::kOriginal: return "original";
    case Recipe::kDefault: return "default";
    case Recipe::kBest: return "best";
    case Recipe::kFast: return "fast";
  }
  return "default";
}

TrainOptions recipe_options(Recipe recipe) {
  TrainOptions o;
  o.recipe = recipe;
  switch (recipe) {
    case Recipe::kDefault:
      break;
    case Recipe::kOriginal:
      o.augment = 0;
      o.drawn_styles = 0;
      o.lr_schedule = LrSchedule::kConstant;
      o.calibrate = false;  // the Keras script exactly: every training image, raw softmax
      break;
    case Recipe::kBest:
      o.epochs = 150;
      o.batch_size = 128;
      o.learning_rate = 0.002;
      o.weight_decay = 0.01;
      o.label_smoothing = 0.05;
      o.augment = 1.0;
      o.drawn_styles = 0;
      // One core trains, the other augments the next epoch: OpenBLAS' second thread would only
      // fight the augmentation thread for it (measured: twice the time per epoch).
      o.threads = 1;
      break;
    case Recipe::kFast:
      o.epochs = 6;
      o.batch_size = 256;
      o.learning_rate = 0.003;
      o.augment = 0;
      o.drawn_styles = 0;
      break;
  }
  return o;
}

void validate(const TrainOptions& o) {
  require_option(o.epochs >= 1 && o.epochs <= 100000, "epochs", std::to_string(o.epochs),
          "must be an integer from 1 to 100000");
  require_option(o.batch_size >= 1 && o.batch_size <= 60000, "batch-size", std::to_string(o.batch_size),
          "must be an integer from 1 to 60000");
  require_option(std::isfinite(o.learning_rate) && o.learning_rate > 0 && o.learning_rate <= 10, "lr",
          option_value_text(o.learning_rate), "must be a finite number above 0 and at most 10");
  require_option(std::isfinite(o.dropout) && o.dropout >= 0 && o.dropout < 1, "dropout",
          option_value_text(o.dropout), "must be at least 0 and below 1");
  require_option(std::isfinite(o.val_split) && o.val_split >= 0 && o.val_split < 1, "val-split",
          option_value_text(o.val_split), "must be at least 0 and below 1");
  require_option(std::isfinite(o.weight_decay) && o.weight_decay >= 0 && o.weight_decay <= 1,
          "weight-decay", option_value_text(o.weight_decay), "must be from 0 (none) to 1");
  require_option(std::isfinite(o.label_smoothing) && o.label_smoothing >= 0 && o.label_smoothing < 1,
          "label-smoothing", option_value_text(o.label_smoothing), "must be at least 0 and below 1");
  require_option(std::isfinite(o.augment) && o.augment >= 0 && o.augment <= 2, "augment",
          option_value_text(o.augment), "must be a strength from 0 (none) to 2");
  require_option(std::isfinite(o.drawn_styles) && o.drawn_styles >= 0 && o.drawn_styles <= 1, "drawn-styles",
          option_value_text(o.drawn_styles), "must be a fraction from 0 (none) to 1");
  require_option(o.seed >= 0, "seed", std::to_string(o.seed), "must not be negative");
  require_option(o.threads >= 0 && o.threads <= 1024, "threads", std::to_string(o.threads),
          "must be from 0 (library default) to 1024");
  require_option(o.train_limit >= 0, "train-limit", std::to_string(o.train_limit), "must not be negative");
  require_option(o.test_limit >= 0, "test-limit", std::to_string(o.test_limit), "must not be negative");
  require_option(!o.data_dir.empty(), "data-dir", "''", "must not be empty");
  require_option(!o.out_dir.empty(), "out-dir", "''", "must not be empty");
  // The sizes a parsed --hidden can have; a caller filling the struct in code is held to them too.
  parse_hidden_sizes(format_hidden_sizes(o.hidden));
}

double calibration_holdout(const TrainOptions& options) {
  return options.calibrate && options.val_split == 0 ? kCalibrationHoldout : 0.0;
}

}  // namespace mnist
