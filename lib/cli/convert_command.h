// mnist-convert as a library call: the options parsed, the start-up banner, the conversion
// (export/model_conversion.h) and what it wrote printed.
// Not for: converting (export/model_conversion.h), the options' parsing (convert_options.h).
#pragma once

#include <string>
#include <vector>

#include "cli/command_line.h"

namespace mnist {

// mnist-convert from argv (args[0] is the program) to its exit code; failures as one line on
// console.err with exit code 2 (usage) or 1.
int run_convert_cli(const std::vector<std::string>& args, const Console& console);

}  // namespace mnist
