// Confusion matrix, per-class metrics, confused pairs and the binomial standard error, against
// values worked out by hand on small fixed sets.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

#include "report/class_metrics.h"

namespace {

// Ten examples over three classes:
//   truth      0 0 0 0 1 1 1 2 2 2
//   predicted  0 0 1 2 1 1 0 2 2 1
const std::vector<int64_t> kTruth{0, 0, 0, 0, 1, 1, 1, 2, 2, 2};
const std::vector<int64_t> kPredicted{0, 0, 1, 2, 1, 1, 0, 2, 2, 1};

}  // namespace

TEST(ClassMetrics, ConfusionMatrixCountsTruthByPrediction) {
  const mnist::ConfusionMatrix expected{{2, 1, 1},  //
                                        {1, 2, 0},
                                        {0, 1, 2}};
  EXPECT_EQ(mnist::confusion_matrix(kTruth, kPredicted, 3), expected);
}

TEST(ClassMetrics, PerClassMetricsMatchHandWorkedValues) {
  const auto report = mnist::classification_report(mnist::confusion_matrix(kTruth, kPredicted, 3));
  EXPECT_EQ(report.count, 10);
  EXPECT_EQ(report.correct, 6);
  EXPECT_DOUBLE_EQ(report.accuracy, 0.6);
  EXPECT_DOUBLE_EQ(report.accuracy_standard_error, std::sqrt(0.6 * 0.4 / 10));

  ASSERT_EQ(report.classes.size(), 3u);
  // Column sums (predicted) 3, 4, 3; row sums (support) 4, 3, 3; diagonal 2, 2, 2.
  const int64_t support[] = {4, 3, 3};
  const int64_t predicted[] = {3, 4, 3};
  const double precision[] = {2.0 / 3, 2.0 / 4, 2.0 / 3};
  const double recall[] = {2.0 / 4, 2.0 / 3, 2.0 / 3};
  const double f1[] = {4.0 / 7, 4.0 / 7, 2.0 / 3};  // 2pr / (p + r)
  for (int c = 0; c < 3; ++c) {
    SCOPED_TRACE(c);
    EXPECT_EQ(report.classes[c].label, c);
    EXPECT_EQ(report.classes[c].support, support[c]);
    EXPECT_EQ(report.classes[c].predicted, predicted[c]);
    EXPECT_NEAR(report.classes[c].precision, precision[c], 1e-12);
    EXPECT_NEAR(report.classes[c].recall, recall[c], 1e-12);
    EXPECT_NEAR(report.classes[c].f1, f1[c], 1e-12);
  }
  EXPECT_NEAR(report.macro_average.precision, 11.0 / 18, 1e-12);
  EXPECT_NEAR(report.macro_average.recall, 11.0 / 18, 1e-12);
  EXPECT_NEAR(report.macro_average.f1, 38.0 / 63, 1e-12);
  EXPECT_NEAR(report.weighted_average.precision, 37.0 / 60, 1e-12);
  EXPECT_NEAR(report.weighted_average.recall, 0.6, 1e-12);  // always equals the accuracy
  EXPECT_NEAR(report.weighted_average.f1, 0.6, 1e-12);
  EXPECT_EQ(report.macro_average.support, 10);
}

TEST(ClassMetrics, ConfusedPairsAreLargestFirstWithTiesInReadingOrder) {
  const mnist::ConfusionMatrix confusion{{5, 0, 3},  //
                                         {2, 4, 0},
                                         {0, 3, 6}};
  const auto all = mnist::classification_report(confusion).confused_pairs;
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].truth, 0);
  EXPECT_EQ(all[0].predicted, 2);
  EXPECT_EQ(all[0].count, 3);
  EXPECT_EQ(all[1].truth, 2);
  EXPECT_EQ(all[1].predicted, 1);
  EXPECT_EQ(all[1].count, 3);
  EXPECT_EQ(all[2].truth, 1);
  EXPECT_EQ(all[2].predicted, 0);
  EXPECT_EQ(all[2].count, 2);
  EXPECT_EQ(mnist::classification_report(confusion, 2).confused_pairs.size(), 2u);
  EXPECT_TRUE(mnist::classification_report({{3, 0}, {0, 4}}).confused_pairs.empty());
}

TEST(ClassMetrics, ZeroDenominatorsGiveZeroAsScikitLearnReportsThem) {
  // Class 1 is never predicted (precision 0/0) and class 2 never occurs (recall 0/0).
  const auto report = mnist::classification_report({{2, 0, 0}, {1, 0, 0}, {0, 0, 0}});
  EXPECT_NEAR(report.classes[0].precision, 2.0 / 3, 1e-12);
  EXPECT_DOUBLE_EQ(report.classes[0].recall, 1.0);
  EXPECT_DOUBLE_EQ(report.classes[1].precision, 0.0);
  EXPECT_DOUBLE_EQ(report.classes[1].recall, 0.0);
  EXPECT_DOUBLE_EQ(report.classes[1].f1, 0.0);
  EXPECT_EQ(report.classes[2].support, 0);
  EXPECT_DOUBLE_EQ(report.classes[2].recall, 0.0);
  EXPECT_FALSE(std::isnan(report.macro_average.f1));
}

TEST(ClassMetrics, BinomialStandardError) {
  EXPECT_DOUBLE_EQ(mnist::binomial_standard_error(50, 100), 0.05);
  EXPECT_DOUBLE_EQ(mnist::binomial_standard_error(100, 100), 0.0);
  EXPECT_DOUBLE_EQ(mnist::binomial_standard_error(0, 0), 0.0);
  EXPECT_NEAR(mnist::binomial_standard_error(9781, 10000), std::sqrt(0.9781 * 0.0219 / 10000), 1e-15);
}

TEST(ClassMetrics, RowPercentages) {
  const auto percentages = mnist::row_percentages({{1, 3}, {0, 0}});
  EXPECT_DOUBLE_EQ(percentages[0][0], 25.0);
  EXPECT_DOUBLE_EQ(percentages[0][1], 75.0);
  EXPECT_DOUBLE_EQ(percentages[1][0], 0.0);
  EXPECT_DOUBLE_EQ(percentages[1][1], 0.0);
}

TEST(ClassMetrics, ReportTextListsClassesAndConfusedPairs) {
  mnist::ConfusionMatrix confusion(10, std::vector<int64_t>(10, 0));
  for (int c = 0; c < 10; ++c) confusion[c][c] = 100;
  confusion[4][9] = 12;
  confusion[9][7] = 3;
  const std::string text = mnist::format_classification_report(mnist::classification_report(confusion));
  EXPECT_NE(text.find("precision"), std::string::npos) << text;
  EXPECT_NE(text.find("\n4            112"), std::string::npos) << text;  // label, support
  EXPECT_NE(text.find("  4 -> 9: 12\n  9 -> 7: 3\n"), std::string::npos) << text;
}

TEST(ClassMetrics, MalformedInputsAreRejected) {
  EXPECT_THROW(mnist::confusion_matrix({0, 1}, {0}, 2), std::invalid_argument);
  EXPECT_THROW(mnist::confusion_matrix({0, 2}, {0, 1}, 2), std::invalid_argument);
  EXPECT_THROW(mnist::confusion_matrix({0, 1}, {0, -1}, 2), std::invalid_argument);
  EXPECT_THROW(mnist::classification_report({}), std::invalid_argument);
  EXPECT_THROW(mnist::classification_report({{1, 2}, {3}}), std::invalid_argument);
  EXPECT_THROW(mnist::classification_report({{1, -2}, {3, 4}}), std::invalid_argument);
}
