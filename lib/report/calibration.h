// Whether a classifier's probabilities can be trusted, in numbers: the reliability bins and the
// expected calibration error (ECE) of its top-class confidences, accuracy against coverage when
// it answers only above a confidence threshold, and temperature scaling (Guo et al. 2017): the
// one scalar T that, dividing the logits, minimises the negative log-likelihood on held-out data.
// Plain arithmetic on vectors, no LibTorch, so it compiles and is tested on its own.
// Not for: running a model (report/evaluation.h), drawing (report/reliability_diagram.h).
#pragma once

#include <cstdint>
#include <vector>

namespace mnist {

// Equal-width confidence bins over [0, 1], as Guo et al. and most papers report ECE.
inline constexpr int kCalibrationBins = 15;

// The top-class probability of each prediction and whether that prediction was right.
struct ConfidenceSet {
  std::vector<double> confidence;  // in [0, 1]
  std::vector<uint8_t> correct;    // 1: the top class is the label
  int64_t size() const { return static_cast<int64_t>(confidence.size()); }
};

// Bin i holds the confidences in (i/B, (i+1)/B] (bin 0 also holds 0).
struct ReliabilityBin {
  double lower = 0;
  double upper = 0;
  int64_t count = 0;
  int64_t correct = 0;
  double mean_confidence = 0;  // 0 for an empty bin
  double accuracy = 0;         // 0 for an empty bin
};

struct CalibrationSummary {
  int64_t count = 0;
  double accuracy = 0;
  double mean_confidence = 0;
  // sum over bins of (count / total) * |accuracy - mean confidence|; empty bins weigh nothing.
  double expected_calibration_error = 0;
  double max_calibration_error = 0;  // the largest |accuracy - mean confidence| of a non-empty bin
  std::vector<ReliabilityBin> bins;
};

// Throws std::invalid_argument for lists of different length, a confidence outside [0, 1] or
// fewer than 1 bin. An empty set gives empty (zero-count) bins and zeros.
CalibrationSummary calibration_summary(const ConfidenceSet& set, int bins = kCalibrationBins);

// If the classifier answered only when its confidence is at least `threshold`: how many it
// answers (coverage = answered / count) and how often those answers are right.
struct CoveragePoint {
  double threshold = 0;
  int64_t answered = 0;
  double coverage = 0;
  double accuracy = 0;  // of the answered ones; 1 when none is answered (no wrong answer given)
};

// The thresholds of the printed table.
inline const std::vector<double> kCoverageThresholds{0.5, 0.8, 0.9, 0.95, 0.99, 0.999};

std::vector<CoveragePoint> coverage_table(const ConfidenceSet& set, const std::vector<double>& thresholds);

// The whole curve: one point per distinct confidence, from the most confident answer alone to
// every answer (coverage 1), at most max_points of them evenly spread over the ranking.
std::vector<CoveragePoint> coverage_curve(const ConfidenceSet& set, int max_points = 200);

// Logits of a labelled set, row-major [count, classes].
struct LabelledLogits {
  std::vector<double> logits;
  std::vector<int64_t> labels;
  int64_t classes = 0;
  int64_t size() const { return static_cast<int64_t>(labels.size()); }
};

// Throws std::invalid_argument unless logits has labels.size() * classes finite values and every
// label is in 0..classes-1.
void check_logits(const LabelledLogits& set);

// Mean negative log-likelihood (cross-entropy) of softmax(logits / temperature).
double mean_nll(const LabelledLogits& set, double temperature);

// Top-class confidence of softmax(logits / temperature) and whether it is right. The top class
// does not depend on the temperature (ties: the lower class).
ConfidenceSet confidences_at(const LabelledLogits& set, double temperature);

// The temperature searched for in [kMinTemperature, kMaxTemperature].
inline constexpr double kMinTemperature = 0.05;
inline constexpr double kMaxTemperature = 20.0;

// The temperature minimising mean_nll, by golden-section search on log T (the NLL is convex in
// 1/T, hence unimodal in log T), to a relative precision of about 1e-9. Throws
// std::invalid_argument for an empty or malformed set.
double fit_temperature(const LabelledLogits& set);

// What a temperature does to a labelled set: accuracy (the same at every temperature), mean
// confidence, ECE over kCalibrationBins bins and mean NLL.
struct CalibrationMeasure {
  int64_t count = 0;
  double accuracy = 0;
  double mean_confidence = 0;
  double expected_calibration_error = 0;
  double nll = 0;
};

CalibrationMeasure measure_calibration(const LabelledLogits& set, double temperature);

// The fitted temperature with the held-out set measured at T = 1 (before) and at T (after).
struct TemperatureFit {
  double temperature = 1;
  CalibrationMeasure before;
  CalibrationMeasure after;
};

TemperatureFit fit_and_measure(const LabelledLogits& held_out);

}  // namespace mnist
