// Metrics from a confusion matrix; see class_metrics.h.
#include "report/class_metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace mnist {

namespace {

double ratio(int64_t numerator, int64_t denominator) {
  return denominator > 0 ? static_cast<double>(numerator) / static_cast<double>(denominator) : 0.0;
}

double f1_score(double precision, double recall) {
  return precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0.0;
}

}  // namespace

ConfusionMatrix confusion_matrix(const std::vector<int64_t>& truth,
                                 const std::vector<int64_t>& predicted, int64_t classes) {
  if (classes < 1) throw std::invalid_argument("confusion_matrix: classes must be at least 1");
  if (truth.size() != predicted.size()) {
    throw std::invalid_argument("confusion_matrix: " + std::to_string(truth.size()) +
                                " labels but " + std::to_string(predicted.size()) + " predictions");
  }
  ConfusionMatrix confusion(static_cast<size_t>(classes),
                            std::vector<int64_t>(static_cast<size_t>(classes), 0));
  for (size_t i = 0; i < truth.size(); ++i) {
    if (truth[i] < 0 || truth[i] >= classes || predicted[i] < 0 || predicted[i] >= classes) {
      throw std::invalid_argument("confusion_matrix: label out of range at index " +
                                  std::to_string(i));
    }
    ++confusion[static_cast<size_t>(truth[i])][static_cast<size_t>(predicted[i])];
  }
  return confusion;
}

void check_confusion_matrix(const ConfusionMatrix& confusion) {
  if (confusion.empty()) throw std::invalid_argument("confusion matrix is empty");
  for (const auto& row : confusion) {
    if (row.size() != confusion.size()) {
      throw std::invalid_argument("confusion matrix is not square");
    }
    for (const int64_t count : row) {
      if (count < 0) throw std::invalid_argument("confusion matrix has a negative count");
    }
  }
}

double binomial_standard_error(int64_t successes, int64_t trials) {
  if (trials <= 0) return 0.0;
  const double p = ratio(successes, trials);
  return std::sqrt(p * (1 - p) / static_cast<double>(trials));
}

std::vector<std::vector<double>> row_percentages(const ConfusionMatrix& confusion) {
  std::vector<std::vector<double>> percentages;
  for (const auto& row : confusion) {
    int64_t sum = 0;
    for (const int64_t count : row) sum += count;
    std::vector<double> out;
    for (const int64_t count : row) out.push_back(100.0 * ratio(count, sum));
    percentages.push_back(out);
  }
  return percentages;
}

ClassificationReport classification_report(const ConfusionMatrix& confusion, size_t max_pairs) {
  check_confusion_matrix(confusion);
  const size_t classes = confusion.size();
  ClassificationReport report;
  report.macro_average.label = -1;
  report.weighted_average.label = -1;
  for (size_t c = 0; c < classes; ++c) {
    ClassMetrics metrics;
    metrics.label = static_cast<int64_t>(c);
    for (size_t other = 0; other < classes; ++other) {
      metrics.support += confusion[c][other];
      metrics.predicted += confusion[other][c];
    }
    const int64_t hits = confusion[c][c];
    metrics.precision = ratio(hits, metrics.predicted);
    metrics.recall = ratio(hits, metrics.support);
    metrics.f1 = f1_score(metrics.precision, metrics.recall);
    report.count += metrics.support;
    report.correct += hits;
    report.classes.push_back(metrics);
  }
  for (const auto& metrics : report.classes) {
    const double weight = ratio(metrics.support, report.count);
    report.macro_average.precision += metrics.precision / static_cast<double>(classes);
    report.macro_average.recall += metrics.recall / static_cast<double>(classes);
    report.macro_average.f1 += metrics.f1 / static_cast<double>(classes);
    report.weighted_average.precision += metrics.precision * weight;
    report.weighted_average.recall += metrics.recall * weight;
    report.weighted_average.f1 += metrics.f1 * weight;
  }
  report.macro_average.support = report.weighted_average.support = report.count;
  report.macro_average.predicted = report.weighted_average.predicted = report.count;
  report.accuracy = ratio(report.correct, report.count);
  report.accuracy_standard_error = binomial_standard_error(report.correct, report.count);

  for (size_t truth = 0; truth < classes; ++truth) {
    for (size_t predicted = 0; predicted < classes; ++predicted) {
      if (truth != predicted && confusion[truth][predicted] > 0) {
        report.confused_pairs.push_back({static_cast<int64_t>(truth),
                                         static_cast<int64_t>(predicted),
                                         confusion[truth][predicted]});
      }
    }
  }
  // Row-major collection order already breaks ties by truth, then predicted.
  std::stable_sort(report.confused_pairs.begin(), report.confused_pairs.end(),
                   [](const ConfusedPair& a, const ConfusedPair& b) { return a.count > b.count; });
  if (report.confused_pairs.size() > max_pairs) report.confused_pairs.resize(max_pairs);
  return report;
}

std::string format_classification_report(const ClassificationReport& report) {
  std::string text = "class    support  precision   recall       f1\n";
  char line[128];
  const auto add_row = [&](const std::string& name, const ClassMetrics& m) {
    std::snprintf(line, sizeof line, "%-8s %7lld %10.4f %8.4f %8.4f\n", name.c_str(),
                  static_cast<long long>(m.support), m.precision, m.recall, m.f1);
    text += line;
  };
  for (const auto& metrics : report.classes) add_row(std::to_string(metrics.label), metrics);
  add_row("macro", report.macro_average);
  add_row("weighted", report.weighted_average);
  if (report.confused_pairs.empty()) {
    text += "no confused pairs: every image was classified correctly\n";
    return text;
  }
  text += "most confused (truth -> predicted: count):\n";
  for (const auto& pair : report.confused_pairs) {
    std::snprintf(line, sizeof line, "  %lld -> %lld: %lld\n", static_cast<long long>(pair.truth),
                  static_cast<long long>(pair.predicted), static_cast<long long>(pair.count));
    text += line;
  }
  return text;
}

}  // namespace mnist
