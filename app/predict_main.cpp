// mnist-predict: classifies image files of handwritten digits with the exported model.
// Parses options, prints them, calls the library, prints one line per file (or JSON), and
// exits 1 when any file could not be classified.
#include <cstdio>
#include <cxxopts.hpp>
#include <iostream>

#include "cli_errors.h"
#include "device.h"
#include "image_header.h"
#include "predict_command.h"

namespace {

mnist::PredictOptions parse_options(int argc, char** argv, bool& help_shown) {
  mnist::PredictOptions o;
  cxxopts::Options spec("mnist-predict",
                        "Classify images of handwritten digits (PNG, JPEG, BMP, PGM, TIFF, WebP, "
                        "...), prepared as MNIST was: grayscale, white on black, cropped, scaled to "
                        "20 px, centred by mass in 28x28. Images above " +
                        std::to_string(mnist::kMaxImagePixels / 1'000'000) +
                        " megapixels are refused.");
  spec.positional_help("IMAGE...");
  spec.add_options()
    ("model", "TorchScript model written by mnist-train", cxxopts::value<std::string>()->default_value(o.model.string()))
    ("json", "print the results as JSON")
    ("save-preprocessed", "write the 28x28 input the model saw for each image into DIR", cxxopts::value<std::string>(), "DIR")
    ("device", "cpu, auto, cuda or cuda:N", cxxopts::value<std::string>()->default_value(o.device))
    ("h,help", "show this help")
    ("images", "image files", cxxopts::value<std::vector<std::string>>());
  spec.parse_positional({"images"});
  const auto args = spec.parse(argc, argv);
  if (args.count("help")) {
    std::cout << spec.help() << std::endl;
    help_shown = true;
    return o;
  }
  if (!args.unmatched().empty()) throw mnist::UsageError("unexpected argument '" + args.unmatched().front() + "'");
  mnist::reject_conflicting_repeats(args, /*lists=*/{"images"});
  o.model = args["model"].as<std::string>();
  o.json = args.count("json") > 0;
  if (args.count("save-preprocessed")) o.save_preprocessed = args["save-preprocessed"].as<std::string>();
  o.device = args["device"].as<std::string>();
  if (args.count("images")) {
    for (const auto& image : args["images"].as<std::vector<std::string>>()) o.images.emplace_back(image);
  }
  mnist::validate(o);
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  return mnist::run_cli("mnist-predict", [&]() {
    bool help_shown = false;
    const auto options = parse_options(argc, argv, help_shown);
    if (help_shown) return 0;
    // JSON output stays one parseable document: the banner is part of it instead.
    if (!options.json) {
      for (const auto& [key, value] : mnist::describe(options)) std::cout << key << "=" << value << "\n";
    }
    const auto device = mnist::resolve_device(options.device);
    const auto report = mnist::run_prediction(options, device);

    if (options.json) {
      std::cout << mnist::format_predictions_json(options, report) << std::endl;
    } else {
      for (const auto& prediction : report.images) {
        if (prediction.ok()) std::cout << mnist::format_prediction_text(prediction) << "\n";
      }
      std::cout << report.images.size() - static_cast<size_t>(report.failed) << " of "
                << report.images.size() << " images classified" << std::endl;
    }
    for (const auto& prediction : report.images) {
      if (!prediction.ok()) std::fprintf(stderr, "mnist-predict: %s\n", prediction.error.c_str());
    }
    return report.failed > 0 ? 1 : 0;
  });
}
