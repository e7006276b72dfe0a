// Loss, accuracy and confusion matrix of a classifier whose answers are known.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "report/evaluation.h"

TEST(Evaluation, ConstantAnswerGivesTheExpectedConfusionAndAccuracy) {
  mnist::MnistTensors data;
  data.labels = torch::tensor({3, 3, 1, 0, 3, 9, 3}, torch::kLong);
  data.images = torch::zeros({7, 1, 28, 28});
  const auto always_three = [](const torch::Tensor& images) {
    auto log_probs = torch::full({images.size(0), 10}, std::log(0.01));
    log_probs.index_put_({torch::indexing::Slice(), 3}, std::log(0.91));
    return log_probs;
  };
  const auto result = mnist::evaluate(always_three, data, torch::kCPU, /*batch_size=*/3);
  EXPECT_EQ(result.count, 7);
  EXPECT_DOUBLE_EQ(result.accuracy, 4.0 / 7.0);
  EXPECT_NEAR(result.loss, -(4 * std::log(0.91) + 3 * std::log(0.01)) / 7.0, 1e-6);
  auto expected = torch::zeros({10, 10}, torch::kLong);
  expected[3][3] = 4;
  expected[1][3] = 1;
  expected[0][3] = 1;
  expected[9][3] = 1;
  EXPECT_TRUE(torch::equal(result.confusion, expected)) << result.confusion;
}
