// mnist-predict's options and parser; see predict_options.h.
#include "cli/predict_options.h"

#include <cxxopts.hpp>

#include "cli/command_line.h"
#include "core/errors.h"
#include "export/keras_h5.h"
#include "core/option_values.h"
#include "core/text.h"
#include "image/image_header.h"

namespace mnist {

namespace {

cxxopts::Options predict_option_spec() {
  const PredictOptions d;
  cxxopts::Options spec("mnist-predict",
                        "Classify images of handwritten digits (PNG, JPEG, BMP, PGM, TIFF, WebP, "
                        "...), prepared as MNIST was: grayscale, white on black, cropped, scaled to "
                        "20 px, centred by mass in 28x28. Images above " +
                            std::to_string(kMaxImagePixels / 1'000'000) +
                            " megapixels are refused.");
  spec.positional_help("IMAGE...");
  spec.add_options()
    ("model", "TorchScript model written by mnist-train, or a Keras .h5 model", cxxopts::value<std::string>()->default_value(d.model.string()))
    ("keras-input-range", kKerasInputRangeHelp, cxxopts::value<std::string>()->default_value(to_string(d.keras_input_range)))
    ("json", "print the results as JSON")
    ("save-preprocessed", "write the 28x28 input the model saw for each image into DIR", cxxopts::value<std::string>(), "DIR")
    ("device", "cpu, auto, cuda or cuda:N", cxxopts::value<std::string>()->default_value(d.device))
    ("uncertain-below", "mark answers whose probability is below P as uncertain, with the runner-up (\"4 or 9?\"); 0: never", cxxopts::value<std::string>()->default_value(format_text("%g", d.uncertain_below)), "P")
    ("h,help", "show this help")
    ("images", "image files", cxxopts::value<std::vector<std::string>>());
  spec.parse_positional({"images"});
  return spec;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> describe(const PredictCliOptions& options) {
  const PredictOptions& run = options.prediction;
  return {{"model", run.model.string()},
          {"keras_input_range", to_string(run.keras_input_range)},
          {"images", std::to_string(run.images.size())},
          {"json", options.json ? "true" : "false"},
          {"save_preprocessed", run.save_preprocessed.string()},
          {"device", run.device},
          {"uncertain_below", format_text("%g", run.uncertain_below)}};
}

std::optional<PredictCliOptions> parse_predict_args(const std::vector<std::string>& args,
                                                    std::ostream& help_out) {
  cxxopts::Options spec = predict_option_spec();
  const auto parsed = parse_or_help(spec, args, help_out, /*lists=*/{"images"});
  if (!parsed) return std::nullopt;
  reject_unmatched(*parsed);
  PredictCliOptions options;
  options.json = parsed->count("json") > 0;
  PredictOptions& o = options.prediction;
  o.model = (*parsed)["model"].as<std::string>();
  o.keras_input_range = parse_keras_input_range((*parsed)["keras-input-range"].as<std::string>());
  if (parsed->count("save-preprocessed")) o.save_preprocessed = (*parsed)["save-preprocessed"].as<std::string>();
  o.device = (*parsed)["device"].as<std::string>();
  o.uncertain_below = parse_real_option("uncertain-below", (*parsed)["uncertain-below"].as<std::string>());
  if (parsed->count("images")) {
    for (const auto& image : (*parsed)["images"].as<std::vector<std::string>>()) o.images.emplace_back(image);
  }
  validate(o);
  return options;
}

}  // namespace mnist
