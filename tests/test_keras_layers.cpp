// The trained Sequential as Keras Dense layers: transposed kernels, and the normalisation folded
// into the first layer so the Keras model takes raw 0-255 pixels; through the .h5 file too.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "export/keras_h5.h"
#include "export/keras_layers.h"
#include "model/model.h"
#include "small_models.h"
#include "test_support.h"

namespace fs = std::filesystem;
using mnist::test::banded_digits;
using mnist::test::model_probabilities;
using mnist::test::quiet;
using mnist::test::small_settings;

namespace {

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

TEST(KerasLayers, KerasLayersOnRawPixelsMatchTheModelOnScaledPixels) {
  torch::manual_seed(4);
  auto model = mnist::build_mlp({});
  const auto raw = torch::randint(0, 256, {16, 28, 28}).to(torch::kFloat32);
  const auto layers = mnist::to_keras_layers(model);
  ASSERT_EQ(layers.size(), 3u);
  EXPECT_EQ(layers[0].inputs, 784);
  EXPECT_EQ(layers[0].units, 300);
  EXPECT_EQ(layers[2].activation, "softmax");
  const auto expected = model_probabilities(model, raw / 255.0);
  const auto actual = keras_forward(layers, raw);
  EXPECT_LT((actual - expected).abs().max().item<float>(), 1e-5);
}

TEST(KerasLayers, KerasKernelIsTheTransposedWeight) {
  torch::manual_seed(5);
  auto model = mnist::build_mlp({});
  const auto layers = mnist::to_keras_layers(model);
  auto* second = dynamic_cast<torch::nn::LinearImpl*>(model->ptr(4).get());
  ASSERT_NE(second, nullptr);
  // kernel[i][j] (row-major, 300 x 100) is weight[j][i]
  EXPECT_EQ(layers[1].kernel[7 * 100 + 3], second->weight[3][7].item<float>());
  EXPECT_EQ(layers[1].bias[42], second->bias[42].item<float>());
}

TEST(KerasExport, HdfFileOnRawPixelsMatchesTheModel) {
  mnist::test::TempDir dir;
  const auto data = banded_digits(64, 6);
  mnist::Trainer trainer(mnist::ModelSpec{}, small_settings(), torch::kCPU);
  trainer.train_epoch(1, data, quiet);
  const fs::path path = dir.path() / "image_recognition.h5";
  mnist::write_keras_h5(path, mnist::to_keras_layers(trainer.model()), mnist::KerasH5Kind::kFullModel);
  const auto layers = mnist::read_keras_h5(path, mnist::KerasH5Kind::kFullModel);

  const auto raw = torch::randint(0, 256, {12, 784}).to(torch::kFloat32);
  auto x = raw;
  for (const auto& layer : layers) {
    const auto kernel = torch::from_blob(const_cast<float*>(layer.kernel.data()), {layer.inputs, layer.units});
    const auto bias = torch::from_blob(const_cast<float*>(layer.bias.data()), {layer.units});
    x = torch::matmul(x, kernel) + bias;
    x = layer.activation == "relu" ? torch::relu(x) : torch::softmax(x, 1);
  }
  const auto expected = model_probabilities(trainer.model(), raw / 255.0);
  EXPECT_LT((x - expected).abs().max().item<float>(), 1e-5);
}
