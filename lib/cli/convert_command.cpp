// mnist-convert's printing and error edge; see convert_command.h.
#include "cli/convert_command.h"

#include <ostream>

#include "cli/convert_options.h"
#include "export/model_conversion.h"

namespace mnist {

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
