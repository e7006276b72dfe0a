// What `mnist-convert` does, as a library call: read a Keras .h5 or a TorchScript model of this
// project into the project's Sequential, and write it as the other format (or the same one): a
// TorchScript .pt with a model card saying where it came from, or a Keras legacy .h5 that tf.keras
// 2 and Keras 3 load and that takes raw 0-255 pixels, as every .h5 of this project.
// Not for: the options (convert_options.h), the formats (export/).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "cli/command_line.h"
#include "cli/convert_options.h"

namespace mnist {

struct ConvertSummary {
  std::string input_format;   // "Keras HDF5" or "TorchScript"
  std::string output_format;  // "TorchScript" or "Keras HDF5"
  std::string architecture;   // e.g. "784-300-100-10"
  std::filesystem::path written;
};

ConvertSummary run_conversion(const ConvertOptions& options);

// mnist-convert from argv (args[0] is the program) to its exit code; failures as one line on
// console.err with exit code 2 (usage) or 1.
int run_convert_cli(const std::vector<std::string>& args, const Console& console);

}  // namespace mnist
