// One prediction run from image files to answers; see prediction_run.h.
#include "inference/prediction_run.h"

#include <map>
#include <utility>

#include "core/atomic_file.h"
#include "core/errors.h"
#include "core/mnist_shape.h"
#include "export/model_file.h"
#include "image/image_preprocess.h"

namespace mnist {
namespace fs = std::filesystem;

namespace {

// "<stem>-28x28.png" in the directory; a second input with the same stem gets "<stem>-2-28x28.png".
fs::path preprocessed_path(const fs::path& directory, const fs::path& image,
                           std::map<std::string, int>& stems_used) {
  const std::string stem = image.stem().string();
  const int uses = ++stems_used[stem];
  const std::string suffix =
      "-" + std::to_string(kImageSide) + "x" + std::to_string(kImageSide) + ".png";
  return directory / (uses == 1 ? stem + suffix : stem + "-" + std::to_string(uses) + suffix);
}

}  // namespace

PredictionReport run_prediction(const PredictOptions& options, const c10::Device& device) {
  validate(options);
  auto model = load_model_file(options.model, options.keras_input_range).module;
  model.to(device);
  if (!options.save_preprocessed.empty()) ensure_writable_directory(options.save_preprocessed);

  PredictionReport report;
  std::vector<std::vector<float>> pixel_vectors;
  std::vector<size_t> digit_owner;  // index into report.images
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
    pixel_vectors.push_back(std::move(digit.pixels));
    digit_owner.push_back(report.images.size() - 1);
  }
  if (pixel_vectors.empty()) return report;

  auto answers = classify_digits(model, options.model.string(), pixel_vectors, device);
  for (size_t i = 0; i < answers.size(); ++i) {
    mark_uncertain(answers[i], options.uncertain_below);
    ImagePrediction& prediction = report.images[digit_owner[i]];
    prediction.digit = answers[i].digit;
    prediction.probability = answers[i].probability;
    prediction.top = answers[i].top;
    prediction.probabilities = answers[i].probabilities;
    prediction.uncertain = answers[i].uncertain;
  }
  return report;
}

}  // namespace mnist
