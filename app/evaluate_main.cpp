// mnist-evaluate: runs a TorchScript model from mnist-train over MNIST and reports accuracy,
// per-class metrics and the most confused digits, with a confusion heatmap and metrics.json.
// Parses options, prints them, calls the library, maps failures to exit codes.
#include <algorithm>
#include <cstdio>
#include <cxxopts.hpp>
#include <iostream>

#include "cli_errors.h"
#include "device.h"
#include "evaluate_command.h"
#include "option_values.h"

namespace {

mnist::EvaluateOptions parse_options(int argc, char** argv, bool& help_shown) {
  mnist::EvaluateOptions o;
  cxxopts::Options spec("mnist-evaluate", "Evaluate a TorchScript MNIST model: accuracy, per-class "
                                          "metrics, confusion heatmap and metrics.json.");
  spec.add_options()
    ("model", "TorchScript model written by mnist-train", cxxopts::value<std::string>()->default_value(o.model.string()))
    ("data-dir", "MNIST directory (IDX files, plain or .gz)", cxxopts::value<std::string>()->default_value(o.data_dir.string()))
    ("split", "test or train", cxxopts::value<std::string>()->default_value(o.split))
    ("out", "confusion heatmap PNG; metrics.json and misclassified.png go beside it", cxxopts::value<std::string>()->default_value(o.out.string()))
    ("normalize", "show row percentages (of each true digit) instead of counts")
    ("color-scale", "heatmap colour scale: log (confusions stay visible) or linear", cxxopts::value<std::string>()->default_value(o.color_scale))
    ("misclassified", "also draw the N most confidently wrong images (0: none)", cxxopts::value<std::string>()->default_value(std::to_string(o.misclassified)))
    ("device", "auto, cpu, cuda or cuda:N", cxxopts::value<std::string>()->default_value(o.device))
    ("batch-size", "images per forward pass", cxxopts::value<std::string>()->default_value(std::to_string(o.batch_size)))
    ("limit", "use only the first N images of the split (0: all)", cxxopts::value<std::string>()->default_value(std::to_string(o.limit)))
    ("h,help", "show this help");
  const auto args = spec.parse(argc, argv);
  if (args.count("help")) {
    std::cout << spec.help() << std::endl;
    help_shown = true;
    return o;
  }
  mnist::reject_conflicting_repeats(args);
  o.model = args["model"].as<std::string>();
  o.data_dir = args["data-dir"].as<std::string>();
  o.split = args["split"].as<std::string>();
  o.out = args["out"].as<std::string>();
  o.normalize = args.count("normalize") > 0;
  o.color_scale = args["color-scale"].as<std::string>();
  o.misclassified = mnist::parse_integer_option("misclassified", args["misclassified"].as<std::string>());
  o.device = args["device"].as<std::string>();
  o.batch_size = mnist::parse_integer_option("batch-size", args["batch-size"].as<std::string>());
  o.limit = mnist::parse_integer_option("limit", args["limit"].as<std::string>());
  // After the values: in "--limit --model m.pt" the option swallowed "--model", and its value
  // names that mistake better than the stray "m.pt" does.
  if (!args.unmatched().empty()) throw mnist::UsageError("unexpected argument '" + args.unmatched().front() + "'");
  mnist::validate(o);
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  return mnist::run_cli("mnist-evaluate", [&]() {
    bool help_shown = false;
    const auto options = parse_options(argc, argv, help_shown);
    if (help_shown) return 0;
    for (const auto& [key, value] : mnist::describe(options)) std::cout << key << "=" << value << "\n";

    const auto device = mnist::resolve_device(options.device);
    std::cout << "using device=" << device.str() << std::endl;

    const auto summary = mnist::run_evaluation(options, device);
    const auto& report = summary.report;
    std::printf("%s on the %s: %lld images\n", summary.model_name.c_str(), summary.data_name.c_str(),
                static_cast<long long>(report.count));
    std::printf("accuracy %.4f +/- %.4f (standard error), mean cross-entropy %.4f\n",
                report.accuracy, report.accuracy_standard_error, summary.loss);
    std::printf("model over all images: %.3f s, %.0f images/s\n", summary.forward_seconds,
                static_cast<double>(report.count) / std::max(summary.forward_seconds, 1e-9));
    std::cout << mnist::format_classification_report(report);
    for (const auto& warning : summary.warnings) std::cerr << "mnist-evaluate: warning: " << warning << "\n";
    for (const auto& file : summary.files_written) std::cout << "wrote " << file.string() << "\n";
    return 0;
  });
}
