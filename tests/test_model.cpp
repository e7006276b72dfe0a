// The network on synthetic tensors (no MNIST files needed): shapes, parameter count, Keras-like
// initialisation, dropout only when asked.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "model/model.h"
#include "small_models.h"


TEST(Model, OutputsTenLogitsForEveryInputLayout) {
  torch::manual_seed(1);
  auto model = mnist::build_mlp({});
  const auto pixels = torch::rand({5, 1, 28, 28});
  const auto expected = model->forward(pixels);
  EXPECT_EQ(expected.sizes(), (std::vector<int64_t>{5, 10}));
  EXPECT_TRUE(torch::equal(model->forward(pixels.reshape({5, 28, 28})), expected));
  EXPECT_TRUE(torch::equal(model->forward(pixels.reshape({5, 784})), expected));
  EXPECT_EQ(mnist::describe_architecture({}), "784-300-100-10");
}

TEST(Model, DefaultNetworkHasTheOriginalParameterCount) {
  auto model = mnist::build_mlp({});
  int64_t count = 0;
  for (const auto& p : model->parameters()) count += p.numel();
  EXPECT_EQ(count, 784 * 300 + 300 + 300 * 100 + 100 + 100 * 10 + 10);  // Keras summary: 266,610
}

TEST(Model, InitialisesLikeKerasGlorotUniformAndZeroBias) {
  torch::manual_seed(3);
  auto model = mnist::build_mlp({});
  for (const auto& item : model->named_parameters()) {
    const auto& p = item.value();
    if (item.key().find("bias") != std::string::npos) {
      EXPECT_EQ(p.abs().max().item<float>(), 0.0f) << item.key();
    } else {
      const double limit = std::sqrt(6.0 / static_cast<double>(p.size(0) + p.size(1)));
      EXPECT_LE(p.abs().max().item<double>(), limit) << item.key();
      EXPECT_GT(p.abs().max().item<double>(), 0.9 * limit) << item.key();  // uses the full range
    }
  }
}

TEST(Model, DropoutIsPresentOnlyWhenAsked) {
  mnist::ModelSpec spec;
  EXPECT_EQ(mnist::build_mlp(spec)->size(), 2u + 2 * 2 + 1);
  spec.dropout = 0.2;
  EXPECT_EQ(mnist::build_mlp(spec)->size(), 2u + 3 * 2 + 1);
}
