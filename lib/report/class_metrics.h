// What a confusion matrix says about a classifier: accuracy with its binomial standard error,
// per-class support, precision, recall and F1, and the pairs of classes it confuses most, plus
// the plain-text table the CLI prints. Works on any square matrix of counts; no LibTorch here.
// Not for: computing predictions (evaluation.h) or drawing (confusion_heatmap.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace mnist {

// counts[truth][predicted]; square, non-negative.
using ConfusionMatrix = std::vector<std::vector<int64_t>>;

// Counts the (truth, predicted) pairs of two equally long label lists with labels 0..classes-1.
// Throws std::invalid_argument for lists of different length or a label out of range.
ConfusionMatrix confusion_matrix(const std::vector<int64_t>& truth,
                                 const std::vector<int64_t>& predicted, int64_t classes);

// Throws std::invalid_argument unless the matrix is square, non-empty and has no negative count.
void check_confusion_matrix(const ConfusionMatrix& confusion);

// sqrt(p (1 - p) / n) for p = successes / trials; 0 when trials is 0.
double binomial_standard_error(int64_t successes, int64_t trials);

// Each row as percentages of its sum (0 for an empty row), as the --normalize heatmap shows it.
std::vector<std::vector<double>> row_percentages(const ConfusionMatrix& confusion);

struct ClassMetrics {
  int64_t label = 0;
  int64_t support = 0;    // images whose truth is this class (row sum)
  int64_t predicted = 0;  // images predicted as this class (column sum)
  // A ratio with a zero denominator (a class never predicted, or absent) is reported as 0, as
  // scikit-learn's classification_report does.
  double precision = 0;
  double recall = 0;
  double f1 = 0;
};

struct ConfusedPair {
  int64_t truth = 0;
  int64_t predicted = 0;
  int64_t count = 0;
};

struct ClassificationReport {
  int64_t count = 0;
  int64_t correct = 0;
  double accuracy = 0;
  double accuracy_standard_error = 0;
  std::vector<ClassMetrics> classes;
  ClassMetrics macro_average;     // unweighted mean over classes (label -1)
  ClassMetrics weighted_average;  // mean weighted by support (label -1)
  // Off-diagonal cells with a non-zero count, largest first (ties: by truth, then predicted).
  std::vector<ConfusedPair> confused_pairs;
};

// max_pairs bounds confused_pairs. Throws std::invalid_argument for a malformed matrix.
ClassificationReport classification_report(const ConfusionMatrix& confusion,
                                           size_t max_pairs = 10);

// The per-class table and the most confused pairs ("4 -> 9: 12"), for people.
std::string format_classification_report(const ClassificationReport& report);

}  // namespace mnist
