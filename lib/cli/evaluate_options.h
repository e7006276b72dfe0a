// The options of mnist-evaluate and the parser that turns argv into them, typed once here.
// Not for: evaluating (evaluate_command.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "data/idx_files.h"
#include "export/keras_h5.h"
#include "report/confusion_heatmap.h"

namespace mnist {

struct EvaluateOptions {
  std::filesystem::path model = "models/mnist_mlp.pt";  // TorchScript, or a Keras .h5
  KerasInputRange keras_input_range = KerasInputRange::k255;  // for a Keras .h5 model
  std::filesystem::path data_dir = "data/mnist";
  MnistSplit split = MnistSplit::kTest;
  std::filesystem::path out = "models/confusion.png";  // metrics.json and misclassified.png go beside it
  bool normalize = false;  // heatmap of row percentages instead of counts
  ColorScale color_scale = ColorScale::kLog;
  int64_t misclassified = 0;  // draw the N most confidently wrong images (0: none)
  std::string device = "auto";
  int64_t batch_size = 1000;
  int64_t limit = 0;  // use only the first N images of the split (0: all)
  // Also measure the images as drawn and scanned digits differ from them (image/drawn_variants.h),
  // each through the preparation mnist-predict and mnist-serve apply.
  bool drawn_variants = false;
};

// The most --misclassified draws.
inline constexpr int64_t kMaxMisclassified = 500;

// Throws UsageError naming the first option whose value is out of range.
void validate(const EvaluateOptions& options);

// The resolved options as (key, value) pairs, in a stable order, for the start-up banner.
std::vector<std::pair<std::string, std::string>> describe(const EvaluateOptions& options);

// "test" or "train"; throws UsageError naming --split otherwise.
MnistSplit parse_split(const std::string& text);
std::string to_string(MnistSplit split);

// "log" or "linear"; throws UsageError naming --color-scale for anything else.
ColorScale parse_color_scale(const std::string& text);

// args[0] is the program. Returns the validated options, or nullopt when --help was given (the
// help is then printed to help_out). Throws UsageError naming the option that is wrong.
std::optional<EvaluateOptions> parse_evaluate_args(const std::vector<std::string>& args,
                                                   std::ostream& help_out);

}  // namespace mnist
