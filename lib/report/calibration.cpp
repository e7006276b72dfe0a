// Calibration arithmetic; see calibration.h.
#include "report/calibration.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

namespace mnist {

namespace {

void check_confidences(const ConfidenceSet& set) {
  if (set.confidence.size() != set.correct.size()) {
    throw std::invalid_argument("calibration: " + std::to_string(set.confidence.size()) +
                                " confidences but " + std::to_string(set.correct.size()) + " outcomes");
  }
  for (size_t i = 0; i < set.confidence.size(); ++i) {
    const double c = set.confidence[i];
    if (!(c >= 0 && c <= 1)) {
      throw std::invalid_argument("calibration: confidence " + std::to_string(c) + " at index " +
                                  std::to_string(i) + " is outside [0, 1]");
    }
  }
}

// (i/B, (i+1)/B] -> i, with 0 in bin 0.
int bin_of(double confidence, int bins) {
  const int index = static_cast<int>(std::ceil(confidence * bins)) - 1;
  return std::clamp(index, 0, bins - 1);
}

// log sum exp of one row scaled by 1/temperature, and the row's top class.
struct RowStats {
  double log_normaliser = 0;
  double max_scaled = 0;
  int64_t top = 0;
};

RowStats row_stats(const double* row, int64_t classes, double temperature) {
  RowStats stats;
  stats.top = std::max_element(row, row + classes) - row;
  stats.max_scaled = row[stats.top] / temperature;
  double sum = 0;
  for (int64_t k = 0; k < classes; ++k) sum += std::exp(row[k] / temperature - stats.max_scaled);
  stats.log_normaliser = stats.max_scaled + std::log(sum);
  return stats;
}

}  // namespace

CalibrationSummary calibration_summary(const ConfidenceSet& set, int bins) {
  if (bins < 1) throw std::invalid_argument("calibration_summary: bins must be at least 1");
  check_confidences(set);
  CalibrationSummary summary;
  summary.count = set.size();
  std::vector<double> confidence_sums(static_cast<size_t>(bins), 0.0);
  summary.bins.resize(static_cast<size_t>(bins));
  for (int b = 0; b < bins; ++b) {
    summary.bins[static_cast<size_t>(b)].lower = static_cast<double>(b) / bins;
    summary.bins[static_cast<size_t>(b)].upper = static_cast<double>(b + 1) / bins;
  }
  double confidence_total = 0;
  int64_t correct_total = 0;
  for (size_t i = 0; i < set.confidence.size(); ++i) {
    const auto b = static_cast<size_t>(bin_of(set.confidence[i], bins));
    ++summary.bins[b].count;
    summary.bins[b].correct += set.correct[i] ? 1 : 0;
    confidence_sums[b] += set.confidence[i];
    confidence_total += set.confidence[i];
    correct_total += set.correct[i] ? 1 : 0;
  }
  if (summary.count == 0) return summary;
  const auto total = static_cast<double>(summary.count);
  summary.accuracy = static_cast<double>(correct_total) / total;
  summary.mean_confidence = confidence_total / total;
  for (size_t b = 0; b < summary.bins.size(); ++b) {
    ReliabilityBin& bin = summary.bins[b];
    if (bin.count == 0) continue;
    bin.mean_confidence = confidence_sums[b] / static_cast<double>(bin.count);
    bin.accuracy = static_cast<double>(bin.correct) / static_cast<double>(bin.count);
    const double gap = std::abs(bin.accuracy - bin.mean_confidence);
    summary.expected_calibration_error += static_cast<double>(bin.count) / total * gap;
    summary.max_calibration_error = std::max(summary.max_calibration_error, gap);
  }
  return summary;
}

std::vector<CoveragePoint> coverage_table(const ConfidenceSet& set, const std::vector<double>& thresholds) {
  check_confidences(set);
  std::vector<CoveragePoint> table;
  for (const double threshold : thresholds) {
    CoveragePoint point;
    point.threshold = threshold;
    int64_t right = 0;
    for (size_t i = 0; i < set.confidence.size(); ++i) {
      if (set.confidence[i] < threshold) continue;
      ++point.answered;
      right += set.correct[i] ? 1 : 0;
    }
    point.coverage = set.size() > 0 ? static_cast<double>(point.answered) / static_cast<double>(set.size()) : 0;
    point.accuracy = point.answered > 0 ? static_cast<double>(right) / static_cast<double>(point.answered) : 1;
    table.push_back(point);
  }
  return table;
}

std::vector<CoveragePoint> coverage_curve(const ConfidenceSet& set, int max_points) {
  check_confidences(set);
  if (set.size() == 0 || max_points < 2) return {};
  std::vector<size_t> order(set.confidence.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return set.confidence[a] > set.confidence[b]; });
  // answered_at[k]: answering the k + 1 most confident; a threshold can only stop between
  // distinct confidences, so only the last of a run of equal ones is a point.
  std::vector<CoveragePoint> all;
  int64_t right = 0;
  for (size_t k = 0; k < order.size(); ++k) {
    right += set.correct[order[k]] ? 1 : 0;
    const bool last_of_run = k + 1 == order.size() || set.confidence[order[k + 1]] < set.confidence[order[k]];
    if (!last_of_run) continue;
    CoveragePoint point;
    point.threshold = set.confidence[order[k]];
    point.answered = static_cast<int64_t>(k + 1);
    point.coverage = static_cast<double>(k + 1) / static_cast<double>(order.size());
    point.accuracy = static_cast<double>(right) / static_cast<double>(k + 1);
    all.push_back(point);
  }
  if (static_cast<int>(all.size()) <= max_points) return all;
  std::vector<CoveragePoint> curve;
  for (int i = 0; i < max_points; ++i) {
    const auto index = static_cast<size_t>(std::llround(static_cast<double>(i) * static_cast<double>(all.size() - 1) /
                                                        static_cast<double>(max_points - 1)));
    curve.push_back(all[index]);
  }
  return curve;
}

void check_logits(const LabelledLogits& set) {
  if (set.classes < 1) throw std::invalid_argument("logits: classes must be at least 1");
  if (set.logits.size() != set.labels.size() * static_cast<size_t>(set.classes)) {
    throw std::invalid_argument("logits: " + std::to_string(set.logits.size()) + " values for " +
                                std::to_string(set.labels.size()) + " labels of " +
                                std::to_string(set.classes) + " classes");
  }
  for (const double value : set.logits) {
    if (!std::isfinite(value)) throw std::invalid_argument("logits: a value is not finite");
  }
  for (const int64_t label : set.labels) {
    if (label < 0 || label >= set.classes) {
      throw std::invalid_argument("logits: label " + std::to_string(label) + " outside 0.." +
                                  std::to_string(set.classes - 1));
    }
  }
}

double mean_nll(const LabelledLogits& set, double temperature) {
  check_logits(set);
  if (set.size() == 0) return 0;
  double total = 0;
  for (int64_t i = 0; i < set.size(); ++i) {
    const double* row = set.logits.data() + i * set.classes;
    const RowStats stats = row_stats(row, set.classes, temperature);
    total += stats.log_normaliser - row[set.labels[static_cast<size_t>(i)]] / temperature;
  }
  return total / static_cast<double>(set.size());
}

ConfidenceSet confidences_at(const LabelledLogits& set, double temperature) {
  check_logits(set);
  ConfidenceSet confidences;
  for (int64_t i = 0; i < set.size(); ++i) {
    const RowStats stats = row_stats(set.logits.data() + i * set.classes, set.classes, temperature);
    confidences.confidence.push_back(std::exp(stats.max_scaled - stats.log_normaliser));
    confidences.correct.push_back(stats.top == set.labels[static_cast<size_t>(i)] ? 1 : 0);
  }
  return confidences;
}

double fit_temperature(const LabelledLogits& set) {
  check_logits(set);
  if (set.size() == 0) throw std::invalid_argument("fit_temperature: no examples");
  const double golden = (std::sqrt(5.0) - 1) / 2;
  double low = std::log(kMinTemperature);
  double high = std::log(kMaxTemperature);
  double left = high - golden * (high - low);
  double right = low + golden * (high - low);
  double nll_left = mean_nll(set, std::exp(left));
  double nll_right = mean_nll(set, std::exp(right));
  while (high - low > 1e-9) {
    if (nll_left <= nll_right) {
      high = right;
      right = left;
      nll_right = nll_left;
      left = high - golden * (high - low);
      nll_left = mean_nll(set, std::exp(left));
    } else {
      low = left;
      left = right;
      nll_left = nll_right;
      right = low + golden * (high - low);
      nll_right = mean_nll(set, std::exp(right));
    }
  }
  return std::exp((low + high) / 2);
}

CalibrationMeasure measure_calibration(const LabelledLogits& set, double temperature) {
  const CalibrationSummary summary = calibration_summary(confidences_at(set, temperature));
  CalibrationMeasure measure;
  measure.count = summary.count;
  measure.accuracy = summary.accuracy;
  measure.mean_confidence = summary.mean_confidence;
  measure.expected_calibration_error = summary.expected_calibration_error;
  measure.nll = mean_nll(set, temperature);
  return measure;
}

TemperatureFit fit_and_measure(const LabelledLogits& held_out) {
  TemperatureFit fit;
  fit.temperature = fit_temperature(held_out);
  fit.before = measure_calibration(held_out, 1.0);
  fit.after = measure_calibration(held_out, fit.temperature);
  return fit;
}

}  // namespace mnist
