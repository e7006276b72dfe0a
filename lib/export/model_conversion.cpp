// One conversion from one model file to another; see model_conversion.h.
#include "export/model_conversion.h"

#include "core/errors.h"
#include "export/keras_archive.h"
#include "export/keras_layers.h"
#include "export/model_file.h"
#include "export/onnx_export.h"
#include "export/torchscript.h"

namespace mnist {

namespace {

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

bool writes_keras(const ConvertOptions& options) { return options.output.extension() == ".h5"; }
bool writes_keras_archive(const ConvertOptions& options) { return options.output.extension() == ".keras"; }

void validate(const ConvertOptions& options) {
  if (options.input.empty() || options.output.empty()) {
    throw UsageError("give the input and the output file: mnist-convert IN OUT");
  }
  if (options.input.lexically_normal() == options.output.lexically_normal()) {
    throw UsageError(options.output.string() + ": the output must not be the input file");
  }
  if (ends_with(options.output.filename().string(), ".weights.h5")) {
    throw UsageError(options.output.string() + ": Keras reads a name ending in .weights.h5 as another "
                     "format; choose a name ending in .h5 only");
  }
}

ConvertSummary run_conversion(const ConvertOptions& options) {
  validate(options);
  ConvertSummary summary;
  summary.input_format = is_keras_file(options.input) ? keras_file_format(options.input) : "TorchScript";
  std::string card;
  const ImportedMlp imported = load_mlp_file(options.input, options.keras_input_range, &card);
  summary.architecture = describe_architecture(imported.spec);
  if (options.output.extension() == ".onnx") {
    summary.output_format = "ONNX";
    write_onnx(options.output, to_keras_layers(imported.model), card);
  } else if (writes_keras_archive(options)) {
    summary.output_format = "Keras 3 archive (.keras)";
    write_keras_archive(options.output, to_keras_layers(imported.model));
  } else if (writes_keras(options)) {
    summary.output_format = "Keras HDF5";
    write_keras_h5(options.output, to_keras_layers(imported.model), KerasH5Kind::kFullModel);
  } else {
    summary.output_format = "TorchScript";
    export_torchscript(imported.model, options.output, card);
  }
  summary.written = options.output;
  return summary;
}

}  // namespace mnist
