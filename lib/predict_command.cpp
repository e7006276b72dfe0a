// The mnist-predict pipeline; see predict_command.h.
#include "predict_command.h"

#include <torch/script.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>

#include "atomic_file.h"
#include "errors.h"
#include "image_preprocess.h"
#include "model.h"
#include "torchscript_export.h"

namespace mnist {
namespace fs = std::filesystem;
using json = nlohmann::ordered_json;  // keys in the order written: "file" first

namespace {

// "<stem>-28x28.png" in the directory; a second input with the same stem gets "<stem>-2-28x28.png".
fs::path preprocessed_path(const fs::path& directory, const fs::path& image,
                           std::map<std::string, int>& stems_used) {
  const std::string stem = image.stem().string();
  const int uses = ++stems_used[stem];
  const std::string suffix =
      "-" + std::to_string(kFieldSide) + "x" + std::to_string(kFieldSide) + ".png";
  return directory / (uses == 1 ? stem + suffix : stem + "-" + std::to_string(uses) + suffix);
}

// Probabilities [N, 10] for prepared fields, through the model in one batch.
at::Tensor classify(torch::jit::Module& model, const fs::path& model_path,
                    const std::vector<std::vector<float>>& fields, const c10::Device& device) {
  const auto count = static_cast<int64_t>(fields.size());
  auto batch = torch::empty({count, 1, kFieldSide, kFieldSide}, torch::kFloat32);
  for (int64_t i = 0; i < count; ++i) {
    std::copy(fields[static_cast<size_t>(i)].begin(), fields[static_cast<size_t>(i)].end(),
              batch.data_ptr<float>() + i * kFieldSide * kFieldSide);
  }
  torch::NoGradGuard no_grad;
  return forward_probabilities(model, model_path.string(), batch.to(device))
      .to(torch::kCPU, torch::kFloat64)
      .contiguous();
}

void fill_prediction(ImagePrediction& prediction, const double* row) {
  prediction.probabilities.assign(row, row + kNumClasses);
  std::vector<int64_t> order(static_cast<size_t>(kNumClasses));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return row[a] > row[b]; });
  for (int64_t k = 0; k < kTopCount; ++k) {
    const int64_t digit = order[static_cast<size_t>(k)];
    prediction.top.push_back({digit, row[digit]});
  }
  prediction.digit = prediction.top.front().digit;
  prediction.probability = prediction.top.front().probability;
}

std::string fixed(double value, int decimals) {
  char text[32];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

}  // namespace

void validate(const PredictOptions& options) {
  if (options.images.empty()) {
    throw UsageError("no image files given; usage: mnist-predict [--model FILE] IMAGE...");
  }
  if (options.model.empty()) throw UsageError("--model '': must not be empty");
  for (const auto& image : options.images) {
    if (image.empty()) throw UsageError("an image file name is empty");
  }
}

std::vector<std::pair<std::string, std::string>> describe(const PredictOptions& options) {
  return {{"model", options.model.string()},
          {"images", std::to_string(options.images.size())},
          {"json", options.json ? "true" : "false"},
          {"save_preprocessed", options.save_preprocessed.string()},
          {"device", options.device}};
}

PredictionReport run_prediction(const PredictOptions& options, const c10::Device& device) {
  validate(options);
  auto model = load_torchscript(options.model);
  model.to(device);
  if (!options.save_preprocessed.empty()) ensure_writable_directory(options.save_preprocessed);

  PredictionReport report;
  std::vector<std::vector<float>> fields;
  std::vector<size_t> field_owner;  // index into report.images
  std::map<std::string, int> stems_used;
  for (const auto& file : options.images) {
    ImagePrediction& prediction = report.images.emplace_back();
    prediction.file = file;
    PreparedDigit digit;
    try {
      digit = prepare_digit_file(file);
    } catch (const RuntimeError& e) {
      prediction.error = one_line(e.what());
      ++report.failed;
      continue;
    }
    prediction.inverted = digit.inverted;
    prediction.already_mnist = digit.already_mnist;
    // A failed write is the output's fault, not the image's: it ends the run.
    if (!options.save_preprocessed.empty()) {
      prediction.preprocessed = preprocessed_path(options.save_preprocessed, file, stems_used);
      write_digit_png(prediction.preprocessed, digit.pixels);
    }
    fields.push_back(std::move(digit.pixels));
    field_owner.push_back(report.images.size() - 1);
  }
  if (fields.empty()) return report;

  const at::Tensor probabilities = classify(model, options.model, fields, device);
  for (size_t i = 0; i < fields.size(); ++i) {
    fill_prediction(report.images[field_owner[i]],
                    probabilities.data_ptr<double>() + static_cast<int64_t>(i) * kNumClasses);
  }
  return report;
}

std::string format_prediction_text(const ImagePrediction& prediction) {
  if (!prediction.ok()) return prediction.error;
  std::string line = prediction.file.string() + ": " + std::to_string(prediction.digit) +
                     " (p=" + fixed(prediction.probability, 4) + ")  top " +
                     std::to_string(prediction.top.size()) + ":";
  for (size_t k = 0; k < prediction.top.size(); ++k) {
    line += (k == 0 ? " " : ", ") + std::to_string(prediction.top[k].digit) + " " +
            fixed(prediction.top[k].probability, 4);
  }
  return line;
}

std::string format_predictions_json(const PredictOptions& options, const PredictionReport& report) {
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
      entry["digit"] = prediction.digit;
      entry["probability"] = prediction.probability;
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

}  // namespace mnist
