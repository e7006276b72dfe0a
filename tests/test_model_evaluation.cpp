// Evaluating TorchScript modules whose answers are known: exact confusion matrix, accuracy and
// loss; the checks on what a module returns; choosing the most confident mistakes.
// No MNIST files needed: the images are synthetic and the modules are built here.
#include <gtest/gtest.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <cmath>

#include "report/model_evaluation.h"
#include "core/errors.h"
#include "scripted_modules.h"
#include "test_support.h"

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
