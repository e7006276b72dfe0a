// The model card of a trained model; see training_card.h.
#include "train/training_card.h"

#include <nlohmann/json.hpp>

#include "data/augmentation.h"
#include "export/model_card.h"

namespace mnist {

using nlohmann::json;

namespace {

json augmentation_card(double strength) {
  if (strength == 0) return json();
  const AugmentParams p = augment_params_for_strength(strength);
  return {{"strength", strength},
          {"max_shift_pixels", p.max_shift},
          {"max_rotation_degrees", p.max_rotation},
          {"scale", {p.min_scale, p.max_scale}},
          {"elastic_alpha", p.elastic_alpha},
          {"elastic_sigma", p.elastic_sigma}};
}

json training_card(const TrainOptions& options) {
  return {{"recipe", to_string(options.recipe)},
          {"optimizer", options.weight_decay > 0 ? "AdamW (decoupled weight decay)" : "Adam"},
          {"loss", "cross-entropy"},
          {"weight_decay", options.weight_decay},
          {"label_smoothing", options.label_smoothing},
          {"augmentation", augmentation_card(options.augment)},
          {"drawn_styles", options.drawn_styles},
          {"epochs", options.epochs},
          {"batch_size", options.batch_size},
          {"learning_rate", options.learning_rate},
          {"lr_schedule", to_string(options.lr_schedule)},
          {"seed", options.seed},
          {"val_split", options.val_split},
          {"train_limit", options.train_limit}};
}

json results_card(const EpochReport& last) {
  json results = {{"epochs", last.epoch},
                  {"train_accuracy", last.train_accuracy},
                  {"test_accuracy", last.test_accuracy},
                  {"test_loss", last.test_loss}};
  if (last.has_validation) results["val_accuracy"] = last.val_accuracy;
  return results;
}

json measure_card(const CalibrationMeasure& m) {
  return {{"expected_calibration_error", m.expected_calibration_error},
          {"nll", m.nll},
          {"mean_confidence", m.mean_confidence},
          {"accuracy", m.accuracy}};
}

json calibration_card(const ModelCalibration* calibration) {
  if (calibration == nullptr) return {{"method", "none"}, {"temperature", 1.0}};
  const TemperatureFit& fit = calibration->fit;
  return {{"method", "temperature scaling (Guo et al. 2017), folded into the last layer"},
          {"temperature", fit.temperature},
          {"held_out", calibration->held_out},
          {"images", fit.before.count},
          {"ece_bins", kCalibrationBins},
          {"before", measure_card(fit.before)},
          {"after", measure_card(fit.after)}};
}

}  // namespace

std::string model_card_json(const TrainOptions& options, const ModelSpec& spec,
                            const std::vector<EpochReport>& history,
                            const ModelCalibration* calibration) {
  json card = model_card("mnist_mlp", spec, calibration != nullptr);
  card["training"] = training_card(options);
  card["calibration"] = calibration_card(calibration);
  if (!history.empty()) card["results"] = results_card(history.back());
  return card.dump(2);
}

}  // namespace mnist
