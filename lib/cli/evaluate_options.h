// The options of mnist-evaluate: the parser that turns argv into the run's options
// (report/evaluation_options.h), typed once here, and their description for the start-up banner.
// Not for: the options' defaults and bounds (report/evaluation_options.h), evaluating
// (report/evaluation_run.h).
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "data/idx_files.h"
#include "report/confusion_heatmap.h"
#include "report/evaluation_options.h"

namespace mnist {

// The resolved options as (key, value) pairs, in a stable order, for the start-up banner.
std::vector<std::pair<std::string, std::string>> describe(const EvaluateOptions& options);

// "test" or "train"; throws UsageError naming --split otherwise.
MnistSplit parse_split(const std::string& text);

// "log" or "linear"; throws UsageError naming --color-scale for anything else.
ColorScale parse_color_scale(const std::string& text);

// args[0] is the program. Returns the validated options, or nullopt when --help was given (the
// help is then printed to help_out). Throws UsageError naming the option that is wrong.
std::optional<EvaluateOptions> parse_evaluate_args(const std::vector<std::string>& args,
                                                   std::ostream& help_out);

}  // namespace mnist
