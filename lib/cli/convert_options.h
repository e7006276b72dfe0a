// The options of mnist-convert: the parser that turns argv into the conversion's options
// (export/model_conversion.h) and their description for the start-up banner.
// Not for: the options' bounds and converting (export/model_conversion.h).
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "export/model_conversion.h"

namespace mnist {

// The resolved options as (key, value) pairs, in a stable order, for the start-up banner.
std::vector<std::pair<std::string, std::string>> describe(const ConvertOptions& options);

// args[0] is the program. Returns the validated options, or nullopt when --help was given (the
// help is then printed to help_out). Throws UsageError naming what is wrong.
std::optional<ConvertOptions> parse_convert_args(const std::vector<std::string>& args, std::ostream& help_out);

}  // namespace mnist
