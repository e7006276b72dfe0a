// Calibration arithmetic against answers known by construction: reliability bins and ECE on
// hand-made confidence sets (perfectly calibrated, always overconfident, empty bins, bin edges),
// the coverage table, NLL on a hand-worked example, and temperature fitting that recovers the
// temperature synthetic labels were drawn with.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <stdexcept>

#include "report/calibration.h"

namespace {

using mnist::ConfidenceSet;

// `count` predictions at `confidence`, the first `right` of them correct.
void add(ConfidenceSet& set, double confidence, int count, int right) {
  for (int i = 0; i < count; ++i) {
    set.confidence.push_back(confidence);
    set.correct.push_back(i < right ? 1 : 0);
  }
}

// Logits with a spread of confidences, labels drawn from softmax(logits / temperature): the
// temperature that minimises the NLL is then `temperature`, up to sampling noise.
mnist::LabelledLogits synthetic_logits(double temperature, int count, uint64_t seed) {
  std::mt19937_64 random(seed);
  std::normal_distribution<double> noise(0.0, 1.0);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  mnist::LabelledLogits set;
  set.classes = 10;
  for (int i = 0; i < count; ++i) {
    std::vector<double> row(10);
    const int favoured = i % 10;
    for (int k = 0; k < 10; ++k) row[k] = 2.0 * noise(random) + (k == favoured ? 6.0 : 0.0);
    double total = 0;
    std::vector<double> p(10);
    for (int k = 0; k < 10; ++k) total += p[k] = std::exp(row[k] / temperature);
    double draw = uniform(random) * total;
    int64_t label = 9;
    for (int k = 0; k < 10; ++k) {
      if ((draw -= p[k]) <= 0) {
        label = k;
        break;
      }
    }
    set.logits.insert(set.logits.end(), row.begin(), row.end());
    set.labels.push_back(label);
  }
  return set;
}

}  // namespace

TEST(Calibration, PerfectlyCalibratedSetHasZeroError) {
  ConfidenceSet set;
  add(set, 0.9, 10, 9);    // 90% sure, right 9 times in 10
  add(set, 0.6, 5, 3);     // 60% sure, right 3 times in 5
  add(set, 0.25, 4, 1);
  const auto summary = mnist::calibration_summary(set);
  EXPECT_NEAR(summary.expected_calibration_error, 0.0, 1e-12);
  EXPECT_NEAR(summary.max_calibration_error, 0.0, 1e-12);
  EXPECT_EQ(summary.count, 19);
  EXPECT_DOUBLE_EQ(summary.accuracy, 13.0 / 19);
  EXPECT_NEAR(summary.mean_confidence, (9 + 3 + 1.0) / 19, 1e-12);
}

TEST(Calibration, AlwaysOverconfidentErrorIsTheGap) {
  ConfidenceSet set;
  add(set, 1.0, 10, 7);  // certain, right 70%
  const auto summary = mnist::calibration_summary(set);
  EXPECT_NEAR(summary.expected_calibration_error, 0.3, 1e-12);
  ASSERT_EQ(summary.bins.size(), 15u);
  EXPECT_EQ(summary.bins.back().count, 10);  // 1.0 belongs to (14/15, 1]
  EXPECT_DOUBLE_EQ(summary.bins.back().accuracy, 0.7);
  EXPECT_DOUBLE_EQ(summary.bins.back().mean_confidence, 1.0);
  for (size_t b = 0; b + 1 < summary.bins.size(); ++b) EXPECT_EQ(summary.bins[b].count, 0) << b;
}

TEST(Calibration, EmptyBinsWeighNothing) {
  ConfidenceSet set;
  add(set, 0.95, 4, 2);  // gap 0.45 on 4 of 10
  add(set, 0.55, 6, 3);  // gap 0.05 on 6 of 10
  const auto summary = mnist::calibration_summary(set);
  EXPECT_NEAR(summary.expected_calibration_error, 0.4 * 0.45 + 0.6 * 0.05, 1e-12);
  EXPECT_NEAR(summary.max_calibration_error, 0.45, 1e-12);
  int non_empty = 0;
  for (const auto& bin : summary.bins) {
    if (bin.count == 0) {
      EXPECT_EQ(bin.mean_confidence, 0);
      EXPECT_EQ(bin.accuracy, 0);
    } else {
      ++non_empty;
    }
  }
  EXPECT_EQ(non_empty, 2);
  EXPECT_EQ(summary.bins[14].count, 4);  // 0.95 in (14/15, 1]
  EXPECT_EQ(summary.bins[8].count, 6);   // 0.55 in (8/15, 9/15]
}

TEST(Calibration, BinEdgesBelongToTheLowerBin) {
  ConfidenceSet set;
  add(set, 0.0, 1, 0);
  add(set, 1.0 / 3, 1, 1);  // 5/15: upper edge of bin 4
  add(set, 0.2 + 1e-9, 1, 1);
  const auto summary = mnist::calibration_summary(set);
  EXPECT_EQ(summary.bins[0].count, 1);
  EXPECT_EQ(summary.bins[4].count, 1);
  EXPECT_EQ(summary.bins[3].count, 1);  // just above 3/15
  EXPECT_DOUBLE_EQ(summary.bins[4].lower, 4.0 / 15);
  EXPECT_DOUBLE_EQ(summary.bins[4].upper, 5.0 / 15);
}

TEST(Calibration, EmptySetAndBadInput) {
  const auto empty = mnist::calibration_summary(ConfidenceSet{});
  EXPECT_EQ(empty.count, 0);
  EXPECT_EQ(empty.expected_calibration_error, 0);
  EXPECT_EQ(empty.bins.size(), 15u);
  ConfidenceSet bad;
  add(bad, 1.5, 1, 1);
  EXPECT_THROW(mnist::calibration_summary(bad), std::invalid_argument);
  ConfidenceSet uneven;
  uneven.confidence = {0.5};
  EXPECT_THROW(mnist::calibration_summary(uneven), std::invalid_argument);
  EXPECT_THROW(mnist::calibration_summary(ConfidenceSet{}, 0), std::invalid_argument);
}

TEST(Calibration, CoverageTableCountsAnswersAtOrAboveTheThreshold) {
  ConfidenceSet set;
  add(set, 0.99, 6, 6);
  add(set, 0.9, 2, 1);
  add(set, 0.5, 2, 0);
  const auto table = mnist::coverage_table(set, {0.0, 0.9, 0.95, 1.0});
  ASSERT_EQ(table.size(), 4u);
  EXPECT_EQ(table[0].answered, 10);
  EXPECT_DOUBLE_EQ(table[0].accuracy, 0.7);
  EXPECT_EQ(table[1].answered, 8);  // 0.9 itself is answered
  EXPECT_DOUBLE_EQ(table[1].coverage, 0.8);
  EXPECT_DOUBLE_EQ(table[1].accuracy, 7.0 / 8);
  EXPECT_EQ(table[2].answered, 6);
  EXPECT_DOUBLE_EQ(table[2].accuracy, 1.0);
  EXPECT_EQ(table[3].answered, 0);
  EXPECT_DOUBLE_EQ(table[3].coverage, 0.0);

  const auto curve = mnist::coverage_curve(set);
  ASSERT_EQ(curve.size(), 3u);  // one point per distinct confidence
  EXPECT_DOUBLE_EQ(curve[0].coverage, 0.6);
  EXPECT_DOUBLE_EQ(curve[0].accuracy, 1.0);
  EXPECT_DOUBLE_EQ(curve[2].coverage, 1.0);
  EXPECT_DOUBLE_EQ(curve[2].accuracy, 0.7);
}

TEST(Calibration, NllAndConfidenceOnAHandWorkedExample) {
  mnist::LabelledLogits set;
  set.classes = 2;
  set.logits = {0.0, std::log(3.0)};  // softmax (1/4, 3/4)
  set.labels = {1};
  EXPECT_NEAR(mnist::mean_nll(set, 1.0), -std::log(0.75), 1e-12);
  // At T = 2 the logits halve: softmax (1/(1 + sqrt 3), sqrt 3/(1 + sqrt 3)).
  const double p = std::sqrt(3.0) / (1 + std::sqrt(3.0));
  EXPECT_NEAR(mnist::mean_nll(set, 2.0), -std::log(p), 1e-12);
  const auto confidences = mnist::confidences_at(set, 2.0);
  EXPECT_NEAR(confidences.confidence[0], p, 1e-12);
  EXPECT_EQ(confidences.correct[0], 1);
  set.labels = {2};
  EXPECT_THROW(mnist::mean_nll(set, 1.0), std::invalid_argument);
}

TEST(Calibration, FittingRecoversTheTemperatureLabelsWereDrawnWith) {
  for (const double truth : {0.5, 1.0, 2.5}) {
    const auto set = synthetic_logits(truth, 20000, /*seed=*/7);
    const double fitted = mnist::fit_temperature(set);
    EXPECT_NEAR(fitted, truth, 0.05 * truth) << "true temperature " << truth;
    // The fit is the minimum: a little either side is worse.
    EXPECT_LT(mnist::mean_nll(set, fitted), mnist::mean_nll(set, fitted * 1.05));
    EXPECT_LT(mnist::mean_nll(set, fitted), mnist::mean_nll(set, fitted / 1.05));
    // It lowers the NLL and the ECE against T = 1 when T = 1 is wrong, and keeps the accuracy.
    const auto fit = mnist::fit_and_measure(set);
    EXPECT_DOUBLE_EQ(fit.temperature, fitted);
    EXPECT_LE(fit.after.nll, fit.before.nll);
    EXPECT_DOUBLE_EQ(fit.after.accuracy, fit.before.accuracy);
    if (truth != 1.0) {
      EXPECT_LT(fit.after.expected_calibration_error, fit.before.expected_calibration_error);
      EXPECT_LT(fit.after.expected_calibration_error, 0.015);
    }
  }
}
