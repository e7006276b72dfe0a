// The mnist-convert pipeline; see convert_command.h.
#include "cli/convert_command.h"

#include <ostream>

#include "export/keras_archive.h"
#include "export/keras_h5.h"
#include "export/keras_layers.h"
#include "export/model_file.h"
#include "export/onnx_export.h"
#include "export/torchscript.h"

namespace mnist {

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

int run_convert_cli(const std::vector<std::string>& args, const Console& console) {
  return run_cli("mnist-convert", console.err, [&]() {
    const auto options = parse_convert_args(args, console.out);
    if (!options) return 0;
    print_options(console.out, describe(*options));
    const ConvertSummary summary = run_conversion(*options);
    console.out << "converted " << options->input.string() << " (" << summary.input_format << ", "
                << summary.architecture << ") to " << summary.output_format << "\n"
                << "wrote " << summary.written.string() << std::endl;
    return 0;
  });
}

}  // namespace mnist
