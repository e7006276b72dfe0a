// The options of mnist-predict and the parser that turns argv into them.
// Not for: classifying (predict_command.h).
#pragma once

#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "export/keras_h5.h"
#include "inference/digit_classifier.h"

namespace mnist {

struct PredictOptions {
  std::filesystem::path model = "models/mnist_mlp.pt";  // TorchScript, or a Keras .h5
  KerasInputRange keras_input_range = KerasInputRange::k255;  // for a Keras .h5 model
  std::vector<std::filesystem::path> images;
  bool json = false;
  std::filesystem::path save_preprocessed;  // empty: write nothing
  // A batch of a few images is done long before CUDA has started, hence not "auto".
  std::string device = "cpu";
  // Answers below this probability are marked uncertain, with the runner-up (0: never).
  double uncertain_below = kDefaultUncertainBelow;
};

// Throws UsageError when no image is given, a path option is empty or --uncertain-below is not a
// probability.
void validate(const PredictOptions& options);

// The resolved options as (key, value) pairs, in a stable order, for the start-up banner.
std::vector<std::pair<std::string, std::string>> describe(const PredictOptions& options);

// args[0] is the program. Returns the validated options, or nullopt when --help was given (the
// help is then printed to help_out). Throws UsageError naming the option that is wrong.
std::optional<PredictOptions> parse_predict_args(const std::vector<std::string>& args,
                                                 std::ostream& help_out);

}  // namespace mnist
