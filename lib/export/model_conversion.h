// One conversion, as a library call: read a Keras .keras or .h5 or a TorchScript model of this
// project into the project's Sequential, and write it as another format (or the same one): a
// TorchScript .pt with a model card saying where it came from, a Keras legacy .h5 or Keras 3
// .keras that Keras loads and that takes raw 0-255 pixels as every Keras file of this project, or
// ONNX. What mnist-convert runs.
// Not for: reading the options from a command line (cli/convert_options.h), the formats
// themselves (the other files of export/).
#pragma once

#include <filesystem>
#include <string>

#include "export/keras_h5.h"

namespace mnist {

struct ConvertOptions {
  std::filesystem::path input;   // a Keras .keras or .h5 (told by content) or a TorchScript .pt
  std::filesystem::path output;  // by its ending: .keras Keras 3, .h5 Keras HDF5, .onnx ONNX, else TorchScript
  KerasInputRange keras_input_range = KerasInputRange::k255;  // for a Keras .h5 input
};

// True when `output` names a Keras file (by its name: the file does not exist yet).
bool writes_keras(const ConvertOptions& options);
// True for an OUT ending in .keras: a Keras 3 archive.
bool writes_keras_archive(const ConvertOptions& options);

// Throws UsageError for missing or equal paths, or a Keras name Keras would not load as this layout.
void validate(const ConvertOptions& options);

struct ConvertSummary {
  std::string input_format;   // "Keras HDF5" or "TorchScript"
  std::string output_format;  // "TorchScript" or "Keras HDF5"
  std::string architecture;   // e.g. "784-300-100-10"
  std::filesystem::path written;
};

// Throws UsageError for options validate() refuses, RuntimeError for an input that cannot be read
// as the project's MLP or an output that cannot be written (nothing is left half-written).
ConvertSummary run_conversion(const ConvertOptions& options);

}  // namespace mnist
