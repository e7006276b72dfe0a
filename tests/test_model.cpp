// The network, its conversions and evaluation, on synthetic tensors (no MNIST files needed).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "errors.h"
#include "evaluation.h"
#include "model.h"

namespace {

torch::Tensor probabilities(torch::nn::Sequential& model, const torch::Tensor& pixels) {
  model->eval();
  torch::NoGradGuard no_grad;
  return torch::softmax(model->forward(pixels), 1);
}

// Forward pass of Keras Dense layers on raw 0-255 pixels, written independently of the model.
torch::Tensor keras_forward(const std::vector<mnist::DenseLayerWeights>& layers, torch::Tensor x) {
  x = x.reshape({x.size(0), -1});
  for (const auto& layer : layers) {
    const auto kernel = torch::from_blob(const_cast<float*>(layer.kernel.data()), {layer.inputs, layer.units});
    const auto bias = torch::from_blob(const_cast<float*>(layer.bias.data()), {layer.units});
    x = torch::matmul(x, kernel) + bias;
    x = layer.activation == "relu" ? torch::relu(x) : torch::softmax(x, 1);
  }
  return x;
}

}  // namespace

TEST(Model, ParsesHiddenSizes) {
  EXPECT_EQ(mnist::parse_hidden_sizes("300,100"), (std::vector<int64_t>{300, 100}));
  EXPECT_EQ(mnist::parse_hidden_sizes("64"), (std::vector<int64_t>{64}));
  for (const char* bad : {"", "300,,100", "300,", ",300", "abc", "0", "-5", "3e2", "300;100", "9999999"}) {
    try {
      mnist::parse_hidden_sizes(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const mnist::UsageError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("--hidden " + std::string(bad) + ":", 0), 0u) << e.what();
    }
  }
}

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

TEST(Model, KerasLayersOnRawPixelsMatchTheModelOnScaledPixels) {
  torch::manual_seed(4);
  auto model = mnist::build_mlp({});
  const auto raw = torch::randint(0, 256, {16, 28, 28}).to(torch::kFloat32);
  const auto layers = mnist::to_keras_layers(model);
  ASSERT_EQ(layers.size(), 3u);
  EXPECT_EQ(layers[0].inputs, 784);
  EXPECT_EQ(layers[0].units, 300);
  EXPECT_EQ(layers[2].activation, "softmax");
  const auto expected = probabilities(model, raw / 255.0);
  const auto actual = keras_forward(layers, raw);
  EXPECT_LT((actual - expected).abs().max().item<float>(), 1e-5);
}

TEST(Model, KerasKernelIsTheTransposedWeight) {
  torch::manual_seed(5);
  auto model = mnist::build_mlp({});
  const auto layers = mnist::to_keras_layers(model);
  auto* second = dynamic_cast<torch::nn::LinearImpl*>(model->ptr(4).get());
  ASSERT_NE(second, nullptr);
  // kernel[i][j] (row-major, 300 x 100) is weight[j][i]
  EXPECT_EQ(layers[1].kernel[7 * 100 + 3], second->weight[3][7].item<float>());
  EXPECT_EQ(layers[1].bias[42], second->bias[42].item<float>());
}

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
