// mnist-evaluate's printing and error edge; see evaluate_command.h.
#include "cli/evaluate_command.h"

#include <algorithm>
#include <ostream>

#include "cli/evaluate_options.h"
#include "core/text.h"
#include "report/evaluation_run.h"
#include "runtime/device.h"

namespace mnist {

std::string format_coverage_table(const std::vector<CoveragePoint>& table) {
  std::string text = "answering only when the top probability is at least t:\n"
                     "      t   answered   accuracy of the answered\n";
  for (const auto& p : table) {
    text += format_text("%7g   %7.2f%%   %7.2f%% (%lld images)\n", p.threshold, 100 * p.coverage,
                        100 * p.accuracy, static_cast<long long>(p.answered));
  }
  return text;
}

std::string format_variant(const VariantResult& v) {
  return format_text("drawn variant %-15s accuracy %.4f (%lld of %lld; %lld refused by the preparation), "
                     "confidently wrong %.4f (%lld), ECE %.4f\n",
                     v.variant.c_str(), v.accuracy(), static_cast<long long>(v.correct),
                     static_cast<long long>(v.count), static_cast<long long>(v.unprepared),
                     v.confident_mistake_rate(), static_cast<long long>(v.confident_mistakes()),
                     v.calibration().expected_calibration_error);
}

int run_evaluate_cli(const std::vector<std::string>& args, const Console& console) {
  return run_cli("mnist-evaluate", console.err, [&]() {
    const auto options = parse_evaluate_args(args, console.out);
    if (!options) return 0;
    print_options(console.out, describe(*options));
    const auto device = resolve_device(options->device);
    console.out << "using device=" << device.str() << std::endl;

    const auto summary = run_evaluation(*options, device);
    const auto& report = summary.report;
    console.out << format_text("%s on the %s: %lld images\n", summary.model_name.c_str(),
                               summary.data_name.c_str(), static_cast<long long>(report.count))
                << format_text("accuracy %.4f +/- %.4f (standard error), mean confidence %.4f, "
                               "mean cross-entropy %.4f\n",
                               report.accuracy, report.accuracy_standard_error,
                               summary.calibration.mean_confidence, summary.loss)
                << format_text("expected calibration error %.4f (%zu equal-width confidence bins)\n",
                               summary.calibration.expected_calibration_error, summary.calibration.bins.size())
                << format_text("model over all images: %.3f s, %.0f images/s\n",
                               summary.forward_seconds,
                               static_cast<double>(report.count) / std::max(summary.forward_seconds, 1e-9))
                << format_classification_report(report) << format_coverage_table(summary.coverage);
    for (const auto& v : summary.variants) console.out << format_variant(v);
    if (!summary.variants.empty()) console.out << format_variant(summary.variants_all);
    for (const auto& warning : summary.warnings) console.err << "mnist-evaluate: warning: " << warning << "\n";
    for (const auto& file : summary.files_written) console.out << "wrote " << file.string() << "\n";
    console.out << std::flush;
    return 0;
  });
}

}  // namespace mnist
