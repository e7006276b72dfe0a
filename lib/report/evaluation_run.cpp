// One evaluation run from its options to its files; see evaluation_run.h.
#include "report/evaluation_run.h"

#include <torch/script.h>
#include <torch/torch.h>

#include <chrono>
#include <exception>
#include <nlohmann/json.hpp>
#include <utility>

#include "core/atomic_file.h"
#include "core/clock.h"
#include "core/errors.h"
#include "core/text.h"
#include "data/mnist_dataset.h"
#include "export/model_file.h"
#include "inference/digit_classifier.h"
#include "report/confusion_heatmap.h"
#include "report/evaluation.h"
#include "report/misclassified_grid.h"
#include "report/reliability_diagram.h"
#include "report/training_curves.h"

namespace mnist {
namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

namespace {

constexpr size_t kConfusedPairsReported = 10;

ConfusionMatrix to_matrix(const at::Tensor& confusion) {
  const auto counts = confusion.to(torch::kCPU).to(torch::kInt64).contiguous();
  const auto cells = counts.accessor<int64_t, 2>();
  ConfusionMatrix matrix(static_cast<size_t>(counts.size(0)));
  for (int64_t row = 0; row < counts.size(0); ++row) {
    for (int64_t column = 0; column < counts.size(1); ++column) {
      matrix[static_cast<size_t>(row)].push_back(cells[row][column]);
    }
  }
  return matrix;
}

// "mnist_mlp (784-300-100-10)" from the model card, or the file's stem for a model without one.
std::string model_name(const fs::path& model, const std::string& card_text) {
  if (!card_text.empty()) {
    const json card = json::parse(card_text, nullptr, /*allow_exceptions=*/false);
    if (card.is_object() && card.contains("name") && card["name"].is_string()) {
      std::string name = card["name"].get<std::string>();
      if (card.contains("architecture") && card["architecture"].is_string()) {
        name += " (" + card["architecture"].get<std::string>() + ")";
      }
      return name;
    }
  }
  return model.stem().string();
}

json variant_json(const VariantResult& v) {
  const auto calibration = v.calibration();
  return {{"variant", v.variant}, {"count", v.count}, {"correct", v.correct},
          {"unprepared", v.unprepared}, {"accuracy", v.accuracy()},
          {"confident_mistakes", v.confident_mistakes()}, {"confident_mistake_rate", v.confident_mistake_rate()},
          {"mean_confidence", calibration.mean_confidence},
          {"expected_calibration_error", calibration.expected_calibration_error}};
}

json variants_json(const std::vector<VariantResult>& variants) {
  json rows = json::array();
  for (const auto& v : variants) rows.push_back(variant_json(v));
  return rows;
}

json calibration_json(const EvaluateSummary& summary, const EvaluateOutputs& outputs) {
  json bins = json::array();
  for (const auto& bin : summary.calibration.bins) {
    bins.push_back({{"lower", bin.lower}, {"upper", bin.upper}, {"count", bin.count}, {"correct", bin.correct},
                    {"mean_confidence", bin.mean_confidence}, {"accuracy", bin.accuracy}});
  }
  json coverage = json::array();
  for (const auto& point : summary.coverage) {
    coverage.push_back({{"threshold", point.threshold}, {"answered", point.answered},
                        {"coverage", point.coverage}, {"accuracy", point.accuracy}});
  }
  return {{"confidence", "top-class probability"},
          {"bins", "equal-width over [0, 1], bin i holding (i/B, (i+1)/B]"},
          {"bin_count", summary.calibration.bins.size()},
          {"expected_calibration_error", summary.calibration.expected_calibration_error},
          {"max_calibration_error", summary.calibration.max_calibration_error},
          {"reliability", bins},
          {"coverage", coverage},
          {"diagram", outputs.reliability_png.string()}};
}

json metrics_json(const EvaluateOptions& options, const EvaluateSummary& summary,
                  const EvaluateOutputs& outputs) {
  const auto& report = summary.report;
  const auto class_json = [](const ClassMetrics& m) {
    json row;
    if (m.label >= 0) row["label"] = m.label;
    row["support"] = m.support;
    row["predicted"] = m.predicted;
    row["precision"] = m.precision;
    row["recall"] = m.recall;
    row["f1"] = m.f1;
    return row;
  };
  json per_class = json::array();
  for (const auto& m : report.classes) per_class.push_back(class_json(m));
  json pairs = json::array();
  for (const auto& pair : report.confused_pairs) {
    pairs.push_back({{"truth", pair.truth}, {"predicted", pair.predicted}, {"count", pair.count}});
  }
  return {
      {"model", {{"path", options.model.string()}, {"name", summary.model_name}}},
      {"data", {{"dir", options.data_dir.string()}, {"split", split_name(options)},
                {"limit", options.limit}, {"description", summary.data_name}}},
      {"count", report.count},
      {"correct", report.correct},
      {"accuracy", report.accuracy},
      {"accuracy_standard_error", report.accuracy_standard_error},
      {"loss", summary.loss},
      {"mean_confidence", summary.calibration.mean_confidence},
      {"expected_calibration_error", summary.calibration.expected_calibration_error},
      {"calibration", calibration_json(summary, outputs)},
      {"per_class", per_class},
      {"macro_average", class_json(report.macro_average)},
      {"weighted_average", class_json(report.weighted_average)},
      {"most_confused", pairs},
      {"confusion_matrix", summary.confusion},
      {"confusion_matrix_row_percentages", row_percentages(summary.confusion)},
      {"confusion_matrix_layout", "rows = truth, columns = predicted"},
      {"heatmap", {{"path", outputs.confusion_png.string()},
                   {"values", options.normalize ? "row percentages" : "counts"},
                   {"color_scale", to_string(options.color_scale)}}},
  };
}

std::vector<MisclassifiedExample> misclassified_examples(const MnistTensors& data,
                                                         const at::Tensor& probabilities,
                                                         int64_t count) {
  std::vector<MisclassifiedExample> examples;
  for (const int64_t index : most_confident_mistakes(probabilities, data.labels, count)) {
    MisclassifiedExample example;
    example.index = index;
    example.truth = data.labels[index].item<int64_t>();
    const auto row = probabilities[index];
    example.predicted = row.argmax().item<int64_t>();
    example.probability = row[example.predicted].item<double>();
    const auto pixels = data.images[index].reshape({-1}).to(torch::kFloat).contiguous();
    example.pixels.assign(pixels.data_ptr<float>(), pixels.data_ptr<float>() + pixels.numel());
    examples.push_back(std::move(example));
  }
  return examples;
}

}  // namespace

EvaluateOutputs::EvaluateOutputs(const EvaluateOptions& options)
    : confusion_png(options.out),
      metrics_json(options.out.parent_path() / "metrics.json"),
      misclassified_png(options.out.parent_path() / "misclassified.png"),
      reliability_png(options.out.parent_path() / "reliability.png"),
      train_log(options.model.parent_path() / "train_log.csv"),
      training_curves_png(options.model.parent_path() / "training_curves.png") {}

namespace {

// The images evaluated: the split, or with --split holdout the last tenth of the training set,
// then the first --limit of them.
MnistTensors evaluated_images(const EvaluateOptions& options) {
  if (!options.holdout) return load_mnist(options.data_dir, options.split, options.limit);
  const auto held_out = split_validation(load_mnist(options.data_dir, MnistSplit::kTrain), kCalibrationHoldout).validation;
  if (options.limit <= 0 || options.limit >= held_out.size()) return held_out;
  return MnistTensors{held_out.images.narrow(0, 0, options.limit), held_out.labels.narrow(0, 0, options.limit)};
}

// "MNIST test set", or "first 300 of the MNIST test set".
std::string data_name(const EvaluateOptions& options, const MnistTensors& data) {
  const std::string split = options.holdout ? "MNIST training images held out (the last " +
                                                  std::to_string(static_cast<int>(kCalibrationHoldout * 100)) +
                                                  "%, not trained on)"
                                            : "MNIST " + to_string(options.split) + " set";
  if (options.limit > 0 && data.size() == options.limit) {
    return "first " + std::to_string(data.size()) + " of the " + split;
  }
  return split;
}

void write_heatmap(const EvaluateOptions& options, const EvaluateOutputs& outputs, EvaluateSummary& summary) {
  HeatmapStyle style;
  style.title = summary.model_name + ", " + summary.data_name;
  style.subtitle = format_text("accuracy %.2f%% +/- %.2f%% (standard error) on %lld images",
                               100 * summary.report.accuracy,
                               100 * summary.report.accuracy_standard_error,
                               static_cast<long long>(summary.report.count));
  style.percentages = options.normalize;
  style.scale = options.color_scale;
  write_confusion_heatmap(outputs.confusion_png, summary.confusion, style);
  summary.files_written.push_back(outputs.confusion_png);
}

void write_reliability(const EvaluateOutputs& outputs, const ConfidenceSet& set, EvaluateSummary& summary) {
  write_reliability_diagram(outputs.reliability_png,
                            reliability_plot(summary.model_name + ", " + summary.data_name, set));
  summary.files_written.push_back(outputs.reliability_png);
}

void write_mistakes(const EvaluateOptions& options, const EvaluateOutputs& outputs, const MnistTensors& data,
                    const at::Tensor& probabilities, EvaluateSummary& summary) {
  const auto examples = misclassified_examples(data, probabilities, options.misclassified);
  const std::string title = "The " + std::to_string(examples.size()) + " most confident mistakes of " +
                            summary.model_name + " on the " + summary.data_name;
  write_misclassified_grid(outputs.misclassified_png, examples, title);
  summary.files_written.push_back(outputs.misclassified_png);
}

// A secondary picture: when it cannot be drawn, a warning says why and the evaluation stands.
void draw_curves_if_logged(const EvaluateOutputs& outputs, EvaluateSummary& summary) {
  if (!fs::exists(outputs.train_log)) return;
  try {
    draw_training_curves(outputs.train_log, outputs.training_curves_png);
    summary.files_written.push_back(outputs.training_curves_png);
  } catch (const std::exception& e) {
    summary.warnings.push_back("training curves not drawn: " + one_line(e.what()));
  }
}

void write_metrics(const EvaluateOptions& options, const EvaluateOutputs& outputs, EvaluateSummary& summary) {
  json metrics = metrics_json(options, summary, outputs);
  if (!summary.variants.empty()) {
    metrics["drawn_variants"] = variants_json(summary.variants);
    metrics["drawn_variants_all"] = variant_json(summary.variants_all);
    metrics["confident_mistake_threshold"] = kDefaultUncertainBelow;
  }
  std::vector<std::string> files;
  for (const auto& file : summary.files_written) files.push_back(file.string());
  metrics["files"] = files;
  write_file_atomically(outputs.metrics_json, metrics.dump(2) + "\n");
  summary.files_written.push_back(outputs.metrics_json);
}

}  // namespace

EvaluateSummary run_evaluation(const EvaluateOptions& options, const c10::Device& device) {
  validate(options);
  const EvaluateOutputs outputs(options);
  const fs::path out_dir = options.out.parent_path().empty() ? fs::path(".") : options.out.parent_path();
  ensure_writable_directory(out_dir);

  auto [module, card] = load_model_file(options.model, options.keras_input_range);
  EvaluateSummary summary;
  summary.model_name = model_name(options.model, card);
  const auto data = evaluated_images(options);
  summary.data_name = data_name(options, data);

  at::Tensor probabilities;
  const auto forward_start = std::chrono::steady_clock::now();
  const auto result = evaluate_torchscript(module, options.model.string(), data, device,
                                           options.batch_size, &probabilities);
  summary.forward_seconds = seconds_since(forward_start);
  summary.loss = result.loss;
  summary.confusion = to_matrix(result.confusion);
  summary.report = classification_report(summary.confusion, kConfusedPairsReported);
  const ConfidenceSet confidences = confidence_set(probabilities, data.labels);
  summary.calibration = calibration_summary(confidences);
  summary.coverage = coverage_table(confidences, kCoverageThresholds);

  if (options.drawn_variants) {
    summary.variants = evaluate_drawn_variants(module, options.model.string(), data, device, options.batch_size);
    summary.variants_all = all_variants(summary.variants);
  }
  write_heatmap(options, outputs, summary);
  write_reliability(outputs, confidences, summary);
  if (options.misclassified > 0) write_mistakes(options, outputs, data, probabilities, summary);
  draw_curves_if_logged(outputs, summary);
  write_metrics(options, outputs, summary);
  return summary;
}

}  // namespace mnist
