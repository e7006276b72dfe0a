// The options of mnist-predict: the parser that turns argv into the run's options
// (inference/prediction_options.h) and how the answers are printed, and their description for
// the start-up banner.
// Not for: the options' defaults and bounds (inference/prediction_options.h), classifying
// (inference/prediction_run.h).
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "inference/prediction_options.h"

namespace mnist {

// What mnist-predict was asked: the prediction run, and whether to print it as JSON.
struct PredictCliOptions {
  PredictOptions prediction;
  bool json = false;
};

// The resolved options as (key, value) pairs, in a stable order, for the start-up banner.
std::vector<std::pair<std::string, std::string>> describe(const PredictCliOptions& options);

// args[0] is the program. Returns the validated options, or nullopt when --help was given (the
// help is then printed to help_out). Throws UsageError naming the option that is wrong.
std::optional<PredictCliOptions> parse_predict_args(const std::vector<std::string>& args,
                                                    std::ostream& help_out);

}  // namespace mnist
