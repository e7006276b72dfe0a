// Evaluating TorchScript modules whose answers are known: exact confusion matrix, accuracy and
// loss; the checks on what a module returns; choosing the most confident mistakes; the counts of
// the drawn variants. The modules are built here; the images are synthetic, but for the drawn
// variants, which are renderings of real test digits.
#include <gtest/gtest.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <cmath>
#include <iterator>

#include "core/errors.h"
#include "image/drawn_variants.h"
#include "report/model_evaluation.h"
#include "scripted_modules.h"
#include "test_support.h"

using mnist::test::always_answers;
using mnist::test::always_three;

namespace {

// Labels 0..9 followed by two more 3s: supports 1 each, 3 for the digit 3.
mnist::MnistTensors twelve_images() {
  mnist::MnistTensors data;
  data.labels = torch::tensor({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 3, 3}, torch::kLong);
  data.images = torch::rand({12, 1, 28, 28});
  return data;
}

}  // namespace

TEST(EvaluateTorchScript, AModuleThatAlwaysAnswersThreeGivesTheExactMatrix) {
  auto module = always_three();
  at::Tensor probabilities;
  // Batches of 5 over 12 images: the last batch is short.
  const auto result = mnist::evaluate_torchscript(module, "always3.pt", twelve_images(), torch::kCPU,
                                                  /*batch_size=*/5, &probabilities);
  auto expected = torch::zeros({10, 10}, torch::kLong);
  expected.select(/*dim=*/1, 3).fill_(1);
  expected[3][3] = 3;
  EXPECT_TRUE(torch::equal(result.confusion, expected)) << result.confusion;
  EXPECT_EQ(result.count, 12);
  EXPECT_DOUBLE_EQ(result.accuracy, 3.0 / 12);
  EXPECT_NEAR(result.loss, (3 * -std::log(0.55) + 9 * -std::log(0.05)) / 12, 1e-6);
  ASSERT_EQ(probabilities.sizes(), (std::vector<int64_t>{12, 10}));
  EXPECT_TRUE(torch::allclose(probabilities[11], always_three().attr("answer").toTensor()));
}

TEST(EvaluateTorchScript, OutputsOtherThanNBy10ProbabilitiesAreOneLineErrors) {
  const auto data = twelve_images();
  const auto run = [&](const std::string& source) {
    return mnist::test::error_of<std::runtime_error>([&]() {
      auto module = mnist::test::scripted_module(source);
      mnist::evaluate_torchscript(module, "bad.pt", data, torch::kCPU, /*batch_size=*/4);
    });
  };
  EXPECT_EQ(run("def forward(self, x: Tensor) -> Tensor:\n"
                "    return torch.softmax(x.reshape(x.size(0), 784)[:, :5], 1)\n"),
            "bad.pt: model output has shape [4, 5] for a batch of 4 images, expected [N,10]");
  EXPECT_EQ(run("def forward(self, x: Tensor) -> Tensor:\n"
                "    return torch.full([1, 10], 0.1)\n"),
            "bad.pt: model output has shape [1, 10] for a batch of 4 images, expected [N,10]");
  EXPECT_EQ(run("def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:\n"
                "    return x, x\n"),
            "bad.pt: model output is a Tuple, expected a tensor [N,10]");
  // Logits instead of probabilities.
  EXPECT_NE(run("def forward(self, x: Tensor) -> Tensor:\n"
                "    return x.reshape(x.size(0), 784)[:, :10] * 3.0 - 1.0\n")
                .find("bad.pt: model output rows are not probabilities"),
            std::string::npos);
  const std::string failing = run("def forward(self, x: Tensor) -> Tensor:\n"
                                  "    return x.reshape(x.size(0), 7)\n");
  EXPECT_EQ(failing.rfind("bad.pt: running the model on images [N,1,28,28] failed: ", 0), 0u) << failing;
  EXPECT_EQ(failing.find('\n'), std::string::npos) << failing;
}

TEST(EvaluateTorchScript, MostConfidentMistakesComeFirst) {
  const auto probabilities = torch::tensor({{0.9, 0.1, 0.0},   // label 0: right
                                            {0.1, 0.3, 0.6},   // label 1: wrong, 0.6
                                            {0.8, 0.1, 0.1},   // label 2: wrong, 0.8
                                            {0.2, 0.6, 0.2},   // label 0: wrong, 0.6
                                            {0.0, 0.0, 1.0}}); // label 2: right
  const auto labels = torch::tensor({0, 1, 2, 0, 2}, torch::kLong);
  EXPECT_EQ(mnist::most_confident_mistakes(probabilities, labels, 10), (std::vector<int64_t>{2, 1, 3}));
  EXPECT_EQ(mnist::most_confident_mistakes(probabilities, labels, 2), (std::vector<int64_t>{2, 1}));
  EXPECT_TRUE(mnist::most_confident_mistakes(probabilities, labels, 0).empty());
  EXPECT_TRUE(mnist::most_confident_mistakes(probabilities.slice(0, 0, 1), labels.slice(0, 0, 1), 5).empty());
}

// The first six test digits are 7 2 1 0 4 1: a model that always answers 1 is right on two.
TEST(EvaluateDrawnVariants, CountsWrongAnswersGivenAsSureAsConfidentMistakes) {
  const auto data = mnist::load_mnist(MNIST_TEST_DATA_DIR, mnist::MnistSplit::kTest, 6);
  auto sure = always_answers(1, 0.9);
  const auto variants = mnist::evaluate_drawn_variants(sure, "sure.pt", data, torch::kCPU, /*batch_size=*/4);
  ASSERT_EQ(variants.size(), std::size(mnist::kAllDrawnVariants));
  for (const auto& v : variants) {
    SCOPED_TRACE(v.variant);
    EXPECT_EQ(v.count, 6);
    EXPECT_EQ(v.unprepared, 0);
    EXPECT_EQ(v.correct, 2);
    EXPECT_EQ(v.confident_mistakes(), 4);
    EXPECT_NEAR(v.confident_mistake_rate(), 4.0 / 6, 1e-12);
    ASSERT_EQ(v.confidences.size(), 6);
    EXPECT_NEAR(v.calibration().expected_calibration_error, 0.9 - 2.0 / 6, 1e-6);
  }
  const auto all = mnist::all_variants(variants);
  EXPECT_EQ(all.variant, "all");
  EXPECT_EQ(all.count, 6 * static_cast<int64_t>(variants.size()));
  EXPECT_EQ(all.correct, 2 * static_cast<int64_t>(variants.size()));
  EXPECT_EQ(all.confident_mistakes(), 4 * static_cast<int64_t>(variants.size()));
  EXPECT_EQ(all.confidences.size(), all.count);

  // Below mnist-serve's "not sure" line the same mistakes are not confident ones.
  auto unsure = always_answers(1, 0.7);
  for (const auto& v : mnist::evaluate_drawn_variants(unsure, "unsure.pt", data, torch::kCPU, 4)) {
    EXPECT_EQ(v.correct, 2) << v.variant;
    EXPECT_EQ(v.confident_mistakes(), 0) << v.variant;
  }
}
