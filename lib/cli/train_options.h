// The options of mnist-train: the parser that turns argv into the run's options
// (train/training_options.h) and their description for the start-up banner. Option text becomes
// typed values here, once (layer sizes as numbers, the schedule and recipe as enums); nothing
// below sees option text.
// Not for: the options' defaults, recipes and bounds (train/training_options.h), training
// (train/training_run.h).
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "train/lr_schedule.h"
#include "train/training_options.h"

namespace mnist {

// The resolved options as (key, value) pairs, in a stable order, for the start-up banner.
std::vector<std::pair<std::string, std::string>> describe(const TrainOptions& options);

// "constant" or "cosine"; throws UsageError naming --lr-schedule otherwise.
LrSchedule parse_lr_schedule(const std::string& text);

// args[0] is the program. Returns the validated options, or nullopt when --help was given (the
// help is then printed to help_out). Throws UsageError naming the option that is wrong.
std::optional<TrainOptions> parse_train_args(const std::vector<std::string>& args,
                                             std::ostream& help_out);

}  // namespace mnist
