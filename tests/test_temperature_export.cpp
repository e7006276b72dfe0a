// A temperature folded into the exports (mnist-train --calibrate on): on all 10,000 MNIST test
// images the TorchScript file, run by LibTorch here and by Python's torch.jit.load, gives
// softmax(logits / T) of the in-memory model within 1e-5 and the same class as the logits; the
// Keras .h5 files, read by h5py and run in numpy (tests/python/check_calibrated_exports.py), give
// softmax of their uncalibrated twin's last-layer values divided by T, and the same classes.
#include <gtest/gtest.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <fstream>

#include "child_process.h"
#include "data/mnist_bytes_dataset.h"
#include "data/mnist_dataset.h"
#include "export/keras_h5.h"
#include "export/keras_layers.h"
#include "export/torchscript.h"
#include "model/model.h"
#include "test_support.h"
#include "train/trainer.h"

namespace fs = std::filesystem;

namespace {

// A temperature far from 1, so that a missed or doubled fold shows.
constexpr double kTemperature = 2.7;

class SilentObserver : public mnist::TrainingObserver {};

void write_floats(const fs::path& path, const torch::Tensor& values) {
  const auto data = values.to(torch::kFloat32).contiguous();
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(data.data_ptr<float>()),
            static_cast<std::streamsize>(data.numel() * sizeof(float)));
  ASSERT_TRUE(out.good()) << path;
}

void export_all(torch::nn::Sequential& model, const fs::path& dir, double temperature) {
  mnist::export_torchscript(model, dir / "mnist_mlp.pt", "{}", temperature);
  const auto layers = mnist::to_keras_layers(model, temperature);
  mnist::write_keras_h5(dir / "image_recognition.h5", layers, mnist::KerasH5Kind::kFullModel);
  mnist::write_keras_h5(dir / "weights.h5", layers, mnist::KerasH5Kind::kWeightsOnly);
}

}  // namespace

TEST(TemperatureExport, FoldedTemperatureGivesSoftmaxOfLogitsOverTOnTheMnistTestSet) {
  const fs::path data_dir = MNIST_TEST_DATA_DIR;
  // A model trained for one epoch on 3000 images: confident, with large logits and mistakes.
  mnist::TrainSettings settings;
  settings.batch_size = 32;
  settings.seed = 3;
  mnist::Trainer trainer(mnist::ModelSpec{}, settings, torch::kCPU);
  SilentObserver observer;
  trainer.train_epoch(1, mnist::load_mnist(data_dir, mnist::MnistSplit::kTrain, 3000), observer);
  auto& model = trainer.model();
  model->eval();

  const auto test = mnist::load_mnist(data_dir, mnist::MnistSplit::kTest);
  ASSERT_EQ(test.size(), 10000);
  torch::NoGradGuard no_grad;
  const auto logits = model->forward(test.images).to(torch::kFloat64);
  const auto expected = torch::softmax(logits / kTemperature, 1);

  mnist::test::TempDir dir;
  const fs::path calibrated = dir.path() / "calibrated";
  const fs::path plain = dir.path() / "plain";
  export_all(model, calibrated, kTemperature);
  export_all(model, plain, 1.0);

  auto module = mnist::load_torchscript(calibrated / "mnist_mlp.pt");
  const auto probabilities = module.forward({test.images}).toTensor().to(torch::kFloat64);
  EXPECT_LT((probabilities - expected).abs().max().item<double>(), 1e-5);
  EXPECT_TRUE(torch::equal(probabilities.argmax(1), logits.argmax(1)));
  // The fold changes the probabilities (a test that could not fail proves nothing).
  auto plain_module = mnist::load_torchscript(plain / "mnist_mlp.pt");
  const auto plain_probabilities = plain_module.forward({test.images}).toTensor().to(torch::kFloat64);
  EXPECT_GT((plain_probabilities - probabilities).abs().max().item<double>(), 1e-2);
  EXPECT_LT((plain_probabilities - torch::softmax(logits, 1)).abs().max().item<double>(), 1e-5);

  write_floats(dir.path() / "expected.f32", expected);
  const auto check = mnist::test::ChildProcess(
                         {MNIST_TEST_PYTHON, MNIST_TEST_SCRIPTS_DIR "/check_calibrated_exports.py", calibrated, plain,
                          std::to_string(kTemperature), data_dir / "t10k-images-idx3-ubyte",
                          dir.path() / "expected.f32"})
                         .finish();
  EXPECT_EQ(check.exit_code, 0) << check.err;
  EXPECT_EQ(check.out.rfind("OK: 10000 test images", 0), 0u) << check.out << check.err;
}

TEST(TemperatureExport, TemperatureOneLeavesTheExportsBitIdentical) {
  torch::manual_seed(5);
  auto model = mnist::build_mlp(mnist::ModelSpec{});
  const auto a = mnist::to_keras_layers(model);
  const auto b = mnist::to_keras_layers(model, 1.0);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].kernel, b[i].kernel);
    EXPECT_EQ(a[i].bias, b[i].bias);
  }
  const auto folded = mnist::to_keras_layers(model, 2.0);
  EXPECT_EQ(folded[0].kernel, a[0].kernel);  // only the last layer changes
  EXPECT_NE(folded.back().kernel, a.back().kernel);
  EXPECT_FLOAT_EQ(folded.back().bias[0] * 2, a.back().bias[0]);
}
