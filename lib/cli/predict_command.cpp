// mnist-predict's printing and error edge; see predict_command.h.
#include "cli/predict_command.h"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <ostream>

#include "cli/command_line.h"
#include "inference/digit_classifier.h"
#include "runtime/device.h"

namespace mnist {
using json = nlohmann::ordered_json;  // keys in the order written: "file" first

namespace {

std::string fixed(double value, int decimals) {
  char text[32];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

// The answer part of a classified image, for the shared wording of digit_classifier.h.
DigitAnswer answer_of(const ImagePrediction& prediction) {
  DigitAnswer answer;
  answer.digit = prediction.digit;
  answer.probability = prediction.probability;
  answer.top = prediction.top;
  answer.uncertain = prediction.uncertain;
  return answer;
}

}  // namespace

std::string format_prediction_text(const ImagePrediction& prediction) {
  if (!prediction.ok()) return prediction.error;
  std::string line = prediction.file.string() + ": " + answer_text(answer_of(prediction)) +
                     " (p=" + fixed(prediction.probability, 4) + (prediction.uncertain ? ", uncertain" : "") + ")  top " +
                     std::to_string(prediction.top.size()) + ":";
  for (size_t k = 0; k < prediction.top.size(); ++k) {
    line += (k == 0 ? " " : ", ") + std::to_string(prediction.top[k].digit) + " " +
            fixed(prediction.top[k].probability, 4);
  }
  return line;
}

std::string format_predictions_json(const PredictCliOptions& options, const PredictionReport& report) {
  json images = json::array();
  for (const auto& prediction : report.images) {
    json entry = {{"file", prediction.file.string()}};
    if (!prediction.ok()) {
      entry["error"] = prediction.error;
    } else {
      json top = json::array();
      for (const auto& item : prediction.top) {
        top.push_back({{"digit", item.digit}, {"probability", item.probability}});
      }
      const DigitAnswer answer = answer_of(prediction);
      entry["digit"] = prediction.digit;
      entry["probability"] = prediction.probability;
      entry["uncertain"] = prediction.uncertain;
      entry["runner_up"] = answer.runner_up();
      entry["answer"] = answer_text(answer);
      entry["top"] = top;
      entry["probabilities"] = prediction.probabilities;
      entry["inverted"] = prediction.inverted;
      entry["already_mnist"] = prediction.already_mnist;
      if (!prediction.preprocessed.empty()) {
        entry["preprocessed"] = prediction.preprocessed.string();
      }
    }
    images.push_back(entry);
  }
  json options_json = json::object();
  for (const auto& [key, value] : describe(options)) options_json[key] = value;
  const auto count = static_cast<int64_t>(report.images.size());
  const json report_json = {{"options", options_json},
                            {"classified", count - report.failed},
                            {"failed", report.failed},
                            {"images", images}};
  // File names need not be UTF-8; undecodable bytes become U+FFFD rather than an exception.
  return report_json.dump(2, ' ', /*ensure_ascii=*/false, json::error_handler_t::replace);
}

int run_predict_cli(const std::vector<std::string>& args, const Console& console) {
  return run_cli("mnist-predict", console.err, [&]() {
    const auto options = parse_predict_args(args, console.out);
    if (!options) return 0;
    // JSON output stays one parseable document: the banner is part of it instead.
    if (!options->json) {
      print_options(console.out, describe(*options));
    }
    const auto device = resolve_device(options->prediction.device);
    const auto report = run_prediction(options->prediction, device);

    if (options->json) {
      console.out << format_predictions_json(*options, report) << std::endl;
    } else {
      for (const auto& prediction : report.images) {
        if (prediction.ok()) console.out << format_prediction_text(prediction) << "\n";
      }
      console.out << report.images.size() - static_cast<size_t>(report.failed) << " of "
                  << report.images.size() << " images classified" << std::endl;
    }
    for (const auto& prediction : report.images) {
      if (!prediction.ok()) console.err << "mnist-predict: " << prediction.error << "\n";
    }
    console.err << std::flush;
    return report.failed > 0 ? 1 : 0;
  });
}

}  // namespace mnist
