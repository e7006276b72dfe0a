// mnist-convert's options and parser; see convert_options.h.
#include "cli/convert_options.h"

#include <cxxopts.hpp>

#include "cli/command_line.h"
#include "core/errors.h"
#include "export/keras_h5.h"

namespace mnist {

namespace {

cxxopts::Options convert_option_spec() {
  const ConvertOptions d;
  cxxopts::Options spec("mnist-convert",
                        "Convert a Keras .keras or .h5 model (tf.keras 2 or Keras 3, Sequential Flatten + Dense) "
                        "to TorchScript for any LibTorch program, or a TorchScript model from mnist-train to "
                        "Keras. The input's format is read from its content; OUT ending in .keras is "
                        "written as a Keras 3 archive, in .h5 as Keras HDF5, in .onnx as ONNX, anything else as "
                        "TorchScript.");
  spec.positional_help("IN OUT");
  spec.add_options()
    ("keras-input-range", kKerasInputRangeHelp, cxxopts::value<std::string>()->default_value(to_string(d.keras_input_range)))
    ("h,help", "show this help")
    ("files", "IN OUT", cxxopts::value<std::vector<std::string>>());
  spec.parse_positional({"files"});
  return spec;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> describe(const ConvertOptions& options) {
  return {{"input", options.input.string()},
          {"output", options.output.string()},
          {"output_format", writes_keras(options) ? "keras-h5" : writes_keras_archive(options) ? "keras" : options.output.extension() == ".onnx" ? "onnx" : "torchscript"},
          {"keras_input_range", to_string(options.keras_input_range)}};
}

std::optional<ConvertOptions> parse_convert_args(const std::vector<std::string>& args, std::ostream& help_out) {
  cxxopts::Options spec = convert_option_spec();
  const auto parsed = parse_or_help(spec, args, help_out, /*lists=*/{"files"});
  if (!parsed) return std::nullopt;
  reject_unmatched(*parsed);
  ConvertOptions o;
  o.keras_input_range = parse_keras_input_range((*parsed)["keras-input-range"].as<std::string>());
  const auto files = parsed->count("files") ? (*parsed)["files"].as<std::vector<std::string>>()
                                            : std::vector<std::string>{};
  if (files.size() > 2) throw UsageError("unexpected argument '" + files[2] + "'");
  if (files.size() == 2) {
    o.input = files[0];
    o.output = files[1];
  }
  validate(o);
  return o;
}

}  // namespace mnist
