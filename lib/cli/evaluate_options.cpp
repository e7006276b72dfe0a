// mnist-evaluate's options and parser; see evaluate_options.h.
#include "cli/evaluate_options.h"

#include <cxxopts.hpp>

#include <string>

#include "cli/command_line.h"
#include "core/errors.h"
#include "core/option_values.h"
#include "image/drawn_variants.h"

namespace mnist {

namespace {

std::string drawn_variants_help() {
  std::string names;
  for (const auto variant : kAllDrawnVariants) names += (names.empty() ? "" : ", ") + to_string(variant);
  return "also measure the images drawn, written and scanned as people's digits are (" + names +
         "), each prepared as an uploaded image is";
}

cxxopts::Options evaluate_option_spec() {
  const EvaluateOptions d;
  cxxopts::Options spec("mnist-evaluate", "Evaluate an MNIST model (TorchScript or Keras .h5): accuracy, per-class "
                                          "metrics, confusion heatmap and metrics.json.");
  spec.add_options()
    ("model", "TorchScript model written by mnist-train, or a Keras .h5 model", cxxopts::value<std::string>()->default_value(d.model.string()))
    ("keras-input-range", kKerasInputRangeHelp, cxxopts::value<std::string>()->default_value(to_string(d.keras_input_range)))
    ("data-dir", "MNIST directory (IDX files, plain or .gz)", cxxopts::value<std::string>()->default_value(d.data_dir.string()))
    ("split", "test, train, or holdout (the last 10% of train, which the calibrating recipes never train on: choose between models there)", cxxopts::value<std::string>()->default_value(to_string(d.split)))
    ("out", "confusion heatmap PNG; metrics.json and misclassified.png go beside it", cxxopts::value<std::string>()->default_value(d.out.string()))
    ("normalize", "show row percentages (of each true digit) instead of counts")
    ("color-scale", "heatmap colour scale: log (confusions stay visible) or linear", cxxopts::value<std::string>()->default_value(to_string(d.color_scale)))
    ("misclassified", "also draw the N most confidently wrong images (0: none)", cxxopts::value<std::string>()->default_value(std::to_string(d.misclassified)))
    ("device", "auto, cpu, cuda or cuda:N", cxxopts::value<std::string>()->default_value(d.device))
    ("batch-size", "images per forward pass", cxxopts::value<std::string>()->default_value(std::to_string(d.batch_size)))
    ("limit", "use only the first N images of the split (0: all)", cxxopts::value<std::string>()->default_value(std::to_string(d.limit)))
    ("drawn-variants", drawn_variants_help())
    ("h,help", "show this help");
  return spec;
}

}  // namespace

MnistSplit parse_split(const std::string& text) {
  if (text == "test") return MnistSplit::kTest;
  if (text == "train") return MnistSplit::kTrain;
  throw UsageError("--split " + text + ": must be test, train or holdout");
}

ColorScale parse_color_scale(const std::string& text) {
  if (text == "log") return ColorScale::kLog;
  if (text == "linear") return ColorScale::kLinear;
  throw UsageError("--color-scale " + text + ": must be log or linear");
}

std::vector<std::pair<std::string, std::string>> describe(const EvaluateOptions& o) {
  return {{"model", o.model.string()},
          {"keras_input_range", to_string(o.keras_input_range)},
          {"data_dir", o.data_dir.string()},
          {"split", split_name(o)},
          {"out", o.out.string()},
          {"normalize", o.normalize ? "true" : "false"},
          {"color_scale", to_string(o.color_scale)},
          {"misclassified", std::to_string(o.misclassified)},
          {"device", o.device},
          {"batch_size", std::to_string(o.batch_size)},
          {"limit", std::to_string(o.limit)},
          {"drawn_variants", o.drawn_variants ? "true" : "false"}};
}

std::optional<EvaluateOptions> parse_evaluate_args(const std::vector<std::string>& args,
                                                   std::ostream& help_out) {
  cxxopts::Options spec = evaluate_option_spec();
  const auto parsed = parse_or_help(spec, args, help_out);
  if (!parsed) return std::nullopt;
  const auto text = [&](const char* name) { return (*parsed)[name].as<std::string>(); };
  EvaluateOptions o;
  o.model = text("model");
  o.keras_input_range = parse_keras_input_range(text("keras-input-range"));
  o.data_dir = text("data-dir");
  o.holdout = text("split") == "holdout";
  o.split = o.holdout ? MnistSplit::kTrain : parse_split(text("split"));
  o.out = text("out");
  o.normalize = parsed->count("normalize") > 0;
  o.color_scale = parse_color_scale(text("color-scale"));
  o.misclassified = parse_integer_option("misclassified", text("misclassified"));
  o.device = text("device");
  o.batch_size = parse_integer_option("batch-size", text("batch-size"));
  o.limit = parse_integer_option("limit", text("limit"));
  o.drawn_variants = parsed->count("drawn-variants") > 0;
  // After the values: in "--limit --model m.pt" the option swallowed "--model", and its value
  // names that mistake better than the stray "m.pt" does.
  reject_unmatched(*parsed);
  validate(o);
  return o;
}

}  // namespace mnist
