// Training, checkpoints and both exports, on small synthetic data (no MNIST files needed).
#include <gtest/gtest.h>
#include <torch/cuda.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "device.h"
#include "errors.h"
#include "model_checks.h"
#include "keras_h5.h"
#include "test_support.h"
#include "torchscript_export.h"
#include "trainer.h"

namespace fs = std::filesystem;
using mnist::test::expect_identical_parameters;

namespace {

// 200 images whose label is encoded in which horizontal band is bright: learnable, not trivial.
mnist::MnistTensors banded_digits(int64_t count, uint64_t seed) {
  torch::manual_seed(seed);
  mnist::MnistTensors data;
  data.labels = torch::randint(0, 10, {count}, torch::kLong);
  data.images = torch::rand({count, 1, 28, 28}) * 0.3;
  for (int64_t i = 0; i < count; ++i) {
    const int64_t row = data.labels[i].item<int64_t>() * 2 + 4;
    data.images[i][0].slice(0, row, row + 2).add_(0.7);
  }
  return data;
}

mnist::TrainSettings small_settings() {
  mnist::TrainSettings settings;
  settings.batch_size = 16;
  settings.seed = 7;
  settings.schedule = mnist::LrSchedule::kCosine;
  settings.total_epochs = 3;
  return settings;
}

mnist::ModelSpec small_spec() {
  mnist::ModelSpec spec;
  spec.hidden = {32, 16};
  spec.dropout = 0.1;  // exercises the dropout randomness in determinism and resume
  return spec;
}

torch::Tensor model_probabilities(torch::nn::Sequential& model, const torch::Tensor& pixels) {
  model->eval();
  torch::NoGradGuard no_grad;
  return torch::softmax(model->forward(pixels), 1);
}

mnist::TrainingObserver quiet;

}  // namespace

TEST(Trainer, LossFallsOnASmallSet) {
  const auto data = banded_digits(200, 1);
  mnist::Trainer trainer(small_spec(), small_settings(), torch::kCPU);
  const auto first = trainer.train_epoch(1, data, quiet);
  mnist::EpochTrainStats last;
  for (int epoch = 2; epoch <= 8; ++epoch) last = trainer.train_epoch(epoch, data, quiet);
  EXPECT_LT(last.loss, first.loss * 0.5);
  EXPECT_GT(last.accuracy, 0.9);
  EXPECT_EQ(last.samples, 200);
}

TEST(Trainer, SameSeedGivesBitIdenticalWeights) {
  const auto data = banded_digits(100, 2);
  mnist::Trainer a(small_spec(), small_settings(), torch::kCPU);
  mnist::Trainer b(small_spec(), small_settings(), torch::kCPU);
  for (int epoch = 1; epoch <= 2; ++epoch) {
    a.train_epoch(epoch, data, quiet);
    b.train_epoch(epoch, data, quiet);
  }
  expect_identical_parameters(a.model(), b.model());

  auto other_settings = small_settings();
  other_settings.seed = 8;
  mnist::Trainer c(small_spec(), other_settings, torch::kCPU);
  c.train_epoch(1, data, quiet);
  EXPECT_FALSE(torch::equal(c.model()->parameters()[0], a.model()->parameters()[0]));
}

TEST(Trainer, ResumedRunEndsWithTheSameWeightsAsAnUninterruptedOne) {
  mnist::test::TempDir dir;
  const auto data = banded_digits(100, 3);
  mnist::Trainer uninterrupted(small_spec(), small_settings(), torch::kCPU);
  for (int epoch = 1; epoch <= 3; ++epoch) uninterrupted.train_epoch(epoch, data, quiet);

  {
    mnist::Trainer first_part(small_spec(), small_settings(), torch::kCPU);
    first_part.train_epoch(1, data, quiet);
    first_part.save_checkpoint(dir.path() / "checkpoint.pt", 1, R"({"note":"x"})");
  }
  // Different global RNG state in between, as in a new process.
  torch::manual_seed(12345);
  mnist::Trainer resumed(small_spec(), small_settings(), torch::kCPU);
  const auto checkpoint = resumed.load_checkpoint(dir.path() / "checkpoint.pt");
  EXPECT_EQ(checkpoint.epochs_done, 1);
  EXPECT_EQ(checkpoint.metadata, R"({"note":"x"})");
  for (int epoch = 2; epoch <= 3; ++epoch) resumed.train_epoch(epoch, data, quiet);
  expect_identical_parameters(uninterrupted.model(), resumed.model());
}

// The trainer keeps its parameters in one flat buffer for speed; what it computes must still be
// plain torch::optim::Adam on the model's own tensors, with AdamW-style decay and smoothed labels.
struct PlainAdamCase {
  double weight_decay;
  double label_smoothing;
};
class TrainerMatchesPlainAdam : public ::testing::TestWithParam<PlainAdamCase> {};

TEST_P(TrainerMatchesPlainAdam, OverThreeSteps) {
  const auto data = banded_digits(48, 11);
  mnist::ModelSpec spec;
  spec.hidden = {24, 12};
  mnist::TrainSettings settings;
  settings.batch_size = 48;  // one step per epoch: the shuffled order does not matter
  settings.learning_rate = 0.01;
  settings.weight_decay = GetParam().weight_decay;
  settings.label_smoothing = GetParam().label_smoothing;
  mnist::Trainer trainer(spec, settings, torch::kCPU);

  torch::manual_seed(settings.seed);
  auto plain = mnist::build_mlp(spec);
  torch::optim::Adam adam(plain->parameters(), torch::optim::AdamOptions(settings.learning_rate));
  const auto options =
      torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(settings.label_smoothing);
  for (int epoch = 1; epoch <= 3; ++epoch) {
    trainer.train_epoch(epoch, data, quiet);
    adam.zero_grad();
    torch::nn::functional::cross_entropy(plain->forward(data.images), data.labels, options).backward();
    {
      torch::NoGradGuard no_grad;
      for (auto& p : plain->parameters()) p.mul_(1.0 - settings.learning_rate * settings.weight_decay);
    }
    adam.step();
  }
  const auto ours = trainer.model()->parameters();
  const auto theirs = plain->parameters();
  ASSERT_EQ(ours.size(), theirs.size());
  for (size_t i = 0; i < ours.size(); ++i) {
    EXPECT_TRUE(torch::allclose(ours[i], theirs[i], 1e-4, 1e-6))
        << "parameter " << i << " differs by " << (ours[i] - theirs[i]).abs().max().item<double>();
  }
}

INSTANTIATE_TEST_SUITE_P(Settings, TrainerMatchesPlainAdam,
                         ::testing::Values(PlainAdamCase{0.0, 0.0}, PlainAdamCase{5.0, 0.0},
                                           PlainAdamCase{0.0, 0.2}));

TEST(Trainer, CosineScheduleDecaysFromThePeakTowardsZero) {
  mnist::TrainSettings settings;
  settings.learning_rate = 0.002;
  settings.total_epochs = 4;
  settings.schedule = mnist::LrSchedule::kConstant;
  EXPECT_DOUBLE_EQ(mnist::learning_rate_for_epoch(settings, 4), 0.002);
  settings.schedule = mnist::LrSchedule::kCosine;
  EXPECT_DOUBLE_EQ(mnist::learning_rate_for_epoch(settings, 1), 0.002);
  EXPECT_NEAR(mnist::learning_rate_for_epoch(settings, 2), 0.002 * (1 + std::sqrt(0.5)) / 2, 1e-12);
  EXPECT_NEAR(mnist::learning_rate_for_epoch(settings, 3), 0.001, 1e-12);
  EXPECT_NEAR(mnist::learning_rate_for_epoch(settings, 4), 0.002 * (1 - std::sqrt(0.5)) / 2, 1e-12);
  EXPECT_EQ(mnist::parse_lr_schedule("cosine"), mnist::LrSchedule::kCosine);
  EXPECT_THROW(mnist::parse_lr_schedule("step"), mnist::UsageError);

  const auto data = banded_digits(32, 10);
  mnist::Trainer trainer(small_spec(), small_settings(), torch::kCPU);
  EXPECT_NEAR(trainer.train_epoch(2, data, quiet).learning_rate, 0.00075, 1e-12);
}

TEST(Trainer, CheckpointErrorsNameTheFile) {
  mnist::test::TempDir dir;
  try {
    mnist::Trainer::read_checkpoint_header(dir.path() / "none.pt");
    FAIL();
  } catch (const mnist::RuntimeError& e) {
    EXPECT_NE(std::string(e.what()).find("none.pt: no checkpoint to resume from"), std::string::npos);
  }
  std::ofstream(dir.path() / "junk.pt") << "not a checkpoint";
  try {
    mnist::Trainer::read_checkpoint_header(dir.path() / "junk.pt");
    FAIL();
  } catch (const mnist::RuntimeError& e) {
    EXPECT_NE(std::string(e.what()).find("junk.pt: not a readable checkpoint"), std::string::npos);
  }
  // A checkpoint from a different architecture does not silently load.
  mnist::Trainer small(small_spec(), small_settings(), torch::kCPU);
  small.save_checkpoint(dir.path() / "small.pt", 1, "{}");
  mnist::Trainer default_size(mnist::ModelSpec{}, small_settings(), torch::kCPU);
  EXPECT_THROW(default_size.load_checkpoint(dir.path() / "small.pt"), mnist::RuntimeError);
}

TEST(TorchScriptExport, ReloadedModuleMatchesTheModelForEveryInputLayout) {
  mnist::test::TempDir dir;
  const auto data = banded_digits(64, 4);
  mnist::Trainer trainer(small_spec(), small_settings(), torch::kCPU);
  trainer.train_epoch(1, data, quiet);
  const fs::path path = dir.path() / "mnist_mlp.pt";
  mnist::export_torchscript(trainer.model(), path, R"({"architecture":"784-32-16-10"})");

  auto loaded = torch::jit::load(path.string());  // plain LibTorch, no project code
  const auto pixels = torch::rand({9, 28, 28});
  const auto expected = model_probabilities(trainer.model(), pixels);
  for (const auto& input : {pixels, pixels.reshape({9, 1, 28, 28}), pixels.reshape({9, 784})}) {
    const auto actual = loaded.forward({input}).toTensor();
    ASSERT_EQ(actual.sizes(), (std::vector<int64_t>{9, 10}));
    EXPECT_LT((actual - expected).abs().max().item<float>(), 1e-5);
  }
  EXPECT_THROW(loaded.forward({torch::rand({2, 27, 28})}), std::exception);
  EXPECT_THROW(loaded.forward({torch::rand({2, 3, 28, 28})}), std::exception);
  EXPECT_EQ(nlohmann::json::parse(mnist::read_model_card(path))["architecture"], "784-32-16-10");
  EXPECT_EQ(mnist::test::count_files(dir.path()), 1) << "temporary file left behind";
}

TEST(TorchScriptExport, PythonTorchJitLoadGivesTheSameProbabilities) {
  mnist::test::TempDir dir;
  torch::manual_seed(5);
  auto model = mnist::build_mlp({});
  const fs::path path = dir.path() / "mnist_mlp.pt";
  mnist::export_torchscript(model, path, "{}");
  const auto pixels = torch::rand({6, 28, 28});
  const auto expected = model_probabilities(model, pixels).contiguous();
  const auto write_floats = [](const fs::path& file, const torch::Tensor& t) {
    std::ofstream out(file, std::ios::binary);
    out.write(reinterpret_cast<const char*>(t.data_ptr<float>()), static_cast<std::streamsize>(t.numel() * 4));
  };
  write_floats(dir.path() / "inputs.f32", pixels.contiguous());
  write_floats(dir.path() / "expected.f32", expected);
  const std::string command = std::string(MNIST_TEST_PYTHON) + " " + MNIST_TEST_SCRIPTS_DIR +
                              "/check_torchscript.py " + path.string() + " " +
                              (dir.path() / "inputs.f32").string() + " " +
                              (dir.path() / "expected.f32").string() + " 1e-5";
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
}

TEST(TorchScriptExport, LoadErrorsAreOneLineAndNameTheFile) {
  mnist::test::TempDir dir;
  const auto expect_error = [](const fs::path& path, const std::string& phrase) {
    try {
      mnist::load_torchscript(path);
      ADD_FAILURE() << "loaded " << path;
    } catch (const mnist::RuntimeError& e) {
      const std::string message = e.what();
      EXPECT_EQ(message.rfind(path.string() + ": ", 0), 0u) << message;
      EXPECT_NE(message.find(phrase), std::string::npos) << message;
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    }
  };
  expect_error(dir.path() / "missing.pt", "missing");
  std::ofstream(dir.path() / "random.pt") << "\x01\x02 not a zip archive";
  expect_error(dir.path() / "random.pt", "not a readable TorchScript model");
  expect_error(dir.path(), "is a directory");
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

TEST(Device, ResolvesRequestsAndRejectsBadOnes) {
  EXPECT_EQ(mnist::resolve_device("cpu"), c10::Device(c10::kCPU));
  EXPECT_EQ(mnist::resolve_device("auto").is_cuda(), torch::cuda::is_available());
  for (const char* bad : {"gpu", "cuda:", "cuda:x", "cuda:-1", "CPU", ""}) {
    EXPECT_THROW(mnist::resolve_device(bad), mnist::UsageError) << bad;
  }
  if (!torch::cuda::is_available()) {
    try {
      mnist::resolve_device("cuda");
      FAIL();
    } catch (const mnist::UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("CUDA is not available"), std::string::npos);
    }
  }
}

TEST(Device, TrainsAndExportsOnCuda) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const auto data = banded_digits(200, 9);
  mnist::Trainer trainer(small_spec(), small_settings(), mnist::resolve_device("cuda"));
  const auto first = trainer.train_epoch(1, data, quiet);
  mnist::EpochTrainStats last;
  for (int epoch = 2; epoch <= 8; ++epoch) last = trainer.train_epoch(epoch, data, quiet);
  EXPECT_LT(last.loss, first.loss);
  EXPECT_TRUE(trainer.model()->parameters()[0].is_cuda());
  auto script = mnist::to_torchscript(trainer.model());  // exports from CUDA weights to CPU
  const auto pixels = torch::rand({3, 784});
  const auto expected = model_probabilities(trainer.model(), pixels.to(torch::kCUDA)).cpu();
  EXPECT_LT((script.forward({pixels}).toTensor() - expected).abs().max().item<float>(), 1e-5);
}
