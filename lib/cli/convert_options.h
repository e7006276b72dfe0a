// The options of mnist-convert and the parser that turns argv into them.
// Not for: converting (convert_command.h).
#pragma once

#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "export/keras_h5.h"

namespace mnist {

struct ConvertOptions {
  std::filesystem::path input;   // a Keras .keras or .h5 (told by content) or a TorchScript .pt
  std::filesystem::path output;  // ends in .keras: Keras 3 archive; .h5: Keras legacy HDF5; else TorchScript
  KerasInputRange keras_input_range = KerasInputRange::k255;  // for a Keras .h5 input
};

// True when `output` names a Keras file (by its name: the file does not exist yet).
bool writes_keras(const ConvertOptions& options);
// True for an OUT ending in .keras: a Keras 3 archive.
bool writes_keras_archive(const ConvertOptions& options);

// Throws UsageError for missing or equal paths, or a Keras name Keras would not load as this layout.
void validate(const ConvertOptions& options);

// The resolved options as (key, value) pairs, in a stable order, for the start-up banner.
std::vector<std::pair<std::string, std::string>> describe(const ConvertOptions& options);

// args[0] is the program. Returns the validated options, or nullopt when --help was given (the
// help is then printed to help_out). Throws UsageError naming what is wrong.
std::optional<ConvertOptions> parse_convert_args(const std::vector<std::string>& args, std::ostream& help_out);

}  // namespace mnist
